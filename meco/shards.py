"""The meco shard format (version 1): the one place that defines, writes and reads it.

A prepared folder holds two document-aligned variants of the same documents::

    OUT/manifest.json                  format, version, tokenizer, counts and sha256 of every file
    OUT/conditioned/<name>.ds          token ids, little-endian uint16 (vocab <= 65536) or uint32
    OUT/conditioned/<name>.ds.index    little-endian uint64: cumulative end offset of each document, in tokens
    OUT/conditioned/<name>.ds.loss     uint8 per token: 1 = training target, 0 = not
    OUT/conditioned/<name>.ds.metadata datatrove's sidecar: "tokenizer|token_size", token count, humanized count
    OUT/cooldown/...                   the same names, the same documents in the same order
    OUT/val/{conditioned,cooldown}/... the held-out split, same layout

This is datatrove's tokenized layout (`DocumentTokenizer` with `save_loss_metadata`), so datatrove's
`DatatroveFolderDataset` and OLMo-core's label masks read it as is. The reader below needs numpy only,
so any trainer can import this module without pulling in the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import MecoError, OptionError

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


def variant_dir(root: str | os.PathLike, split: str, variant: str) -> Path:
    return Path(root) / SPLITS[split] / variant


# ----------------------------------------------------------------------------------------------------------
# writing


class _HashingFile:
    """A binary file that also hashes what goes through it, so checksums cost no second read."""

    def __init__(self, fileobj):
        self.file, self.sha256, self.nbytes = fileobj, hashlib.sha256(), 0

    def write(self, data) -> None:
        view = memoryview(data).cast("B")
        self.file.write(view)
        self.sha256.update(view)
        self.nbytes += len(view)


class ShardWriter:
    """Writes one `<name>.ds` shard with its index, loss mask and datatrove metadata sidecar.

    Everything goes to `*.partial` files first; `commit()` renames them, `.ds` last, so a killed run never
    leaves a shard that looks complete. `folder` is a datatrove `DataFolder` (local or remote).
    """

    def __init__(self, folder, name: str, dtype: np.dtype, tokenizer_name: str):
        self.folder, self.name, self.dtype, self.tokenizer_name = folder, name, np.dtype(dtype), tokenizer_name
        self.files = {s: _HashingFile(folder.open(name + s + PARTIAL_SUFFIX, "wb")) for s in SHARD_SUFFIXES}
        self.documents = self.tokens = self.target_tokens = 0

    def write(self, tokens: np.ndarray, loss: np.ndarray, doc_lengths: np.ndarray) -> None:
        """Append documents given back to back: `tokens` and `loss` hold `doc_lengths.sum()` entries."""
        ends = self.tokens + np.cumsum(doc_lengths, dtype=np.int64)
        self.files[""].write(np.ascontiguousarray(tokens, dtype=self.dtype))
        self.files[".loss"].write(np.ascontiguousarray(loss, dtype=LOSS_DTYPE))
        self.files[".index"].write(ends.astype(INDEX_DTYPE))
        self.documents += len(doc_lengths)
        self.tokens += int(doc_lengths.sum())
        self.target_tokens += int(np.count_nonzero(loss))

    def commit(self) -> dict:
        """Close, write the sidecar, rename into place; return this shard's manifest entry."""
        for f in self.files.values():
            f.file.close()
        with self.folder.open(self.name + ".metadata" + PARTIAL_SUFFIX, "wt") as f:
            f.write(datatrove_metadata(self.tokenizer_name, self.dtype.itemsize, self.tokens))
        for suffix in (".index", ".loss", ".metadata", ""):  # the .ds last: readers look for it
            self.folder.mv(self.name + suffix + PARTIAL_SUFFIX, self.name + suffix)
        return {
            "name": self.name,
            "documents": self.documents,
            "tokens": self.tokens,
            "target_tokens": self.target_tokens,
            "sha256": {"ds" + s: self.files[s].sha256.hexdigest() for s in SHARD_SUFFIXES},
        }


def datatrove_metadata(tokenizer_name: str, token_size: int, token_count: int) -> str:
    """The `.ds.metadata` text datatrove's `TokenizedFile.write_final_metadata` writes."""
    import humanize  # a datatrove dependency; only writers need it

    return "\n".join([f"{tokenizer_name}|{token_size}", str(token_count), humanize.metric(token_count, unit="T")])


def write_json_atomically(folder, name: str, obj) -> None:
    """Write JSON to `name` in a datatrove `DataFolder` under a partial name first, then rename into place.
    `manifest.json` is written this way last: it marks a prepared folder as complete."""
    with folder.open(name + PARTIAL_SUFFIX, "wt") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    folder.mv(name + PARTIAL_SUFFIX, name)


