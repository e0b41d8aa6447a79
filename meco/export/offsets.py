"""Token files with document offsets: the plain layout of pre-tokenized data that torchtitan-style loaders read.

Per shard, three `.npy` files (numpy's own format, so `np.load(path, mmap_mode="r")` maps them):
`<stem>.tokens.npy` (the token ids, the manifest's dtype), `<stem>.document_offsets.npy` (int64, N + 1 offsets:
document i is tokens[offsets[i]:offsets[i + 1]], offsets[0] = 0, offsets[N] = the token count) and
`<stem>.loss_mask.npy` (uint8, 1 = training target). Written in chunks under partial names, then renamed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..output import empty_output
from ..shards import PARTIAL_SUFFIX
from .source import source_shards

SUFFIXES = {"tokens": ".tokens.npy", "offsets": ".document_offsets.npy", "mask": ".loss_mask.npy"}
CHUNK = 1 << 22  # elements copied at a time: memory stays bounded whatever the shard size


def write_npy(path: Path, values: np.ndarray, dtype) -> None:
    """`values` as a .npy file at `path`, copied in chunks through a partial file."""
    partial = Path(str(path) + PARTIAL_SUFFIX)
    out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.dtype(dtype), shape=(len(values),))
    for start in range(0, len(values), CHUNK):
        out[start : start + CHUNK] = values[start : start + CHUNK]
    out.flush()
    del out
    os.replace(partial, path)


def export_offsets(root, out) -> str:
    manifest, shards = source_shards(root, out)  # a bad source fails before OUT is created
    out = empty_output(out)
    prefixes = defaultdict(list)
    for s in shards:
        s.out_dir.mkdir(parents=True, exist_ok=True)
        stem = s.out_dir / s.stem
        offsets = np.concatenate([[0], s.shard.ends.astype(np.int64)])
        write_npy(Path(str(stem) + SUFFIXES["tokens"]), s.shard.tokens, manifest.token_dtype)
        write_npy(Path(str(stem) + SUFFIXES["offsets"]), offsets, np.int64)
        write_npy(Path(str(stem) + SUFFIXES["mask"]), s.shard.loss, np.uint8)
        prefixes[s.split, s.variant].append(str(stem))
    lines = [f"token files with document offsets ({manifest.token_dtype.name} tokens) in {out}:"]
    lines += [f"  {split}/{variant}: {' '.join(p)}" for (split, variant), p in prefixes.items()]
    lines.append(f"each PREFIX has {', '.join('PREFIX' + s for s in SUFFIXES.values())}")
    return "\n".join(lines)
