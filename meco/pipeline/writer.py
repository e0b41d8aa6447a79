"""The pipeline step that tokenizes each document once and writes it to both variants.

Document i is `[BOS] + D_i + [EOS]` in `cooldown` and `[BOS] + P_i + D_i + [EOS]` in `conditioned`, where
P_i is the prefix tokenized on its own (cached per distinct prefix) and D_i the same ids in both. The loss
mask is 0 on BOS and P_i, 1 elsewhere. BOS only where the tokenizer has one. With `--position suffix` the
metadata S_i (tokenized on its own as well) follows the document instead, `[BOS] + D_i + S_i + [EOS]`, and
is trained: the mask is 0 on BOS only.

Each batch is tokenized into one flat id array (gigatoken where it runs the tokenizer) and both variants are
assembled from it with whole-array numpy steps. Where gigatoken runs, the reference tokenizer also encodes the
first 16 documents of each task and every 2000th (0.05% of a large task; the reference takes 11 (tiktoken) to
40 (`tokenizers`) times gigatoken's CPU time per document, so this costs 0.6% to 2% of the tokenizing) and the
task stops, naming the document, on any difference.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.batching import batched
from datatrove.utils.logging import logger

from ..shards import ShardWriter, token_dtype, variant_path, write_json_atomically
from ..tokenizer import load_tokenizer
from .prefix import PREFIX_KEY
from .staging import ShardStaging

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

    def lookup(self, prefixes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of every prefix back to back, and the number of each."""
        new = list({p for p in prefixes if p not in self.ids})
        if new:
            if len(self.ids) + len(new) > self.max_entries:
                self.ids = {"": self.ids[""]}
            self.ids.update(
                zip(new, (np.asarray(t, self.dtype) for t in self.tokenizer.encode_batch(new)), strict=True)
            )
        ids = [self.ids[p] for p in prefixes]
        return np.concatenate([self.ids[""], *ids]), np.fromiter(map(len, ids), np.int64, len(ids))


class ExactnessSample:
    """Which documents of a task the reference tokenizer also encodes: the first `first` and every `every`-th
    after them, by position in the task (so the same ones on every run)."""

    def __init__(self, first: int = 16, every: int = 2000):
        self.first, self.every, self.seen = first, every, 0

    def pick(self, n: int) -> list[int]:
        """Indices, within the next `n` documents of the task, of those to check."""
        start, self.seen = self.seen, self.seen + n
        head = range(min(n, max(0, self.first - start)))
        return sorted({*head, *range(-start % self.every, n, self.every)})


BOS, META, DOC, EOS = range(4)  # the parts of a packed document


def pack(doc_ids, doc_lengths, prefix_ids, prefix_lengths, bos: int | None, eos: int, dtype, position="prefix"):
    """Tokens, loss mask and per-document lengths of `[BOS] + P + D + [EOS]` (`[BOS] + D + S + [EOS]` for a
    suffix) for each document, from the ids of all D (and of all P or S) back to back: whole-array numpy
    steps, none per document."""
    n = len(doc_lengths)
    bos_lengths, eos_lengths = np.full(n, int(bos is not None)), np.ones(n, np.int64)
    order = [BOS, META, DOC, EOS] if position == "prefix" else [BOS, DOC, META, EOS]
    by_part = {BOS: bos_lengths, META: prefix_lengths, DOC: doc_lengths, EOS: eos_lengths}
    runs = np.stack([by_part[p] for p in order], axis=1)
    part = np.repeat(np.tile(np.array(order, np.uint8), n), runs.ravel())
    lengths = runs.sum(axis=1)
    ends = np.cumsum(lengths)
    tokens = np.empty(len(part), dtype)
    tokens[part == DOC] = doc_ids
    tokens[part == META] = prefix_ids
    tokens[ends - 1] = eos
    if bos is not None:
        tokens[ends - lengths] = bos
    trained = part >= DOC if position == "prefix" else part != BOS  # a prefix is context, a suffix a target
    return tokens, trained.view(np.uint8), lengths