# ----------------------------------------------------------------------------------------------------------
# reading


def read_manifest(root: str | os.PathLike) -> dict:
    """Load and check `manifest.json`, with errors that say which folder and what is wrong."""
    path = Path(root) / MANIFEST
    if not Path(root).is_dir():
        raise ShardFormatError(f"{root}: no such data folder (run `meco prepare` first)")
    if not path.is_file():
        raise ShardFormatError(f"{path}: missing; {root} is not a finished `meco prepare` output")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ShardFormatError(f"{path}: not valid JSON ({e})") from e
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ShardFormatError(
            f"{path}: format {manifest.get('format')!r} version {manifest.get('version')!r}; "
            f"this meco reads {FORMAT!r} version {VERSION}"
        )
    return manifest


@dataclass
class ShardFile:
    """One memory-mapped `.ds` shard: nothing is read until a document is asked for."""

    path: Path
    tokens: np.ndarray
    ends: np.ndarray
    loss: np.ndarray

    @classmethod
    def open(cls, path: str | os.PathLike, dtype: np.dtype, entry: dict | None = None) -> ShardFile:
        """Map a shard; with a manifest `entry`, first check every file's size against it."""
        path = Path(path)
        files = {suffix: Path(str(path) + suffix) for suffix in SHARD_SUFFIXES}
        dtypes = {"": np.dtype(dtype), ".index": INDEX_DTYPE, ".loss": LOSS_DTYPE}
        if entry is not None:
            lengths = {"": entry["tokens"], ".index": entry["documents"], ".loss": entry["tokens"]}
            for suffix, file in files.items():
                expected = lengths[suffix] * dtypes[suffix].itemsize
                if not file.is_file():
                    raise ShardFormatError(f"{file}: missing (listed in the manifest)")
                if file.stat().st_size != expected:
                    raise ShardFormatError(
                        f"{file}: {file.stat().st_size} bytes, the manifest says {expected}; the folder is damaged"
                    )
        tokens, ends, loss = (_memmap(files[suffix], dtypes[suffix]) for suffix in SHARD_SUFFIXES)
        if len(loss) != len(tokens) or (len(ends) and int(ends[-1]) != len(tokens)):
            raise ShardFormatError(f"{path}: tokens, index and loss mask disagree in length")
        return cls(path, tokens, ends, loss)

    def __len__(self) -> int:
        return len(self.ends)

    def span(self, i: int) -> tuple[int, int]:
        return (int(self.ends[i - 1]) if i else 0), int(self.ends[i])

    def document(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Tokens and loss mask of document `i` (views into the maps)."""
        start, end = self.span(i)
        return self.tokens[start:end], self.loss[start:end]


def _memmap(path: Path, dtype) -> np.ndarray:
    if path.stat().st_size == 0:  # np.memmap refuses empty files
        return np.zeros(0, dtype)
    return np.memmap(path, dtype=dtype, mode="r")


def sha256_file(path: str | os.PathLike, block: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


class Shards:
    """All documents of one variant of one split, in manifest order, addressed by a global document index.

    >>> shards = Shards.open("meco-data", "conditioned")
    >>> tokens, loss = shards.document(0)   # numpy views, loss is 1 where the token is a training target
    """

    def __init__(self, root: Path, manifest: dict, split: str, variant: str, files: list[ShardFile]):
        self.root, self.manifest, self.split, self.variant, self.files = root, manifest, split, variant, files
        self.doc_offsets = np.cumsum([0] + [len(f) for f in files], dtype=np.int64)
        self.token_offsets = np.cumsum([0] + [len(f.tokens) for f in files], dtype=np.int64)  # shard starts, total

    @classmethod
    def open(cls, root: str | os.PathLike, variant: str, split: str = "train", verify: bool = False) -> Shards:
        """Map every shard the manifest lists; `verify` also checks each file's sha256 (reads everything)."""
        root = Path(root)
        manifest = read_manifest(root)
        if variant not in VARIANTS:
            raise OptionError(f"variant must be one of {VARIANTS}, not {variant!r}")
        dtype = np.dtype(manifest["token_dtype"])
        entries = manifest["splits"].get(split, {}).get(variant, {}).get("files", [])
        folder = variant_dir(root, split, variant)
        files = []
        for entry in entries:
            path = folder / entry["name"]
            if verify:
                for key, digest in entry["sha256"].items():
                    file = folder / (entry["name"] + key[2:])
                    if sha256_file(file) != digest:
                        raise ShardFormatError(f"{file}: sha256 does not match the manifest; the file is damaged")
            files.append(ShardFile.open(path, dtype, entry))
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
            return np.zeros(0, self.manifest["token_dtype"]), np.zeros(0, LOSS_DTYPE)
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
