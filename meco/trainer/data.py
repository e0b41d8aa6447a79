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

from ..errors import OptionError
from ..shards import VARIANTS, ShardFile, ShardFormatError, Shards
from .config import PACKINGS

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

    def share(self, rank: int, world_size: int) -> Batch:
        """Rows rank, rank + world_size, ... padded with rows that have no targets to ceil(n / world_size),
        so every rank runs the same number of forward passes (FSDP's all-gathers pair up across ranks);
        the padding adds nothing to a loss sum or a target count."""
        rows = -(-len(self.inputs) // world_size)
        mine = [t[rank::world_size] for t in (self.inputs, self.labels, self.doc_ids)]
        pad = rows - len(mine[0])
        if pad:
            filler = (self.inputs[:1], torch.full_like(self.labels[:1], IGNORE), self.doc_ids[:1])
            mine = [torch.cat([t, f.expand(pad, -1)]) for t, f in zip(mine, filler, strict=True)]
        return Batch(*mine)

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


@dataclass
class StreamStats:
    """What the stream has delivered so far (all ranks alike): checkpointed with the cursor."""

    documents_with_metadata: int = 0  # documents started from `conditioned` (with their prefix)
    documents_without_metadata: int = 0  # documents started from `cooldown`
    tokens_dropped: int = 0  # document tokens never trained: `complete` packing's overflow
    target_tokens: int = 0  # tokens trained on (counted by the loop from each global batch)

    @property
    def metadata_share(self) -> float | None:
        started = self.documents_with_metadata + self.documents_without_metadata
        return self.documents_with_metadata / started if started else None


class PackedLoader:
    """The training stream of one rank; `next_batch` returns this rank's part of the next global batch.

    Packing (`packing`): `concat` puts documents back to back, a document cut at a sequence end continuing at
    the start of the next; `complete` starts every sequence with a document and drops a document's overflow
    past the sequence end (MeCo's packing); `repeat-prefix` is `concat`, but a continued document begins its
    new sequence with its untrained lead again (BOS and metadata prefix), so every chunk of a page is
    trained with its metadata in view (bigscience's metadata training). With `metadata_prob` < 1 each
    document of the conditioned phase is read from `conditioned` with that probability and from `cooldown`
    otherwise, decided by the seed and the document alone (metadata mixing).
    """

    def __init__(
        self,
        shards: dict[str, Shards],
        seq_len: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        variant: str = "conditioned",
        log=print,
        packing: str = "concat",
        metadata_prob: float = 1.0,
    ):
        if packing not in PACKINGS:
            raise OptionError(f"--packing {packing!r}: choose from {', '.join(PACKINGS)}")
        self.shards, self.seq_len, self.seed, self.rank, self.world_size = shards, seq_len, seed, rank, world_size
        self.cursor, self.stats, self.log = Cursor(variant=variant), StreamStats(), log
        self.packing, self.metadata_prob = packing, metadata_prob
        self.num_docs = len(shards["cooldown"])
        self._perm_epoch, self._perm = -1, None
        self._with_metadata = None  # per document: read from `conditioned` in the conditioned phase
        self._pieces: list[tuple[ShardFile, int, int]] = []  # (shard, start, length) copied into this batch

    def state_dict(self) -> dict:
        return self.cursor.state_dict() | {"stats": asdict(self.stats)}

    def load_state_dict(self, state: dict) -> None:
        state = dict(state)
        self.stats = StreamStats(**state.pop("stats", {}))  # checkpoints from before the counts: zeros
        self.cursor = Cursor(**state)

    def permutation(self) -> np.ndarray:
        if self._perm_epoch != self.cursor.epoch:
            perm = np.random.default_rng([self.seed, self.cursor.epoch]).permutation(self.num_docs)
            self._perm_epoch, self._perm = self.cursor.epoch, perm.astype(np.min_scalar_type(max(self.num_docs - 1, 0)))
        return self._perm

    def document_variant(self, doc: int) -> str:
        """The variant document `doc` is read from in the current phase."""
        if self.cursor.variant == "cooldown" or self.metadata_prob >= 1:
            return self.cursor.variant
        if self._with_metadata is None:  # one draw per document, the same in every epoch and on every rank
            draws = np.random.default_rng([self.seed, 0x6D657461]).random(self.num_docs)
            self._with_metadata = draws < self.metadata_prob
        return "conditioned" if self._with_metadata[doc] else "cooldown"

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

    def _sequence(self, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> None:
        """Consume one sequence of seq_len + 1 tokens, copying it into `out` (tokens, loss, doc ids) unless None."""
        n, filled, piece, c = self.seq_len + 1, 0, 0, self.cursor
        while filled < n:
            doc = int(self.permutation()[c.index])
            variant = self.document_variant(doc)
            shard, j = self.shards[variant].locate(doc)
            start, end = shard.span(j)
            if c.offset == 0:
                if variant == "conditioned":
                    self.stats.documents_with_metadata += 1
                else:
                    self.stats.documents_without_metadata += 1
            elif filled == 0 and self.packing == "repeat-prefix":
                head = shard.loss[start : min(end, start + n)]  # BOS and prefix: the untrained run before the text
                lead = int(head.argmax()) if head.any() else len(head)
                if 0 < lead < n // 2:  # a prefix that would crowd out the text is not repeated
                    self._copy(out, shard, start, start + lead, filled, piece)
                    filled, c.offset = lead, max(c.offset, lead)  # cut inside its prefix: the prefix once, whole
            k = min(end - start - c.offset, n - filled)
            self._copy(out, shard, start + c.offset, start + c.offset + k, filled, piece)
            filled, piece = filled + k, piece + 1
            c.offset += k
            if start + c.offset == end:
                self._next_document()
            elif self.packing == "complete" and filled == n:  # the overflow of the last document is dropped
                self.stats.tokens_dropped += end - start - c.offset
                self._next_document()

    def _copy(self, out, shard, lo: int, hi: int, at: int, piece: int) -> None:
        if out is not None:
            out[0][at : at + hi - lo] = shard.tokens[lo:hi]
            out[1][at : at + hi - lo] = shard.loss[lo:hi]
            out[2][at : at + hi - lo] = piece
            self._pieces.append((shard, lo, hi - lo))

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
            self._sequence((tokens[row], loss[row], doc_ids[row]) if i in keep else None)
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
