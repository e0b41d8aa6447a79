"""The memory plan: close to measured peaks on CPU, and a run that cannot fit refused before any allocation."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from meco.trainer import memory, train
from meco.trainer.cli import train_command
from meco.trainer.model import preset
from tests.train_helpers import make_prepared

REPO = Path(__file__).resolve().parents[2]
MEASURED = [  # blocks dominate; recomputed blocks; FSDP (one rank) with a document mask; the loss dominates
    {"model": "tiny", "seq_len": 512, "micro_batch": 4, "batch_tokens": 4096},
    {"model": "tiny", "seq_len": 512, "micro_batch": 4, "batch_tokens": 4096, "ac": "full"},
    {"model": "tiny", "seq_len": 256, "micro_batch": 4, "batch_tokens": 2048, "ac": "selective", "doc_mask": True,
     "parallel": "fsdp"},
    {"model": "tiny", "seq_len": 128, "micro_batch": 8, "batch_tokens": 2048, "vocab_size": 32768},
]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to reset the peak RSS")
def test_plan_matches_the_measured_peak_on_cpu(data, tmp_path):
    """Peak resident set growth of two real steps (two micro batches each), in a fresh process: see
    tests/trainer/memory_probe.py for what is measured and why glibc's mmap threshold is fixed."""
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    configs = [json.dumps({**c, "steps": 4}) for c in MEASURED]
    probe = subprocess.run(
        [sys.executable, "-m", "tests.trainer.memory_probe", str(data), str(tmp_path), *configs],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in probe.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == len(MEASURED)
    for config, row in zip(MEASURED, rows, strict=True):
        assert row["measured"] > 30 * 2**20, row  # well above the noise of a few pages
        assert row["planned"] == pytest.approx(row["measured"], rel=0.2), (config, row)


def test_8b_is_refused_before_anything_is_allocated(data, tmp_path, monkeypatch):
    planned = memory.plan(
        preset("8b", vocab_size=128),
        parallel="fsdp",  # --parallel auto shards from 1B parameters, on one rank too
        world_size=1,
        micro_batch=2,
        seq_len=16,
        ac="none",
        device=torch.device("cpu"),
        compiled=False,
    )
    free = memory.available(torch.device("cpu"), 1)
    if free is None or planned.total <= free:
        pytest.skip(f"this machine has room for 8b ({free} bytes free)")

    def no_model(*args, **kwargs):
        raise AssertionError("the model was built")

    monkeypatch.setattr(train, "Transformer", no_model)
    args = ["--model=8b", "--seq-len=16", "--batch-tokens=32", "--micro-batch=2", "--steps=1", "--device=cpu"]
    result = CliRunner().invoke(train_command, [f"--data={data}", f"--out={tmp_path / 'out'}", *args])
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: --model 8b needs about ")
    assert f"; {planned.setup}) but only " in result.output
    assert "GiB is free per rank; shard over more ranks (torchrun --nproc-per-node / --nnodes)" in result.output
    assert not (tmp_path / "out").exists()


def test_fsdp_divides_the_states_and_checkpointing_the_activations():
    """Llama-3-8B, micro batches of 2 x 8,192 tokens on eight 80 GB GPUs: only FSDP with full activation
    checkpointing fits."""
    mc, gpu, gib80 = preset("8b", vocab_size=128256), torch.device("cuda"), 80 * memory.GiB

    def planned(parallel, ac):
        return memory.plan(
            mc, parallel=parallel, world_size=8, micro_batch=2, seq_len=8192, ac=ac, device=gpu, compiled=True
        )

    ddp, fsdp, fsdp_ac = planned("ddp", "none"), planned("fsdp", "none"), planned("fsdp", "full")
    n = mc.num_params()
    assert (ddp.gradients, ddp.optimizer) == (4 * n, 8 * n)
    assert fsdp.optimizer == 8 * n // 8 and 4 * n // 8 < fsdp.gradients < 4 * n // 4
    assert fsdp.activations == ddp.activations > 3 * fsdp_ac.activations
    with pytest.raises(memory.MemoryPlanError, match="--parallel fsdp over more ranks"):
        memory.refuse_if_too_big(ddp, gib80, "8b")
    with pytest.raises(memory.MemoryPlanError, match="lower --micro-batch or --seq-len, or recompute activations"):
        memory.refuse_if_too_big(fsdp, gib80, "8b")
    memory.refuse_if_too_big(fsdp_ac, gib80, "8b")
