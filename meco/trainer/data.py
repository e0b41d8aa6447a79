"""Packed training sequences from memory-mapped meco shards, with a cursor small enough to checkpoint.

One seeded permutation of the documents per epoch; documents go back to back into sequences of
seq_len + 1 tokens (inputs are the first seq_len, targets the last seq_len). The cursor says which
variant is read and where: (epoch, index in the permutation, tokens already used of that document).
Switching variant (MeCo's cooldown) keeps the permutation and moves on to the first document not yet
touched, so no document is seen in both phases. Every rank walks the same global stream and reads only
its own slice of each global batch; skipped sequences cost a look at the index, never a token read.
Held in memory: the shard maps and one permutation (8 bytes per document), never the tokens.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..shards import VARIANTS, ShardFile, ShardFormatError, Shards

IGNORE = -100  # cross_entropy's ignore_index: targets with loss mask 0


@dataclass
class Cursor:
    epoch: int = 0
    index: int = 0  # position in this epoch's permutation
    offset: int = 0  # tokens of the current document already packed
    variant: str = "conditioned"

    def state_dict(self) -> dict:
        return asdict(self)


@dataclass
class Batch:
    """inputs, labels and doc_ids, each (n, seq_len) int64; labels are IGNORE where no loss is taken."""

    inputs: torch.Tensor
    labels: torch.Tensor
    doc_ids: torch.Tensor

    def to(self, device) -> Batch:
        return Batch(*(t.to(device, non_blocking=True) for t in (self.inputs, self.labels, self.doc_ids)))

    def split(self, n: int) -> list[Batch]:
        """Micro batches of n sequences; none for an empty batch (`Tensor.split` would give one empty chunk,
        which the model cannot reshape)."""
        if not len(self.inputs):
            return []
        return [Batch(*t) for t in zip(*(x.split(n) for x in (self.inputs, self.labels, self.doc_ids)), strict=True)]

    @property
    def num_targets(self) -> int:
        return int((self.labels != IGNORE).sum())


def to_batch(tokens: np.ndarray, loss: np.ndarray, doc_ids: np.ndarray) -> Batch:
    """(n, seq_len + 1) packed arrays -> shifted inputs and masked labels."""
    tokens = torch.from_numpy(tokens.astype(np.int64))
    labels = torch.where(torch.from_numpy(loss[:, 1:] != 0), tokens[:, 1:], IGNORE)
    return Batch(tokens[:, :-1].contiguous(), labels, torch.from_numpy(doc_ids[:, :-1].astype(np.int64)))


def open_variants(root, split: str = "train", verify: bool = False) -> dict[str, Shards]:
    """Both variants of a split, checked to hold the same number of documents."""
    shards = {v: Shards.open(root, v, split, verify) for v in VARIANTS}
    counts = {v: len(s) for v, s in shards.items()}
    if len(set(counts.values())) != 1:
        raise ShardFormatError(f"{root}: {split} variants are not document-aligned ({counts} documents)")
    if not len(shards["cooldown"]):
        raise ShardFormatError(f"{root}: the {split} split holds no documents")
    return shards


class PackedLoader:
    """The training stream of one rank; `next_batch` returns this rank's part of the next global batch."""

    def __init__(
        self,
        shards: dict[str, Shards],
        seq_len: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        variant: str = "conditioned",
        log=print,
    ):
        self.shards, self.seq_len, self.seed, self.rank, self.world_size = shards, seq_len, seed, rank, world_size
        self.cursor, self.log = Cursor(variant=variant), log
        self.num_docs = len(shards["cooldown"])
        self._perm_epoch, self._perm = -1, None
        self._pieces: list[tuple[ShardFile, int, int]] = []  # (shard, start, length) copied into this batch

    def state_dict(self) -> dict:
        return self.cursor.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.cursor = Cursor(**state)

    def permutation(self) -> np.ndarray:
        if self._perm_epoch != self.cursor.epoch:
            perm = np.random.default_rng([self.seed, self.cursor.epoch]).permutation(self.num_docs)
            self._perm_epoch, self._perm = self.cursor.epoch, perm.astype(np.min_scalar_type(max(self.num_docs - 1, 0)))
        return self._perm

    def switch(self, variant: str) -> None:
        """Read `variant` from the next untouched document on (a partly packed one counts as seen)."""
        if variant == self.cursor.variant:
            return
        if self.cursor.offset:
            self._next_document()
        self.cursor.variant = variant

    def _next_document(self) -> None:
        c = self.cursor
        c.index, c.offset = c.index + 1, 0
        if c.index == self.num_docs:
            c.epoch, c.index = c.epoch + 1, 0
            self.log(f"data: all {self.num_docs:,} documents used; epoch {c.epoch} starts with a new permutation")

    def _take(self, n: int, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> None:
        """Consume n tokens of the stream, copying them into `out` (tokens, loss, doc ids) unless None."""
        shards, filled, piece = self.shards[self.cursor.variant], 0, 0
        while filled < n:
            shard, j = shards.locate(int(self.permutation()[self.cursor.index]))
            start, end = shard.span(j)
            start += self.cursor.offset
            k = min(end - start, n - filled)
            if out is not None:
                out[0][filled : filled + k] = shard.tokens[start : start + k]
                out[1][filled : filled + k] = shard.loss[start : start + k]
                out[2][filled : filled + k] = piece
                self._pieces.append((shard, start, k))
            filled, piece = filled + k, piece + 1
            self.cursor.offset += k
            if start + k == end:
                self._next_document()

    def next_batch(self, num_sequences: int) -> Batch:
        """Advance over a global batch of `num_sequences`, returning this rank's contiguous share."""
        per_rank = num_sequences // self.world_size
        keep = range(self.rank * per_rank, (self.rank + 1) * per_rank)
        L = self.seq_len + 1
        dtype = np.dtype(self.shards["cooldown"].manifest.token_dtype)
        tokens, loss, doc_ids = (
            np.zeros((per_rank, L), dtype),
            np.zeros((per_rank, L), np.uint8),
            np.zeros((per_rank, L), np.int32),
        )
        self._pieces = []
        for i in range(num_sequences):
            row = i - keep.start
            self._take(L, (tokens[row], loss[row], doc_ids[row]) if i in keep else None)
        check_ids(tokens, self.shards["cooldown"].manifest.vocab_size, self._pieces)
        return to_batch(tokens, loss, doc_ids)


def check_ids(tokens: np.ndarray, vocab_size: int, pieces: list[tuple[ShardFile, int, int]]) -> None:
    """Every id below the vocabulary: a damaged shard must not index past the embedding (on a GPU, a
    device-side assert that names nothing). One vectorised max per batch; `pieces`, the (shard, start,
    length) runs the batch was copied from, are searched only to name the shard."""
    if not tokens.size or int(tokens.max()) < vocab_size:
        return
    for shard, start, k in pieces:
        run = shard.tokens[start : start + k]
        if len(run) and int(run.max()) >= vocab_size:
            at = start + int(np.argmax(run >= vocab_size))
            raise ShardFormatError(
                f"{shard.path}: token {at:,} is id {int(shard.tokens[at]):,}, outside the vocabulary of "
                f"{vocab_size:,}; the shard is damaged"
            )
    raise ShardFormatError(f"a batch holds an id outside the vocabulary of {vocab_size:,}")


def _piece(shards: Shards, i: int) -> tuple[ShardFile, int, int]:
    """Document `i` as (shard, start, length)."""
    shard, j = shards.locate(i)
    start, end = shard.span(j)
    return shard, start, end - start


def validation_batches(shards: dict[str, Shards], seq_len: int, max_tokens: int) -> dict[str, Batch]:
    """The first validation documents (up to `max_tokens` of plain text), packed in order, per variant.

    Both variants hold the same documents, so the two losses differ only by the metadata prefix. Rows
    overlap by one token so that every token but the very first is a target once; the tail is padded
    with masked tokens of a separate document id.
    """
    count, used = 0, 0
    while count < len(shards["cooldown"]) and (
        count == 0 or used + len(shards["cooldown"].document(count)[0]) <= max_tokens
    ):
        used += len(shards["cooldown"].document(count)[0])
        count += 1
    batches = {}
    for variant, s in shards.items():
        docs = [s.document(i) for i in range(count)]
        check_ids(np.concatenate([t for t, _ in docs]), s.manifest.vocab_size, [_piece(s, i) for i in range(count)])
        tokens = np.concatenate([t for t, _ in docs]).astype(np.int64)
        loss = np.concatenate([m for _, m in docs])
        doc_ids = np.repeat(np.arange(count), [len(t) for t, _ in docs])
        pad = -(len(tokens) - 1) % seq_len
        tokens, loss = np.pad(tokens, (0, pad)), np.pad(loss, (0, pad))
        doc_ids = np.pad(doc_ids, (0, pad), constant_values=count)
        rows = [np.lib.stride_tricks.sliding_window_view(a, seq_len + 1)[::seq_len] for a in (tokens, loss, doc_ids)]
        batches[variant] = to_batch(*rows)
    return batches