def select(ids: np.ndarray, lengths: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids and lengths of the documents where `keep` is True."""
    return (ids, lengths) if keep.all() else (ids[np.repeat(keep, lengths)], lengths[keep])


class MecoShardWriter(PipelineStep):
    """Writes `OUT/{,val/}{conditioned,cooldown}/<rank>.ds` (+ .index, .loss, .metadata) and a task record.

    Documents pass through unchanged, so further datatrove steps may follow.
    """

    name = "🔢 MeCo shards"
    type = "🔢 - TOKENIZER"

    def __init__(
        self,
        output_folder: str,
        tokenizer: str,
        val_fraction: float = 0.0,
        seed: int = 0,
        batch_size: int = 1000,
        position: str = "prefix",
        work_dir: str | None = None,
        tokenizer_cache_mib: int = 64,
    ):
        super().__init__()
        self.output_folder, self.tokenizer_spec, self.position = output_folder, tokenizer, position
        self.tokenizer_cache_mib = tokenizer_cache_mib
        self.val_fraction, self.seed, self.batch_size, self.work_dir = val_fraction, seed, batch_size, work_dir

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        started = time.time()
        tokenizer = load_tokenizer(self.tokenizer_spec)
        if tokenizer.fast is not None:
            tokenizer.fast.cache_budget = self.tokenizer_cache_mib << 20
        dtype = token_dtype(tokenizer.vocab_size)
        out = get_datafolder(self.output_folder)
        staging = ShardStaging(out, rank, self.work_dir)
        prefix_cache = PrefixCache(tokenizer, dtype)
        sample = ExactnessSample()
        logger.info(f"task {rank}: tokenizing with {tokenizer.engine()}")
        writers: dict[tuple[str, str], ShardWriter] = {}
        tokens_done, last_report = 0, started

        def writer(split: str, variant: str) -> ShardWriter:
            if (split, variant) not in writers:
                folder = staging.folder(variant_path(split, variant))
                writers[split, variant] = ShardWriter(folder, f"{rank:05d}.ds", dtype, tokenizer.name)
            return writers[split, variant]

        for batch in batched(data, self.batch_size):
            with self.track_time("batch"):
                check = {i: f"document {batch[i].id!r}" for i in sample.pick(len(batch))}
                doc_ids, doc_lengths = tokenizer.encode_flat([doc.text for doc in batch], check)
                self.stat_update("checked_against_reference", value=len(check))
                prefix_ids, prefix_lengths = prefix_cache.lookup([doc.metadata.get(PREFIX_KEY, "") for doc in batch])
                val = np.fromiter((in_validation(d.id, self.val_fraction, self.seed) for d in batch), bool, len(batch))
                for split, keep in (("train", ~val), ("val", val)):
                    if not keep.any():
                        continue
                    d, p = select(doc_ids, doc_lengths, keep), select(prefix_ids, prefix_lengths, keep)
                    conditioned = pack(*d, *p, tokenizer.bos_id, tokenizer.eos_id, dtype, self.position)
                    writer(split, "conditioned").write(*conditioned)
                    no_prefix = np.zeros(0, dtype), np.zeros(len(d[1]), np.int64)
                    writer(split, "cooldown").write(*pack(*d, *no_prefix, tokenizer.bos_id, tokenizer.eos_id, dtype))
                batch_tokens = int(doc_lengths.sum())
                tokens_done += batch_tokens
                self.stat_update("document_tokens", value=batch_tokens, unit="batch")
            if time.time() - last_report > PROGRESS_EVERY_S:
                last_report = time.time()
                logger.info(
                    f"task {rank}: {tokens_done:,} document tokens, {tokens_done / (last_report - started):,.0f} tokens/s"
                )
            yield from batch

        if tokenizer.fast is not None:  # how often the cache filled its budget (--tokenizer-cache-mib)
            self.stat_update("tokenizer_builds", value=tokenizer.fast.builds)
        files = {f"{split}/{variant}": w.commit().to_json() for (split, variant), w in sorted(writers.items())}
        for (split, variant), w in sorted(writers.items()):
            staging.publish(variant_path(split, variant), w.name)
        staging.close()
        record = {
            "rank": rank,
            "files": files,
            "document_tokens": tokens_done,
            "seconds": time.time() - started,
            "finished_at": time.time(),
        }
        write_json_atomically(out, task_record_name(rank), record)
