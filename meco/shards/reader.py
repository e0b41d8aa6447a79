"""Reading shards: memory-mapped documents, a variant's token stream, fixed-length windows. numpy only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import OptionError
from .layout import INDEX_DTYPE, LOSS_DTYPE, SHARD_SUFFIXES, VARIANTS, ShardFormatError, sha256_file, variant_dir
from .manifest import Manifest, ShardEntry


@dataclass
class ShardFile:
    """One memory-mapped `.ds` shard: nothing is read until a document is asked for."""

    path: Path
    tokens: np.ndarray
    ends: np.ndarray
    loss: np.ndarray

    @classmethod
    def open(cls, path: str | os.PathLike, dtype: np.dtype, entry: ShardEntry | None = None) -> ShardFile:
        """Map a shard; with a manifest `entry`, first check every file's size against it."""
        path = Path(path)
        files = {suffix: Path(str(path) + suffix) for suffix in SHARD_SUFFIXES}
        dtypes = {"": np.dtype(dtype), ".index": INDEX_DTYPE, ".loss": LOSS_DTYPE}
        if entry is not None:
            lengths = {"": entry.tokens, ".index": entry.documents, ".loss": entry.tokens}
            for suffix, file in files.items():
                expected = lengths[suffix] * dtypes[suffix].itemsize
                if not file.is_file():
                    raise ShardFormatError(f"{file}: missing (listed in the manifest)")
                if file.stat().st_size != expected:
                    raise ShardFormatError(
                        f"{file}: {file.stat().st_size} bytes, the manifest says {expected}; the folder is damaged"
                    )
        tokens, ends, loss = (_memmap(files[suffix], dtypes[suffix]) for suffix in SHARD_SUFFIXES)
        if len(loss) != len(tokens):
            raise ShardFormatError(
                f"{files['.loss']}: {len(loss):,} loss-mask entries for {len(tokens):,} tokens; the shard is damaged"
            )
        if len(ends) and int(ends[-1]) != len(tokens):
            raise ShardFormatError(
                f"{files['.index']}: the last document ends at token {int(ends[-1]):,}, the shard holds "
                f"{len(tokens):,}; the shard is damaged"
            )
        if (bad := _first_decrease(ends)) is not None:
            raise ShardFormatError(
                f"{files['.index']}: document {bad:,} ends at token {int(ends[bad]):,}, before the one ahead of it "
                f"({int(ends[bad - 1]):,}); the index is damaged"
            )
        return cls(path, tokens, ends, loss)

    def __len__(self) -> int:
        return len(self.ends)

    def span(self, i: int) -> tuple[int, int]:
        return (int(self.ends[i - 1]) if i else 0), int(self.ends[i])

    def document(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Tokens and loss mask of document `i` (views into the maps)."""
        start, end = self.span(i)
        return self.tokens[start:end], self.loss[start:end]


def _first_decrease(ends: np.ndarray, block: int = 1 << 22) -> int | None:
    """The first document whose end offset is below its predecessor's, or None when the index never goes
    down (with the last end equal to the token count, every document then lies within the shard). Read in
    blocks, so memory stays bounded for an index of any size."""
    for start in range(1, len(ends), block):
        chunk = ends[start - 1 : start + block]
        down = np.flatnonzero(chunk[1:] < chunk[:-1])
        if len(down):
            return start + int(down[0])
    return None


def _memmap(path: Path, dtype) -> np.ndarray:
    if path.stat().st_size == 0:  # np.memmap refuses empty files
        return np.zeros(0, dtype)
    return np.memmap(path, dtype=dtype, mode="r")


class Shards:
    """All documents of one variant of one split, in manifest order, addressed by a global document index.

    >>> shards = Shards.open("meco-data", "conditioned")
    >>> tokens, loss = shards.document(0)   # numpy views, loss is 1 where the token is a training target
    """

    def __init__(self, root: Path, manifest: Manifest, split: str, variant: str, files: list[ShardFile]):
        self.root, self.manifest, self.split, self.variant, self.files = root, manifest, split, variant, files
        self.doc_offsets = np.cumsum([0] + [len(f) for f in files], dtype=np.int64)
        self.token_offsets = np.cumsum([0] + [len(f.tokens) for f in files], dtype=np.int64)  # shard starts, total

    @classmethod
    def open(cls, root: str | os.PathLike, variant: str, split: str = "train", verify: bool = False) -> Shards:
        """Map every shard the manifest lists; `verify` also checks each file's sha256 (reads everything)."""
        manifest = Manifest.read(root)
        root = Path(root)
        if variant not in VARIANTS:
            raise OptionError(f"variant must be one of {VARIANTS}, not {variant!r}")
        folder = variant_dir(root, split, variant)
        files = []
        for entry in manifest.variant(split, variant).files:
            path = folder / entry.name
            if verify:
                for suffix, digest in entry.sha256_by_suffix().items():
                    file = Path(str(path) + suffix)
                    if not file.is_file():
                        raise ShardFormatError(f"{file}: missing (listed in the manifest)")
                    if sha256_file(file) != digest:
                        raise ShardFormatError(f"{file}: sha256 does not match the manifest; the file is damaged")
            files.append(ShardFile.open(path, manifest.token_dtype, entry))
        return cls(root, manifest, split, variant, files)

    def __len__(self) -> int:
        return int(self.doc_offsets[-1])

    @property
    def num_tokens(self) -> int:
        return int(self.token_offsets[-1])

    def locate(self, i: int) -> tuple[ShardFile, int]:
        """The shard holding global document `i`, and its index there."""
        if not 0 <= i < len(self):
            raise IndexError(f"document {i} out of range for {len(self)} documents")
        f = int(np.searchsorted(self.doc_offsets, i, side="right")) - 1
        return self.files[f], i - int(self.doc_offsets[f])

    def document(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        shard, j = self.locate(i)
        return shard.document(j)

    def read(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Tokens and loss mask at positions [start, stop) of the variant's concatenated token stream,
        shard boundaries crossed as if the shards were one file (copies, not views)."""
        if not 0 <= start <= stop <= self.num_tokens:
            raise IndexError(f"tokens [{start}, {stop}) out of range for {self.num_tokens} tokens")
        pieces = []
        f = int(np.searchsorted(self.token_offsets, start, side="right")) - 1
        while f < len(self.files) and self.token_offsets[f] < stop:
            lo, hi = (
                max(start - int(self.token_offsets[f]), 0),
                min(stop, int(self.token_offsets[f + 1])) - int(self.token_offsets[f]),
            )
            pieces.append((self.files[f].tokens[lo:hi], self.files[f].loss[lo:hi]))
            f += 1
        if not pieces:
            return np.zeros(0, self.manifest.token_dtype), np.zeros(0, LOSS_DTYPE)
        return np.concatenate([t for t, _ in pieces]), np.concatenate([m for _, m in pieces])

    def windows(self, seq_len: int) -> TokenWindows:
        return TokenWindows(self, seq_len)

    def lengths(self) -> np.ndarray:
        """Token count of every document, in order (reads only the index files)."""
        return np.concatenate(
            [np.diff(f.ends, prepend=np.uint64(0)).astype(np.int64) for f in self.files] or [np.zeros(0, np.int64)]
        )


class TokenWindows:
    """Fixed-length training examples over one variant's token stream, for a plain PyTorch `Dataset`.

    Window `i` reads the `seq_len + 1` tokens from `i * seq_len` (windows overlap by one token, so every
    token after the first is a target exactly once) and returns three aligned arrays of `seq_len`:
    `input_ids`, `target_ids` (the next tokens) and `target_mask` (bool: the target carries loss; False on
    metadata prefixes and BOS). Windows cross document and shard boundaries; the tail that does not fill
    a window is dropped.
    """

    def __init__(self, shards: Shards, seq_len: int):
        if seq_len < 1:
            raise OptionError(f"seq_len must be at least 1, not {seq_len}")
        self.shards, self.seq_len = shards, seq_len

    def __len__(self) -> int:
        return max(self.shards.num_tokens - 1, 0) // self.seq_len

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not 0 <= i < len(self):
            raise IndexError(f"window {i} out of range for {len(self)} windows of {self.seq_len} tokens")
        tokens, loss = self.shards.read(i * self.seq_len, (i + 1) * self.seq_len + 1)
        return tokens[:-1], tokens[1:], loss[1:].astype(bool)
