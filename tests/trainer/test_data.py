"""The packed loader: exact tokens, masks, phase switch, epochs and rank slices."""

import numpy as np
import pytest
import torch

from meco.trainer.config import TrainConfig
from meco.trainer.data import IGNORE, PackedLoader, open_variants, validation_batches
from tests.train_helpers import EOS, make_prepared, train_docs

L = 16


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


def stream(variant: str, order) -> tuple[np.ndarray, np.ndarray]:
    """The expected token stream: documents of `variant` back to back in `order`, and their loss masks."""
    docs = train_docs()
    toks, masks = [], []
    for i in order:
        prefix, body = docs[i]
        p = prefix if variant == "conditioned" else prefix[:0]
        toks.append(np.concatenate([p, body, [EOS]]))
        masks.append(np.concatenate([np.zeros(len(p)), np.ones(len(body) + 1)]))
    return np.concatenate(toks).astype(np.int64), np.concatenate(masks)


def loader(data, **kw):
    return PackedLoader(open_variants(data), L, seed=3, **kw)


def test_packing_is_the_permuted_document_stream(data):
    ld = loader(data)
    perm = np.random.default_rng([3, 0]).permutation(60)
    batch = ld.next_batch(5)
    toks, mask = stream("conditioned", perm)
    expected = toks[: 5 * (L + 1)].reshape(5, L + 1)
    assert torch.equal(batch.inputs, torch.from_numpy(expected[:, :-1]))
    labels = np.where(mask[: 5 * (L + 1)].reshape(5, L + 1)[:, 1:] == 1, expected[:, 1:], IGNORE)
    assert torch.equal(batch.labels, torch.from_numpy(labels))  # prefix tokens are never targets
    assert (batch.labels == IGNORE).sum() > 0
    # the cursor: 85 tokens consumed, the position inside the permutation follows
    lens = np.cumsum([len(stream("conditioned", [i])[0]) for i in perm])
    index = int(np.searchsorted(lens, 5 * (L + 1), side="right"))
    assert ld.cursor.state_dict() == {
        "epoch": 0,
        "index": index,
        "offset": 5 * (L + 1) - int(lens[index - 1]),
        "variant": "conditioned",
    }


def test_doc_ids_count_documents_inside_each_sequence(data):
    batch = loader(data).next_batch(1)
    toks = batch.inputs[0].numpy()
    ends = np.flatnonzero(toks == EOS)  # a new document starts after each EOS
    expected = np.searchsorted(ends, np.arange(L), side="left")
    assert batch.doc_ids[0].tolist() == expected.tolist()


def test_switch_continues_with_the_next_untouched_document(data):
    ld = loader(data)
    perm = np.random.default_rng([3, 0]).permutation(60)
    ld.next_batch(3)
    c = ld.cursor.state_dict()
    assert c["offset"] > 0  # mid-document: that document counts as seen
    ld.switch("cooldown")
    assert ld.cursor.state_dict() == {"epoch": 0, "index": c["index"] + 1, "offset": 0, "variant": "cooldown"}
    batch = ld.next_batch(2)
    toks, _ = stream("cooldown", perm[c["index"] + 1 :])
    assert torch.equal(batch.inputs, torch.from_numpy(toks[: 2 * (L + 1)].reshape(2, L + 1)[:, :-1]))


def test_standard_mode_reads_cooldown_in_the_same_order(data):
    ld = loader(data, variant="cooldown")
    perm = np.random.default_rng([3, 0]).permutation(60)
    toks, _ = stream("cooldown", perm)
    assert torch.equal(ld.next_batch(4).inputs, torch.from_numpy(toks[: 4 * (L + 1)].reshape(4, L + 1)[:, :-1]))


def test_a_new_epoch_brings_a_new_permutation(data):
    logs = []
    ld = loader(data, variant="cooldown", log=logs.append)
    total = len(stream("cooldown", range(60))[0])
    n = total // (L + 1) + 1  # one sequence more than the epoch holds
    batch = ld.next_batch(n)
    p0, p1 = (np.random.default_rng([3, e]).permutation(60) for e in (0, 1))
    expected = np.concatenate([stream("cooldown", p0)[0], stream("cooldown", p1)[0]])[: n * (L + 1)]
    assert torch.equal(batch.inputs, torch.from_numpy(expected.reshape(n, L + 1)[:, :-1]))
    assert ld.cursor.epoch == 1 and logs == ["data: all 60 documents used; epoch 1 starts with a new permutation"]


