"""Whole runs of the debug model: exact resume, the phase switch, checkpoints, metrics, DDP."""

import json
import math
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from meco.trainer.config import TrainConfig
from meco.trainer.data import PackedLoader, open_variants, validation_batches
from meco.trainer.metrics import summary_line
from meco.trainer.train import train
from tests.train_helpers import make_prepared, read_metrics

RUN = {
    "model": "debug",
    "seq_len": 16,
    "batch_tokens": 64,
    "micro_batch": 2,
    "steps": 8,
    "cooldown_fraction": 0.25,
    "eval_every": 4,
    "val_tokens": 200,
    "log_every": 100,
    "lr": 1e-2,
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


def run(data, out, **kw):
    return train(TrainConfig(data=str(data), out=str(out), **{**RUN, **kw}))


@pytest.fixture(scope="module")
def straight(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    run(data, out)
    return out


def test_metrics_and_phase_switch(data, straight):
    m = read_metrics(straight)
    assert [r["step"] for r in m] == list(range(1, 9))
    assert [r["tokens"] for r in m] == [64 * s for s in range(1, 9)]
    assert [r["phase"] for r in m] == ["conditioned"] * 6 + ["cooldown"] * 2  # 75% of 8 steps = 384 tokens
    assert all(np.isfinite(r["loss"]) and r["mfu"] is None and r["tokens_per_s"] > 0 for r in m)
    assert [sorted(k for k in r if k.startswith("val")) for r in m if "val_loss_cooldown" in r] == [
        ["val_loss_conditioned", "val_loss_cooldown"]
    ] * 2
    assert m[0]["lr"] == pytest.approx(1e-2, rel=1e-12)  # round(5% of 8) = 0 warmup steps
    assert m[-1]["lr"] == pytest.approx(1e-3 + 9e-3 * 0.5 * (1 + math.cos(math.pi * 7 / 8)), rel=1e-12)  # one schedule
    assert [p.name for p in sorted((straight / "checkpoints").iterdir())] == ["step-0000006", "step-0000008"]
    state = json.loads((straight / "checkpoints/step-0000006/state.json").read_text())
    assert state["cursor"]["variant"] == "conditioned" and state["tokens"] == 384
    end = json.loads((straight / "checkpoints/step-0000008/state.json").read_text())
    # the same cursors as the loader alone: 6 batches of conditioned, the switch, 2 batches of cooldown
    loader = PackedLoader(open_variants(data), 16, seed=0, packing=TrainConfig().packing)
    for _ in range(6):
        loader.next_batch(4)
    assert state["cursor"] == loader.state_dict() | {"stats": state["cursor"]["stats"]}
    assert state["cursor"]["stats"]["target_tokens"] == m[5]["target_tokens"]  # the loop's count of trained tokens
    conditioned_docs = loader.cursor.index + (loader.cursor.offset > 0)
    loader.switch("cooldown")
    assert loader.cursor.state_dict() == {"epoch": 0, "index": conditioned_docs, "offset": 0, "variant": "cooldown"}
    for _ in range(2):
        loader.next_batch(4)
    assert end["cursor"] == loader.state_dict() | {"stats": end["cursor"]["stats"]}
    summary = json.loads((straight / "summary.json").read_text())
    assert summary["steps"] == 8 and summary["tokens"] == 512 and summary["switch_step"] == 6


def test_golden_losses(straight):
    """The debug run's losses, recorded on CPU (torch 2.13); a change here means the numerics changed.
    Regenerate tests/assets/debug_losses.txt only for an intended change, and say why in the commit."""
    golden = [line.split() for line in (Path(__file__).parent / "assets/debug_losses.txt").read_text().splitlines()]
    m = read_metrics(straight)
    assert [(str(r["step"]), r["phase"]) for r in m] == [(step, phase) for step, phase, _ in golden]
    np.testing.assert_allclose([r["loss"] for r in m], [float(loss) for *_, loss in golden], rtol=1e-5, atol=0)


@pytest.mark.parametrize("half", [3, 6, 7])  # before the switch, at it, after it
def test_resume_gives_identical_losses(data, straight, tmp_path, half):
    run(data, tmp_path, stop_after=half)
    assert len(read_metrics(tmp_path)) == half
    (tmp_path / "checkpoints/.tmp-step-0000099").mkdir()  # a save killed half-way is never resumed from
    run(data, tmp_path, resume=True)
    assert [r["loss"] for r in read_metrics(tmp_path)] == [r["loss"] for r in read_metrics(straight)]
    assert [r.get("val_loss_conditioned") for r in read_metrics(tmp_path)] == [
        r.get("val_loss_conditioned") for r in read_metrics(straight)
    ]


def test_resuming_a_finished_run_trains_nothing_and_keeps_its_summary(data, tmp_path, capsys):
    run(data, tmp_path, steps=2, eval_every=0)
    written = (tmp_path / "summary.json").read_text()
    for extra in ({}, {"stop_after": 1}):  # the budget spent; a stop before the checkpoint at step 2
        assert run(data, tmp_path, steps=2, eval_every=0, resume=True, **extra) == json.loads(written)
        assert (tmp_path / "summary.json").read_text() == written
        assert len(read_metrics(tmp_path)) == 2
    out = capsys.readouterr().out
    assert (
        f"train: {tmp_path} is already at step 2 (this run would stop at 2); nothing to train, "
        "summary.json left as it is"
    ) in out
    assert f"train: {tmp_path} is already at step 2 (this run would stop at 1)" in out


def test_summary_line_without_a_loss():
    summary = {
        "steps": 0,
        "tokens": 0,
        "switch_step": 0,
        "final_loss": None,
        "val_loss_conditioned": None,
        "val_loss_cooldown": 2.5,
        "tokens_per_s": 0.0,
        "wall_s": 0.25,
        "out": "run",
    }
    assert summary_line(summary) == (
        "summary: 0 steps, 0 tokens (cooldown from step 0), final loss n/a, held-out loss "
        "n/a with metadata / 2.5000 without, 0 tokens/s, 0.2 s -> run/summary.json"
    )


def test_a_meco_run_too_short_for_a_conditioned_step_says_so(data, tmp_path, capsys):
    run(data, tmp_path, steps=1, eval_every=0)
    assert [r["phase"] for r in read_metrics(tmp_path)] == ["cooldown"]
    assert (
        "train: no conditioned step in a run of 1 at --cooldown-fraction 0.25; the whole run is cooldown"
        in capsys.readouterr().out
    )


def test_standard_mode_reads_plain_documents_throughout(data, tmp_path):
    run(data, tmp_path, mode="standard", steps=3, save_every=2)
    assert [r["phase"] for r in read_metrics(tmp_path)] == ["cooldown"] * 3
    assert [p.name for p in sorted((tmp_path / "checkpoints").iterdir())] == ["step-0000002", "step-0000003"]


def free_port() -> int:
    """A port nothing listens on now, so parallel test runs never share a rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(data, out, *extra):
    args = [f"--{k.replace('_', '-')}={v}" for k, v in RUN.items()]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node=2",
            f"--master-port={free_port()}",
            "-m",
            "meco.trainer",
            f"--data={data}",
            f"--out={out}",
            *args,
            *extra,
        ],
        check=True,
        env=env,
        capture_output=True,
    )


def test_ddp_on_two_gloo_processes_equals_one_process_and_resumes_exactly(data, straight, tmp_path):
    torchrun(data, tmp_path / "ddp")
    ddp, single = read_metrics(tmp_path / "ddp"), read_metrics(straight)
    assert [r["phase"] for r in ddp] == [r["phase"] for r in single]
    # the same global batches; only the order of floating-point sums differs (all-reduce vs accumulation)
    np.testing.assert_allclose([r["loss"] for r in ddp], [r["loss"] for r in single], rtol=1e-5, atol=0)
    np.testing.assert_allclose(
        [r["val_loss_cooldown"] for r in ddp if "val_loss_cooldown" in r],
        [r["val_loss_cooldown"] for r in single if "val_loss_cooldown" in r],
        rtol=1e-5,
    )
    assert sorted(p.name for p in (tmp_path / "ddp/checkpoints/step-0000008").iterdir()) == [
        "model",
        "optimizer",
        "rng.pt",
        "state.json",
    ]
    torchrun(data, tmp_path / "resumed", "--stop-after=7")  # stops after the switch at step 6
    torchrun(data, tmp_path / "resumed", "--resume")
    assert [r["loss"] for r in read_metrics(tmp_path / "resumed")] == [r["loss"] for r in ddp]


def test_ddp_evaluates_a_validation_set_smaller_than_the_ranks(data, tmp_path):
    """One validation row on two ranks: rank 1 evaluates a padding row without targets, adding (0, 0)."""
    small = {"seq_len": 64, "batch_tokens": 256, "steps": 2, "eval_every": 1, "val_tokens": 1}
    assert len(validation_batches(open_variants(data, "val"), 64, 1)["cooldown"].inputs) == 1
    torchrun(data, tmp_path / "ddp", *(f"--{k.replace('_', '-')}={v}" for k, v in small.items()))
    run(data, tmp_path / "single", **small, micro_batch=4)  # the same global batch on one rank
    ddp, single = read_metrics(tmp_path / "ddp"), read_metrics(tmp_path / "single")
    for variant in ("conditioned", "cooldown"):
        np.testing.assert_allclose(
            [r[f"val_loss_{variant}"] for r in ddp], [r[f"val_loss_{variant}"] for r in single], rtol=1e-5, atol=0
        )


def test_budget_beyond_the_data_starts_a_new_epoch(data, tmp_path, capsys):
    summary = run(data, tmp_path, mode="standard", steps=30, eval_every=0)  # 1,920 tokens; the data holds 1,207
    assert summary["epoch"] == 1
    assert "data: all 60 documents used; epoch 1 starts with a new permutation" in capsys.readouterr().out


def test_doc_mask_run_resumes_exactly(data, tmp_path):
    run(data, tmp_path / "a", doc_mask=True, steps=4)
    run(data, tmp_path / "b", doc_mask=True, steps=4, stop_after=2)
    run(data, tmp_path / "b", doc_mask=True, steps=4, resume=True)
    assert [r["loss"] for r in read_metrics(tmp_path / "a")] == [r["loss"] for r in read_metrics(tmp_path / "b")]


def test_progress_bar_on_a_terminal_and_a_summary_line(data, tmp_path):
    """stderr on a pseudo-terminal gets tqdm's bar with phase and loss; stdout gets the summary sentence."""
    import fcntl
    import pty
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a terminal has a size
    args = [f"--{k.replace('_', '-')}={v}" for k, v in RUN.items()]
    proc = subprocess.run(
        [sys.executable, "-m", "meco.cli", "train", "--data", str(data), "--out", str(tmp_path / "o"), *args],
        stderr=secondary,
        stdout=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 1 << 16)
        except OSError:  # EIO: the writer is gone and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    bar = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "8/8" in bar and "phase=cooldown" in bar and "loss=" in bar
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (
        f"summary: 8 steps, 512 tokens (cooldown from step 6), final loss {summary['final_loss']:.4f}, held-out loss"
        in proc.stdout
    )


def test_shape_options_override_the_preset_and_reach_inference(data, tmp_path):
    from meco.inference.loading import load
    from meco.trainer.model import PRESETS

    threads = torch.get_num_threads()
    try:
        run(data, tmp_path, steps=2, layers=3, dim=48, heads=6, kv_heads=3, ffn_dim=80, threads=1)
        assert torch.get_num_threads() == 1  # --threads
    finally:
        torch.set_num_threads(threads)
    state = json.loads((tmp_path / "checkpoints" / "step-0000002" / "state.json").read_text())
    shape = {"n_layers": 3, "dim": 48, "n_heads": 6, "n_kv_heads": 3, "ffn_dim": 80}
    assert {k: state["model"][k] for k in shape} == shape
    loaded = load(tmp_path)
    assert loaded.config == replace(PRESETS["debug"], vocab_size=128, **shape)
    assert len(loaded.model.layers) == 3 and loaded.model.embed.weight.shape == (128, 48)
    assert loaded.model.layers[0].attn.wk.weight.shape == (3 * 8, 48)
    kept = TrainConfig(model="debug", dim=64).shape_overrides()
    assert kept == {"dim": 64}  # options not given keep the preset's values
