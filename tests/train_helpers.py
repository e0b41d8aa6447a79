"""A small synthetic prepared folder written with meco's own ShardWriter: a 61-token vocabulary keeps the
debug model fast, and the documents are known exactly, so tests can assert exact tokens."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from datatrove.io import get_datafolder

from meco.shards import DocumentCounts, Manifest, ShardWriter, TokenizerRecord, VariantEntry, variant_dir

VOCAB, EOS = 61, 60


def synthetic_docs(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(prefix, body) pairs: prefixes of 2-4 ids in 50..59, bodies of 3-40 ids in 0..49."""
    rng = np.random.default_rng(seed)
    return [(rng.integers(50, 60, rng.integers(2, 5)), rng.integers(0, 50, rng.integers(3, 41))) for _ in range(n)]


def write_split(
    root: Path, split: str, docs, shard_sizes: list[int], position: str = "prefix"
) -> dict[str, VariantEntry]:
    entries = {}
    for variant in ("conditioned", "cooldown"):
        folder = variant_dir(root, split, variant)
        folder.mkdir(parents=True, exist_ok=True)
        files, start = [], 0
        for k, size in enumerate(shard_sizes):
            writer = ShardWriter(get_datafolder(str(folder)), f"{k:05d}.ds", np.dtype("<u2"), "synthetic")
            toks, masks, lens = [], [], []
            for prefix, body in docs[start : start + size]:
                p = prefix if variant == "conditioned" else prefix[:0]
                if position == "suffix":  # the metadata after the body, trained: [D, S, EOS]
                    toks.append(np.concatenate([body, p, [EOS]]))
                    masks.append(np.ones(len(toks[-1])))
                else:
                    toks.append(np.concatenate([p, body, [EOS]]))
                    masks.append(np.concatenate([np.zeros(len(p)), np.ones(len(body) + 1)]))
                lens.append(len(toks[-1]))
            writer.write(np.concatenate(toks), np.concatenate(masks), np.array(lens))
            files.append(writer.commit())
            start += size
        entries[variant] = VariantEntry.of(files)
    return entries


def make_prepared(root: Path, n_train: int = 60, n_val: int = 8, position: str = "prefix") -> Path:
    """Train documents in two shards (so lookups cross a shard boundary), val in one; with `position="suffix"`
    the same documents with their metadata ids after the body (`meco prepare --position suffix`)."""
    root = Path(root)
    train = synthetic_docs(n_train, seed=1)
    splits = {
        "train": write_split(root, "train", train, [n_train // 2, n_train - n_train // 2], position),
        "val": write_split(root, "val", synthetic_docs(n_val, seed=2), [n_val], position),
    }
    written = n_train + n_val
    manifest = Manifest(
        tokenizer=TokenizerRecord("synthetic", "synthetic", VOCAB, None, EOS, None),
        kinds=("host",),
        template="URL: {host}\n\n" if position == "prefix" else "\n\nURL: {host}",
        seed=0,
        val_fraction=n_val / written,
        documents=DocumentCounts(read=written, written=written),
        document_tokens=sum(len(body) for _, body in train),
        splits=splits,
        inputs=(),
        position=position,
    )
    (root / "manifest.json").write_text(json.dumps(manifest.to_json()))
    return root


def train_docs(n_train: int = 60):
    return synthetic_docs(n_train, seed=1)


def read_metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text().splitlines()]