def test_ranks_read_disjoint_slices_of_the_same_global_batch(data):
    parts = [loader(data, rank=r, world_size=2) for r in (0, 1)]
    single = loader(data)
    for _ in range(2):  # the second batch checks that the cursors advanced alike
        whole = single.next_batch(4)
        halves = [p.next_batch(4) for p in parts]
        assert torch.equal(torch.cat([h.inputs for h in halves]), whole.inputs)
        assert torch.equal(torch.cat([h.labels for h in halves]), whole.labels)
    assert parts[0].cursor == parts[1].cursor == single.cursor


def test_validation_holds_the_same_documents_in_both_variants(data):
    val = validation_batches(open_variants(data, "val"), L, max_tokens=10_000)
    for variant in ("conditioned", "cooldown"):
        assert val[variant].inputs.shape[1] == L
    targets = {v: b.labels[b.labels != IGNORE] for v, b in val.items()}
    # every body token and EOS is a target once; in cooldown the first body token of the first document
    # has no context (it starts the stream), the others follow the previous EOS
    assert torch.equal(targets["conditioned"][1:], targets["cooldown"])
    assert val["cooldown"].doc_ids.max() == val["conditioned"].doc_ids.max() == 8  # 8 documents + the padding


def test_batch_geometry_is_checked():
    with pytest.raises(ValueError, match="multiple of seq_len x micro_batch x world size = 16 x 3 x 2 = 96"):
        TrainConfig(seq_len=16, micro_batch=3, batch_tokens=128).plan(world_size=2)
    plan = TrainConfig(seq_len=16, micro_batch=2, batch_tokens=128, steps=10, cooldown_fraction=0.25).plan(2)
    assert (plan.steps, plan.accumulation, plan.sequences, plan.switch_step) == (10, 2, 8, 8)
    assert TrainConfig(seq_len=16, micro_batch=2, batch_tokens=128, tokens=1000).plan(1).steps == 8  # ceil(1000 / 128)
    assert TrainConfig(mode="standard", steps=10).plan(1).switch_step == 0


@pytest.mark.parametrize(
    ("steps", "fraction", "switch"),
    [
        (24, 0.1, 22),  # the default run
        (4, 0.1, 3),  # round(0.4) = 0, but the cooldown gets one step
        (1, 0.1, 0),  # the one step is cooldown
        (2, 0.9, 0),
        (4, 0.0, 4),  # no cooldown asked for, none given
    ],
)
def test_the_cooldown_gets_at_least_one_step(steps, fraction, switch):
    assert TrainConfig(steps=steps, cooldown_fraction=fraction).plan(1).switch_step == switch


@pytest.mark.parametrize("option", ["seq_len", "micro_batch", "batch_tokens", "tokens", "steps"])
@pytest.mark.parametrize("value", [0, -1])
def test_sizes_and_budgets_below_one_are_refused(option, value):
    with pytest.raises(ValueError, match=f"^--{option.replace('_', '-')} {value}: must be at least 1$"):
        TrainConfig(**{option: value})


def test_the_default_budget_applies_only_without_tokens_or_steps():
    assert TrainConfig(batch_tokens=2048).plan(1).steps == 24  # 49,152 tokens
    assert TrainConfig(batch_tokens=2048, tokens=1).plan(1).steps == 1


def test_the_data_order_depends_on_seed_and_global_batch_only(data):
    """Any number of ranks reads the same global batches through a phase switch and an epoch boundary, and a
    cursor saved by one number of ranks continues the same stream under another."""
    worlds = {n: [loader(data, rank=r, world_size=n) for r in range(n)] for n in (1, 2, 4)}
    for step in range(12):  # 12 x 8 sequences of 17 tokens: past the 1,207 tokens of an epoch
        if step == 5:
            for parts in worlds.values():
                for part in parts:
                    part.switch("cooldown")
        batches = {n: [p.next_batch(8) for p in parts] for n, parts in worlds.items()}
        for n, parts in batches.items():
            for field in ("inputs", "labels", "doc_ids"):
                joined = torch.cat([getattr(b, field) for b in parts])
                assert torch.equal(joined, getattr(batches[1][0], field)), (step, n, field)
    assert worlds[1][0].cursor.epoch == 1
    state = worlds[4][3].state_dict()
    resumed = [loader(data, rank=r, world_size=2) for r in (0, 1)]
    for part in resumed:
        part.load_state_dict(state)
    whole = worlds[1][0].next_batch(8)
    assert torch.equal(torch.cat([p.next_batch(8).inputs for p in resumed]), whole.inputs)
