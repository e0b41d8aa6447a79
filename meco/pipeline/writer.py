"""The pipeline step that tokenizes each document once and writes it to both variants.

Document i is `[BOS] + D_i + [EOS]` in `cooldown` and `[BOS] + P_i + D_i + [EOS]` in `conditioned`, where
P_i is the prefix tokenized on its own (cached per distinct prefix) and D_i the same ids in both. The loss
mask is 0 on BOS and P_i, 1 elsewhere. BOS only where the tokenizer has one.
"""

from __future__ import annotations

import hashlib
import time
from itertools import chain

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.batching import batched
from datatrove.utils.logging import logger

from ..shards import SPLITS, ShardWriter, token_dtype, write_json_atomically
from ..tokenizer import load_tokenizer
from .prefix import PREFIX_KEY

TASKS_DIR = "tasks"  # OUT/tasks/<rank>.json: what each finished task wrote, for the manifest
PROGRESS_EVERY_S = 15.0


def task_record_name(rank: int) -> str:
    return f"{TASKS_DIR}/{rank:05d}.json"


def in_validation(doc_id: str, fraction: float, seed: int) -> bool:
    """A fixed pseudo-random choice per document id: the same documents are held out whatever the tasks."""
    if fraction <= 0:
        return False
    digest = hashlib.blake2b(f"{seed}\0{doc_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") < fraction * 2**64


class PrefixCache:
    """Token ids of each distinct prefix, tokenized on its own; bounded so that `url` prefixes
    (one per document) cannot grow it without limit."""

    def __init__(self, tokenizer, dtype, max_entries: int = 1 << 16):
        self.tokenizer, self.dtype, self.max_entries, self.ids = tokenizer, dtype, max_entries, {"": np.zeros(0, dtype)}

    def lookup(self, prefixes: list[str]) -> list[np.ndarray]:
        new = list({p for p in prefixes if p not in self.ids})
        if new:
            if len(self.ids) + len(new) > self.max_entries:
                self.ids = {"": self.ids[""]}
            self.ids.update(
                zip(new, (np.asarray(t, self.dtype) for t in self.tokenizer.encode_batch(new)), strict=True)
            )
        return [self.ids[p] for p in prefixes]


def pack(docs: list[np.ndarray], prefixes: list[np.ndarray], bos: int | None, eos: int, dtype):
    """Tokens, loss mask and per-document lengths of `[BOS] + P + D + [EOS]` for each document."""
    n = len(docs)
    bos_part = [np.array([bos], dtype)] if bos is not None else []
    eos_part = np.array([eos], dtype)
    tokens = np.concatenate(
        list(chain.from_iterable((*bos_part, p, d, eos_part) for p, d in zip(prefixes, docs, strict=True)))
    )
    masked = np.fromiter((len(p) for p in prefixes), np.int64, n) + len(bos_part)
    targets = np.fromiter((len(d) for d in docs), np.int64, n) + 1
    loss = np.repeat(np.tile(np.array([0, 1], np.uint8), n), np.stack([masked, targets], axis=1).ravel())
    return tokens, loss, masked + targets


class MecoShardWriter(PipelineStep):
    """Writes `OUT/{,val/}{conditioned,cooldown}/<rank>.ds` (+ .index, .loss, .metadata) and a task record.

    Documents pass through unchanged, so further datatrove steps may follow.
    """

    name = "🔢 MeCo shards"
    type = "🔢 - TOKENIZER"

    def __init__(
        self, output_folder: str, tokenizer: str, val_fraction: float = 0.0, seed: int = 0, batch_size: int = 1000
    ):
        super().__init__()
        self.output_folder, self.tokenizer_spec = output_folder, tokenizer
        self.val_fraction, self.seed, self.batch_size = val_fraction, seed, batch_size

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        started = time.time()
        tokenizer = load_tokenizer(self.tokenizer_spec)
        dtype = token_dtype(tokenizer.vocab_size)
        out = get_datafolder(self.output_folder)
        prefix_cache = PrefixCache(tokenizer, dtype)
        no_prefix = np.zeros(0, dtype)
        writers: dict[tuple[str, str], ShardWriter] = {}
        tokens_done, last_report = 0, started

        def writer(split: str, variant: str) -> ShardWriter:
            if (split, variant) not in writers:
                folder = get_datafolder(out.resolve_paths(f"{SPLITS[split]}/{variant}".lstrip("/")))
                writers[split, variant] = ShardWriter(folder, f"{rank:05d}.ds", dtype, tokenizer.name)
            return writers[split, variant]

        for batch in batched(data, self.batch_size):
            with self.track_time("batch"):
                ids = tokenizer.encode_batch([doc.text for doc in batch])
                docs = [np.asarray(t, dtype) for t in ids]
                prefixes = prefix_cache.lookup([doc.metadata.get(PREFIX_KEY, "") for doc in batch])
                val = [in_validation(doc.id, self.val_fraction, self.seed) for doc in batch]
                for split, chosen in (("train", False), ("val", True)):
                    keep = [i for i, v in enumerate(val) if v == chosen]
                    if not keep:
                        continue
                    d, p = [docs[i] for i in keep], [prefixes[i] for i in keep]
                    writer(split, "conditioned").write(*pack(d, p, tokenizer.bos_id, tokenizer.eos_id, dtype))
                    writer(split, "cooldown").write(
                        *pack(d, [no_prefix] * len(d), tokenizer.bos_id, tokenizer.eos_id, dtype)
                    )
                batch_tokens = sum(len(d) for d in docs)
                tokens_done += batch_tokens
                self.stat_update("document_tokens", value=batch_tokens, unit="batch")
            if time.time() - last_report > PROGRESS_EVERY_S:
                last_report = time.time()
                logger.info(
                    f"task {rank}: {tokens_done:,} document tokens, {tokens_done / (last_report - started):,.0f} tokens/s"
                )
            yield from batch

        files = {f"{split}/{variant}": w.commit().to_json() for (split, variant), w in sorted(writers.items())}
        record = {
            "rank": rank,
            "files": files,
            "document_tokens": tokens_done,
            "seconds": time.time() - started,
            "finished_at": time.time(),
        }
        write_json_atomically(out, task_record_name(rank), record)
