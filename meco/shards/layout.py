"""Names, dtypes and paths of the meco shard format (version 1), and its error."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from ..errors import MecoError

FORMAT = "meco-shards"
VERSION = 1
VARIANTS = ("conditioned", "cooldown")
SPLITS = {"train": "", "val": "val"}  # split name -> sub-folder of OUT
MANIFEST = "manifest.json"
INDEX_DTYPE = np.dtype("<u8")
LOSS_DTYPE = np.dtype("u1")
PARTIAL_SUFFIX = ".partial"  # files are written under this suffix and renamed once complete
SHARD_SUFFIXES = ("", ".index", ".loss")  # the three arrays of one shard, by suffix on <name>.ds


class ShardFormatError(MecoError, ValueError):
    """A prepared folder that cannot be read as meco shards; the message names the file."""


def token_dtype(vocab_size: int) -> np.dtype:
    """uint16 while every id fits (as datatrove decides), else uint32."""
    return np.dtype("<u2") if vocab_size <= 65536 else np.dtype("<u4")


def variant_path(split: str, variant: str) -> str:
    """Where a split's variant lies under a prepared folder, relative (`conditioned`, `val/cooldown`): for
    fsspec folders, local or remote."""
    return f"{SPLITS[split]}/{variant}".lstrip("/")


def variant_dir(root: str | os.PathLike, split: str, variant: str) -> Path:
    return Path(root) / variant_path(split, variant)


def sha256_file(path: str | os.PathLike, block: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()
