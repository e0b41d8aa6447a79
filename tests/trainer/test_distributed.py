"""FSDP and distributed checkpoints on gloo: the same numbers as one process, and resume on any number of ranks."""

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from meco.trainer import checkpoint
from meco.trainer.config import TrainConfig
from meco.trainer.data import IGNORE, Batch
from meco.trainer.model import Transformer
from meco.trainer.train import build_optimizer
from tests.train_helpers import make_prepared, read_metrics
from tests.trainer.test_run import run, torchrun


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def straight(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    run(data, out)
    return out


def losses(out) -> list[float]:
    return [r["loss"] for r in read_metrics(out)]


def weights(out, step: int) -> dict[str, torch.Tensor]:
    return checkpoint.load_model(checkpoint.step_dir(out, step))[0].state_dict()


def test_fsdp_on_two_processes_equals_one_process_and_resumes_on_any_number(data, straight, tmp_path):
    torchrun(data, tmp_path / "fsdp", "--parallel=fsdp", "--save-every=3")
    fsdp, single = read_metrics(tmp_path / "fsdp"), read_metrics(straight)
    assert [r["phase"] for r in fsdp] == [r["phase"] for r in single]
    np.testing.assert_allclose(losses(tmp_path / "fsdp"), losses(straight), rtol=1e-6, atol=0)
    for variant in ("conditioned", "cooldown"):
        np.testing.assert_allclose(
            [r[f"val_loss_{variant}"] for r in fsdp if f"val_loss_{variant}" in r],
            [r[f"val_loss_{variant}"] for r in single if f"val_loss_{variant}" in r],
            rtol=1e-6,
        )
    sharded, whole = weights(tmp_path / "fsdp", 8), weights(straight, 8)  # read without a process group
    assert sharded.keys() == whole.keys()
    for name in whole:
        torch.testing.assert_close(sharded[name], whole[name], rtol=0, atol=1e-5, msg=name)
    assert sorted(p.name for p in (tmp_path / "fsdp/checkpoints/step-0000003").iterdir()) == [
        "model",
        "optimizer",
        "rng.pt",
        "state.json",
    ]

    # 2 -> 1: the sharded checkpoint of step 3, resumed by one process holding whole tensors
    shutil.copytree(tmp_path / "fsdp", tmp_path / "two-to-one")
    for step in (6, 8):
        shutil.rmtree(checkpoint.step_dir(tmp_path / "two-to-one", step))
    run(data, tmp_path / "two-to-one", resume=True)
    np.testing.assert_allclose(losses(tmp_path / "two-to-one"), losses(straight), rtol=1e-6, atol=0)

    # 1 -> 2: one process's checkpoint of step 5, resumed by two processes sharding it
    run(data, tmp_path / "one-to-two", stop_after=5)
    torchrun(data, tmp_path / "one-to-two", "--parallel=fsdp", "--resume")
    np.testing.assert_allclose(losses(tmp_path / "one-to-two"), losses(straight), rtol=1e-6, atol=0)


def test_checkpointing_and_fsdp_on_one_process_change_no_number(data, straight, tmp_path):
    """FSDP over a group of one (no torchrun) with every other block recomputed in backward."""
    run(data, tmp_path, parallel="fsdp", ac="selective")
    np.testing.assert_allclose(losses(tmp_path), losses(straight), rtol=1e-6, atol=0)


def to_earlier_layout(folder, data) -> None:
    """Rewrite a checkpoint as meco wrote them before distributed checkpoints: model.pt, optimizer.pt
    (the optimizer's own state dict, keyed by position), rng-0.pt, and their digests in state.json."""
    state = checkpoint.CheckpointState.read(folder)
    model = Transformer(state.model_config(), state.seq_len)
    optimizer = build_optimizer(model, TrainConfig(data=str(data)), torch.device("cpu"))
    checkpoint.load(folder, model, optimizer, state.model_config())
    torch.save(model.state_dict(), folder / "model.pt")
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    (folder / "rng.pt").rename(folder / "rng-0.pt")
    shutil.rmtree(folder / "model")
    shutil.rmtree(folder / "optimizer")
    state = replace(state, files=checkpoint.digests(folder))
    (folder / "state.json").write_text(json.dumps(state.to_json()))


def test_checkpoints_of_the_earlier_layout_still_load_and_resume(data, straight, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(straight, out)
    shutil.rmtree(checkpoint.step_dir(out, 8))
    to_earlier_layout(checkpoint.step_dir(out, 6), data)
    assert checkpoint.resolve(out) == checkpoint.step_dir(out, 6)
    for name, tensor in weights(straight, 6).items():
        assert torch.equal(weights(out, 6)[name], tensor), name
    with pytest.raises(
        checkpoint.CheckpointError, match="written before sharded checkpoints; resume it with --parallel ddp"
    ):
        run(data, out, resume=True, parallel="fsdp")
    run(data, out, resume=True)
    assert losses(out) == losses(straight)


def test_each_rank_evaluates_as_many_rows_as_the_others():
    rows = torch.arange(5 * 3).view(5, 3)
    batch = Batch(rows, rows.clone(), rows // 100)
    shares = [batch.share(rank, 2) for rank in range(2)]
    assert [len(s.inputs) for s in shares] == [3, 3]
    assert shares[0].inputs.tolist() == rows[0::2].tolist()
    assert shares[1].inputs[:2].tolist() == rows[1::2].tolist() and (shares[1].labels[2] == IGNORE).all()
    assert sum(s.num_targets for s in shares) == batch.num_targets
