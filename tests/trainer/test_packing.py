"""Packing modes, metadata mixing and document-token budgets: exact sequences, exact resume, honest counts."""

import numpy as np
import pytest

from meco.trainer.config import TrainConfig
from meco.trainer.data import PackedLoader, open_variants
from meco.trainer.train import plan_of, train
from tests.train_helpers import EOS, make_prepared, read_metrics, train_docs

L = 16  # seq_len; sequences hold L + 1 tokens


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


def document(i: int, with_prefix: bool) -> tuple[list[int], list[int]]:
    prefix, body = train_docs()[i]
    p = list(prefix) if with_prefix else []
    return p + list(body) + [EOS], [0] * len(p) + [1] * (len(body) + 1)


def rows(loader: PackedLoader, n: int) -> list[tuple[list[int], list[int]]]:
    """n sequences of L + 1 tokens with their loss masks, read back from the batch."""
    batch = loader.next_batch(n)
    out = []
    for inputs, labels in zip(batch.inputs.tolist(), batch.labels.tolist(), strict=True):
        out.append((inputs, [int(t != -100) for t in labels]))
    return out


def permutation(seed: int = 3) -> np.ndarray:
    return np.random.default_rng([seed, 0]).permutation(60)


def test_complete_packing_starts_every_sequence_with_a_document_and_counts_the_overflow(data):
    ld = PackedLoader(open_variants(data), L, seed=3, packing="complete")
    got = rows(ld, 6)
    expected, dropped, docs = [], 0, iter(permutation())
    for _ in range(6):
        seq, mask = [], []
        while len(seq) < L + 1:
            t, m = document(next(docs), True)
            room = L + 1 - len(seq)
            seq, mask = seq + t[:room], mask + m[:room]
            dropped += max(len(t) - room, 0)
        expected.append((seq[:-1], mask[1:]))
    assert got == expected
    assert ld.stats.tokens_dropped == dropped > 0 and ld.cursor.offset == 0


def test_repeat_prefix_gives_every_continued_chunk_its_metadata(data):
    ld = PackedLoader(open_variants(data), L, seed=3, packing="repeat-prefix")
    got = rows(ld, 12)
    # the same packing over plain lists: a document cut at a sequence end opens the next sequence with its
    # prefix again (untrained), then continues where it was cut
    docs = [(*document(i, True), len(train_docs()[i][0])) for i in permutation()]
    expected, i, offset, continued = [], 0, 0, 0
    for _ in range(12):
        seq, mask = [], []
        while len(seq) < L + 1:
            tokens, m, lead = docs[i]
            if offset and not seq:
                seq, mask, offset = tokens[:lead], m[:lead], max(offset, lead)
                continued += 1
            k = min(len(tokens) - offset, L + 1 - len(seq))
            seq, mask = seq + tokens[offset : offset + k], mask + m[offset : offset + k]
            i, offset = (i + 1, 0) if offset + k == len(tokens) else (i, offset + k)
        expected.append((seq[:L], mask[1:]))
    assert got == expected and continued >= 6


def test_concat_is_the_reference_stream(data):
    a = rows(PackedLoader(open_variants(data), L, seed=3, packing="concat"), 5)
    flat = [x for i in permutation() for x in document(i, True)[0]]
    assert [r[0] for r in a] == [flat[k * (L + 1) : k * (L + 1) + L] for k in range(5)]


def test_metadata_mixing_is_decided_by_seed_and_document(data):
    shards = open_variants(data)
    ld = PackedLoader(shards, L, seed=3, packing="concat", metadata_prob=0.5)
    draws = np.random.default_rng([3, 0x6D657461]).random(60) < 0.5
    got = rows(ld, 10)
    flat = [x for i in permutation() for x in document(i, bool(draws[i]))[0]]
    assert [r[0] for r in got] == [flat[k * (L + 1) : k * (L + 1) + L] for k in range(10)]
    share = ld.stats.metadata_share
    assert 0 < share < 1 and ld.stats.documents_with_metadata == sum(
        draws[i] for i in permutation()[: ld.cursor.index + 1]
    )
    # the same draws for every epoch and every rank; cooldown ignores them; p = 0 reads no prefix at all
    assert rows(PackedLoader(shards, L, seed=3, packing="concat", metadata_prob=0.5), 10) == got
    none = PackedLoader(shards, L, seed=3, packing="concat", metadata_prob=0.0)
    assert [r[0] for r in rows(none, 3)] == [r[0] for r in rows(PackedLoader(shards, L, 3, variant="cooldown"), 3)]


RUN = dict(model="debug", seq_len=16, batch_tokens=64, micro_batch=2, steps=8, cooldown_fraction=0.25, lr=1e-2,
           eval_every=0, log_every=100)  # fmt: skip


@pytest.mark.parametrize("options", [dict(packing="complete"), dict(metadata_prob=0.9, cooldown_fraction=0.0)])
def test_resume_is_exact_with_packing_and_mixing(data, tmp_path, options):
    straight = train(TrainConfig(data=str(data), out=str(tmp_path / "a"), **{**RUN, **options}))
    train(TrainConfig(data=str(data), out=str(tmp_path / "b"), stop_after=3, **{**RUN, **options}))
    resumed = train(TrainConfig(data=str(data), out=str(tmp_path / "b"), resume=True, **{**RUN, **options}))
    assert [r["loss"] for r in read_metrics(tmp_path / "a")] == [r["loss"] for r in read_metrics(tmp_path / "b")]
    for key in ("target_tokens", "metadata_share", "tokens_dropped"):
        assert resumed[key] == straight[key]
    if "metadata_prob" in options:
        assert 0.6 < straight["metadata_share"] < 1 and straight["switch_step"] == 8  # no cooldown: mixing alone


def test_a_document_token_budget_gives_both_arms_the_same_text(data, tmp_path):
    budget = {k: v for k, v in RUN.items() if k != "steps"} | dict(document_tokens=900)
    meco = train(TrainConfig(data=str(data), out=str(tmp_path / "meco"), **budget))
    standard = train(TrainConfig(data=str(data), out=str(tmp_path / "std"), mode="standard", **budget))
    assert meco["steps"] > standard["steps"]  # prefixes cost tokens: the meco arm needs more steps
    for arm, mode in ((meco, "meco"), (standard, "standard")):
        assert 900 <= arm["target_tokens"] < 900 + 64  # within one step of the budget
        plan = plan_of(TrainConfig(data=str(data), mode=mode, **budget))  # known before training, as trained
        assert (plan.steps, plan.switch_step) == (arm["steps"], arm["switch_step"])
    with pytest.raises(ValueError, match="give --steps or --document-tokens, not both"):
        TrainConfig(steps=3, document_tokens=10)
