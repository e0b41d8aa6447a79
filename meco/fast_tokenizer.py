"""gigatoken as a second, faster engine for the tokenizers meco loads, with its memory bounded.

gigatoken (Rust; exact against tiktoken and Hugging Face `tokenizers` on ordinary text) reaches its speed by
caching the ids of every distinct pre-token it has seen. In the published 0.10.0 release that cache never
shrinks: on a stream of new words it grows by about two bytes per character of text, on words that are all
new by eight (a user reports it filling a 1 TB server). An encoder here is therefore rebuilt once this
process's resident memory has grown by its `cache_budget` (`CACHE_BUDGET` unless `meco prepare
--tokenizer-cache-mib` says otherwise) since it was built (read from /proc; where there is no
/proc, every `REBUILD_EVERY_CHARS` characters). A rebuild costs a reload (0.1 s for cl100k_base from its rank
file, 0.25-0.3 s from a tokenizer.json; the fresh cache costs nothing measurable: encoding 200 MB of the
benchmark's text took no longer with 10 rebuilds than with none), and happens only as often as the text fills
the budget:
on the benchmark's input, whose copies keep bringing new words, 64 MiB keeps a worker's peak memory flat from
1x to 4x the input (+2%; +31% with 128 MiB, the fullest caches then coming after the 1x run's end) for 14%
more CPU time at 4x than 128 MiB.

The engine is built without special tokens: a literal "<|endoftext|>" or "</s>" in a document stays text,
as it does in meco's reference tokenizers (tiktoken's `encode_ordinary`, `tokenizers` with
`encode_special_tokens`). Which engine runs, and the exactness check against the reference, are
`meco.tokenizer`'s business; this module only builds and feeds gigatoken.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .tokenizer import TiktokenBPE

CACHE_BUDGET = 64 << 20  # bytes of resident memory an encoder may add before it is rebuilt
MIN_CHARS_PER_BUILD = 1 << 23  # text between rebuilds at least, whatever else grows the process
REBUILD_EVERY_CHARS = 1 << 26  # without /proc: 64 Mi characters, at most 0.5 GB of cache on all-new words

# gigatoken's pre-tokenizer for each tiktoken encoding (its split regex lives in code, not in the rank file)
TIKTOKEN_SCHEMES = {"cl100k_base": "gpt4", "o200k_base": "o200k", "r50k_base": "gpt2", "gpt2": "gpt2"}


class FastEncoder:
    """A gigatoken tokenizer built on first use and rebuilt when its cache has filled `cache_budget` bytes.

    `build` returns a fresh `gigatoken.Tokenizer`; when it raises (gigatoken missing, or unable to run this
    tokenizer: an unknown split regex, a SentencePiece model), the encoder is unavailable and says why.
    """

    def __init__(self, build: Callable[[], object], cache_budget: int = CACHE_BUDGET):
        self._build, self.cache_budget = build, cache_budget
        self.min_chars_per_build, self.rebuild_every_chars = MIN_CHARS_PER_BUILD, REBUILD_EVERY_CHARS
        self._tokenizer = None
        self._unavailable: str | None = None
        self.chars_since_build = self.resident_at_build = self.builds = 0

    def unavailable(self) -> str | None:
        """Why gigatoken cannot run this tokenizer, or None when it can (building it if not built yet)."""
        if self._tokenizer is None and self._unavailable is None:
            self._rebuild()
        return self._unavailable

    def _rebuild(self) -> None:
        if self._tokenizer is not None:
            self._tokenizer = None  # release the old cache before the new encoder allocates its own
            release_freed_memory()
        try:
            self._tokenizer = self._build()
        except Exception as e:  # ImportError, or gigatoken's RuntimeError/ValueError for what it cannot run
            self._unavailable = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            return
        self.chars_since_build, self.resident_at_build = 0, resident_bytes() or 0
        self.builds += 1

    def _cache_full(self) -> bool:
        if self.chars_since_build < self.min_chars_per_build:
            return False
        resident = resident_bytes()
        if resident is None:
            return self.chars_since_build >= self.rebuild_every_chars
        return resident - self.resident_at_build > self.cache_budget

    def encode_flat(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of all `texts` back to back (uint32) and the number of ids of each (int64)."""
        import awkward as ak

        if self._tokenizer is None or self._cache_full():
            self._rebuild()
        if self._unavailable is not None:
            raise RuntimeError(f"gigatoken is unavailable: {self._unavailable}")
        ids = self._tokenizer.encode_batch(texts)
        self.chars_since_build += sum(map(len, texts))
        return ak.to_numpy(ak.flatten(ids)), ak.to_numpy(ak.num(ids))


def release_freed_memory() -> None:
    """Hand memory freed by the old cache back to the system where the C library keeps it (glibc's heap),
    so that the next encoder's budget starts from what the process really holds."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is not None:
        trim(0)


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux), None where /proc is not there."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    for dist in ("gigatoken", "gigatoken-cachefix"):
        try:
            return f"{dist} {installed(dist)}"
        except PackageNotFoundError:
            continue
    return "gigatoken"


def for_tiktoken(name: str, bpe: TiktokenBPE) -> FastEncoder | None:
    """The encoder for a tiktoken encoding gigatoken has the pre-tokenizer of; None for any other."""
    scheme = TIKTOKEN_SCHEMES.get(name)
    if scheme is None:
        return None
    rank_file = b""

    def build():
        import gigatoken

        nonlocal rank_file
        if not rank_file:  # a .tiktoken file written from the ranks meco loaded (and checked) itself
            ordered = sorted(bpe.mergeable_ranks.items(), key=lambda item: item[1])
            rank_file = b"".join(base64.b64encode(token) + b" %d\n" % rank for token, rank in ordered)
        with tempfile.TemporaryDirectory(prefix="meco-ranks-") as folder:
            path = Path(folder) / f"{name}.tiktoken"
            path.write_bytes(rank_file)
            return gigatoken.Tokenizer.from_tiktoken(path, pretokenizer=scheme, special_tokens={})

    return FastEncoder(build)


def for_tokenizers(tokenizer) -> FastEncoder:
    """The encoder for a Hugging Face `tokenizers.Tokenizer`: byte-level BPE only, its special added tokens left
    out so that their text stays text (added tokens that are not special are still matched, as in `tokenizers`
    with `encode_special_tokens`)."""
    text = ""

    def build():
        import gigatoken
        from gigatoken.gigatoken_rs import BPETokenizer

        nonlocal text
        if not text:
            config = json.loads(tokenizer.to_str())
            config["added_tokens"] = [t for t in config.get("added_tokens") or [] if not t.get("special")]
            text = json.dumps(config)
        fast = gigatoken.Tokenizer.from_json(text)
        if not isinstance(fast.backend, BPETokenizer):
            raise ValueError(f"it runs this tokenizer as {type(fast.backend).__name__}, not byte-level BPE")
        return fast

    return FastEncoder(build)
