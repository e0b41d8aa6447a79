"""Writing shards and JSON files so that a killed writer never leaves a file that looks complete."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .layout import INDEX_DTYPE, LOSS_DTYPE, PARTIAL_SUFFIX, SHARD_SUFFIXES
from .manifest import ShardEntry


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

    def commit(self) -> ShardEntry:
        """Close, write the sidecar, rename into place; return this shard's manifest entry."""
        for f in self.files.values():
            f.file.close()
        with self.folder.open(self.name + ".metadata" + PARTIAL_SUFFIX, "wt") as f:
            f.write(datatrove_metadata(self.tokenizer_name, self.dtype.itemsize, self.tokens))
        for suffix in (".index", ".loss", ".metadata", ""):  # the .ds last: readers look for it
            self.folder.mv(self.name + suffix + PARTIAL_SUFFIX, self.name + suffix)
        digests = {"ds" + s: self.files[s].sha256.hexdigest() for s in SHARD_SUFFIXES}
        return ShardEntry(self.name, self.documents, self.tokens, self.target_tokens, digests)


def datatrove_metadata(tokenizer_name: str, token_size: int, token_count: int) -> str:
    """The `.ds.metadata` text datatrove's `TokenizedFile.write_final_metadata` writes."""
    return "\n".join([f"{tokenizer_name}|{token_size}", str(token_count), metric_count(token_count, "T")])


def metric_count(count: int, unit: str) -> str:
    """`humanize.metric(count, unit)` (3 significant digits, SI prefix), the sidecar's third line, for counts
    below 10**30: written out here because this package imports numpy only (tested equal to humanize)."""
    if count == 0:
        return f"0.00 {unit}"
    exponent = len(str(count)) - 1
    value = count / 10 ** (exponent // 3 * 3)
    digits = 2 - exponent % 3
    if round(value, digits) >= 10 ** (exponent % 3 + 1):  # a rounding carry: 999.6 k -> 1.00 M
        exponent += 1
        value = count / 10 ** (exponent // 3 * 3)
        digits = 2 - exponent % 3
    prefix = "kMGTPEZYRQ"[exponent // 3 - 1] if exponent >= 3 else ""
    return f"{value:.{digits}f} {prefix}{unit}"


def write_json_atomically(folder, name: str, obj) -> None:
    """Write JSON to `name` in a datatrove `DataFolder` under a partial name first, then rename into place.
    `manifest.json` is written this way last: it marks a prepared folder as complete."""
    with folder.open(name + PARTIAL_SUFFIX, "wt") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    folder.mv(name + PARTIAL_SUFFIX, name)
