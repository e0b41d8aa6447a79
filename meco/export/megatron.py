"""Megatron-LM's `MMIDIDX` indexed dataset (`megatron/core/datasets/indexed_dataset.py`), written with numpy.

`<prefix>.bin` holds the sequences back to back; `<prefix>.idx` is the 9-byte header `MMIDIDX\\0\\0`, version
uint64 1, dtype code uint8, sequence count uint64, document count uint64, then int32 sequence lengths, int64
byte offsets of the sequences, and int64 document indices (the sequence index where each document starts,
then the total: `0..N` for one sequence per document). All little-endian.
"""

from __future__ import annotations

import os
import struct
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..output import empty_output
from ..shards import PARTIAL_SUFFIX
from . import ExportError
from .source import source_shards

HEADER = b"MMIDIDX\x00\x00"
DTYPE_CODES = {np.dtype("u1"): 1, np.dtype("i4"): 4, np.dtype("u2"): 8}  # Megatron's DType enum
LOSS_SUFFIX = "_loss"  # <stem>_loss.bin/.idx: the loss mask as a parallel uint8 indexed dataset
CHUNK = 1 << 22  # elements copied at a time: memory stays bounded whatever the shard size


def megatron_dtype(vocab_size: int) -> np.dtype:
    """Megatron's `DType.optimal_dtype`: uint16 below 65500 ids, else int32."""
    return np.dtype("<u2") if vocab_size < 65500 else np.dtype("<i4")


def write_indexed_dataset(prefix: Path, values: np.ndarray, ends: np.ndarray, dtype: np.dtype) -> None:
    """`values` (one sequence per document, documents ending at `ends`) as `prefix.bin` and `prefix.idx`."""
    dtype = np.dtype(dtype).newbyteorder("<")
    lengths = np.diff(ends.astype(np.int64), prepend=0)
    if len(lengths) and lengths.max() > np.iinfo(np.int32).max:
        raise ExportError(f"{prefix}: a document of {lengths.max()} tokens; Megatron's lengths are int32")
    bin_path, idx_path = Path(str(prefix) + ".bin"), Path(str(prefix) + ".idx")
    with open(str(bin_path) + PARTIAL_SUFFIX, "wb") as f:
        for start in range(0, len(values), CHUNK):
            f.write(values[start : start + CHUNK].astype(dtype).tobytes())
    with open(str(idx_path) + PARTIAL_SUFFIX, "wb") as f:
        f.write(HEADER + struct.pack("<QBQQ", 1, DTYPE_CODES[dtype.newbyteorder("=")], len(lengths), len(lengths) + 1))
        f.write(lengths.astype("<i4").tobytes())
        f.write(((np.cumsum(lengths) - lengths) * dtype.itemsize).astype("<i8").tobytes())
        f.write(np.arange(len(lengths) + 1, dtype="<i8").tobytes())
    os.replace(str(bin_path) + PARTIAL_SUFFIX, bin_path)
    os.replace(str(idx_path) + PARTIAL_SUFFIX, idx_path)


def export_megatron(root, out) -> str:
    manifest, shards = source_shards(root, out)  # a bad source fails before OUT is created
    out = empty_output(out)
    dtype = megatron_dtype(manifest.vocab_size)
    prefixes = defaultdict(list)
    for s in shards:
        s.out_dir.mkdir(parents=True, exist_ok=True)
        prefix = s.out_dir / s.stem
        write_indexed_dataset(prefix, s.shard.tokens, s.shard.ends, dtype)
        write_indexed_dataset(Path(str(prefix) + LOSS_SUFFIX), s.shard.loss, s.shard.ends, np.dtype("u1"))
        prefixes[s.variant, s.split].append(str(prefix))
    lines = [f"Megatron-LM indexed datasets ({dtype.name} tokens, loss masks as {LOSS_SUFFIX}) in {out}:"]
    for variant in dict.fromkeys(v for v, _ in prefixes):
        flags = [
            f"--{'train' if split == 'train' else 'valid'}-data-path {' '.join(prefixes[variant, split])}"
            for split in ("train", "val")
            if prefixes[variant, split]
        ]
        lines.append(f"  {variant}: {' '.join(flags)}")
    return "\n".join(lines)
