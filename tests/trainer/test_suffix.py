"""Training on appended metadata (`meco prepare --position suffix`): every packing, metadata mixing and the
standard arm give exact sequences, and a run resumes exactly."""

import numpy as np
import pytest

from meco.trainer.config import TrainConfig
from meco.trainer.data import PackedLoader, open_variants
from meco.trainer.train import train
from tests.train_helpers import EOS, make_prepared, read_metrics, train_docs

L = 16


@pytest.fixture(scope="module")
def suffixed(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("suffix"), position="suffix")


@pytest.fixture(scope="module")
def prefixed(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("prefix"))


def document(i: int, with_metadata: bool) -> tuple[list[int], list[int]]:
    """[D, S, EOS] (or [D, EOS]): every token a target, the metadata too."""
    meta, body = train_docs()[i]
    tokens = list(body) + (list(meta) if with_metadata else []) + [EOS]
    return tokens, [1] * len(tokens)


def rows(loader: PackedLoader, n: int) -> list[tuple[list[int], list[int]]]:
    batch = loader.next_batch(n)
    return [
        (inputs, [int(t != -100) for t in labels])
        for inputs, labels in zip(batch.inputs.tolist(), batch.labels.tolist(), strict=True)
    ]


def concat(with_metadata, n: int) -> list[tuple[list[int], list[int]]]:
    perm = np.random.default_rng([3, 0]).permutation(60)
    tokens = [t for i in perm for t in document(i, with_metadata(i))[0]]
    return [(tokens[k * (L + 1) : k * (L + 1) + L], [1] * L) for k in range(n)]


def test_concat_packs_documents_with_their_trained_metadata_after_them(suffixed):
    assert rows(PackedLoader(open_variants(suffixed), L, seed=3, packing="concat"), 8) == concat(lambda i: True, 8)


def test_repeat_prefix_has_no_prefix_to_repeat_and_packs_as_concat(suffixed):
    # no BOS in this vocabulary and the metadata is trained: the untrained lead of a continued chunk is empty
    got = rows(PackedLoader(open_variants(suffixed), L, seed=3, packing="repeat-prefix"), 12)
    assert got == concat(lambda i: True, 12)


def test_complete_packing_drops_the_overflow_metadata_included(suffixed):
    ld = PackedLoader(open_variants(suffixed), L, seed=3, packing="complete")
    docs, expected, dropped = iter(np.random.default_rng([3, 0]).permutation(60)), [], 0
    for _ in range(6):
        seq = []
        while len(seq) < L + 1:
            t, _ = document(next(docs), True)
            room = L + 1 - len(seq)
            seq, dropped = seq + t[:room], dropped + max(len(t) - room, 0)
        expected.append((seq[:L], [1] * L))
    assert rows(ld, 6) == expected and ld.stats.tokens_dropped == dropped > 0


def test_metadata_mixing_reads_each_document_with_or_without_its_suffix(suffixed):
    draws = np.random.default_rng([3, 0x6D657461]).random(60) < 0.5
    ld = PackedLoader(open_variants(suffixed), L, seed=3, packing="concat", metadata_prob=0.5)
    assert rows(ld, 10) == concat(lambda i: bool(draws[i]), 10)


RUN = dict(model="debug", seq_len=16, batch_tokens=64, micro_batch=2, steps=8, cooldown_fraction=0.25, lr=1e-2,
           eval_every=0, log_every=100)  # fmt: skip


def test_the_standard_arm_trains_the_same_documents_whatever_the_metadata_position(suffixed, prefixed, tmp_path):
    a = train(TrainConfig(data=str(suffixed), out=str(tmp_path / "s"), mode="standard", **RUN))
    b = train(TrainConfig(data=str(prefixed), out=str(tmp_path / "p"), mode="standard", **RUN))
    assert [r["loss"] for r in read_metrics(tmp_path / "s")] == [r["loss"] for r in read_metrics(tmp_path / "p")]
    assert a["target_tokens"] == b["target_tokens"]


def test_a_run_on_suffix_data_resumes_exactly(suffixed, tmp_path):
    straight = train(TrainConfig(data=str(suffixed), out=str(tmp_path / "a"), **RUN))
    train(TrainConfig(data=str(suffixed), out=str(tmp_path / "b"), stop_after=3, **RUN))
    resumed = train(TrainConfig(data=str(suffixed), out=str(tmp_path / "b"), resume=True, **RUN))
    assert [r["loss"] for r in read_metrics(tmp_path / "a")] == [r["loss"] for r in read_metrics(tmp_path / "b")]
    assert resumed["target_tokens"] == straight["target_tokens"] and straight["switch_step"] == 6


def test_a_document_token_budget_does_not_count_the_trained_metadata_as_text(suffixed, prefixed, tmp_path):
    budget = {k: v for k, v in RUN.items() if k != "steps"} | dict(document_tokens=900, packing="concat")
    suffix = train(TrainConfig(data=str(suffixed), out=str(tmp_path / "s"), **budget))
    prefix = train(TrainConfig(data=str(prefixed), out=str(tmp_path / "p"), **budget))
    standard = train(TrainConfig(data=str(suffixed), out=str(tmp_path / "std"), mode="standard", **budget))
    assert suffix["steps"] == prefix["steps"] > standard["steps"]  # the same metadata tokens, before or after
    assert suffix["target_tokens"] > 900 + 64  # metadata targets on top of the budgeted text
