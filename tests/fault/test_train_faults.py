"""`meco train` under faults: kills at random moments, damaged checkpoints and metrics, non-finite steps,
resumes that do not fit their checkpoint, a full disk. Each damage is an error naming the file, or a
fallback with a warning; nothing damaged is ever trained on."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from meco.trainer import checkpoint
from meco.trainer.checkpoint import CheckpointError
from meco.trainer.config import TrainConfig
from meco.trainer.schedule import Schedule
from meco.trainer.train import NonFiniteError, train
from tests.train_helpers import make_prepared, read_metrics

RUN = {
    "model": "debug",
    "seq_len": 16,
    "batch_tokens": 64,
    "micro_batch": 2,
    "steps": 8,
    "cooldown_fraction": 0.25,  # the switch checkpoint: step 6
    "save_every": 2,
    "eval_every": 4,
    "val_tokens": 200,
    "log_every": 100,
    "lr": 1e-2,
}
FILES = ("model/.metadata", "model/__0_0.distcp", "optimizer/__0_0.distcp", "rng.pt", "state.json")


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


@pytest.fixture
def copy(straight, tmp_path):
    """The finished run, to damage."""
    return shutil.copytree(straight, tmp_path / "run")


def strict_records(out: Path) -> list[dict]:
    """metrics.jsonl read as strict JSON: NaN or Infinity literals fail."""

    def refuse(name):
        raise ValueError(f"{name} in metrics.jsonl")

    return [json.loads(line, parse_constant=refuse) for line in (out / "metrics.jsonl").read_text().splitlines()]


def flip_bit(path: Path, offset: int | None = None) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 if offset is None else offset] ^= 0x10
    path.write_bytes(bytes(raw))


def losses(out: Path) -> list:
    return [(r["step"], r["loss"], r.get("val_loss_cooldown")) for r in read_metrics(out)]


# ----------------------------------------------------------------------------------------------------------
# kills


def test_kills_at_random_moments_leave_only_whole_checkpoints_and_resume_exactly(tmp_path):
    """SIGKILL `meco train` at seeded random moments (most land in a checkpoint save); after every kill each
    final-named checkpoint verifies, and every resumed run's losses equal the uninterrupted run's.
    MECO_FAULT_ROUNDS sets the number of kills (bench/train_faults.py runs 50)."""
    kills = int(os.environ.get("MECO_FAULT_ROUNDS", "5"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fault.train_kills", f"--work={tmp_path}", f"--kills={kills}", "--seed=0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120 + 20 * kills,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["kills"] == kills and report["runs_completed"] >= 1
    assert report["kills_in_save"] >= 1  # the seeded delays do hit a save in progress


# ----------------------------------------------------------------------------------------------------------
# non-finite steps


def test_a_non_finite_step_stops_naming_it_and_the_last_good_checkpoint(data, tmp_path):
    """At --lr 1e30 step 2's loss is still finite but its gradient norm is NaN: checking the loss alone would
    let it into the weights."""
    with pytest.raises(NonFiniteError) as e:
        run(data, tmp_path, lr=1e30, steps=4, save_every=1, eval_every=0)
    good = tmp_path / "checkpoints/step-0000001"
    assert str(e.value).startswith("step 2: loss ")
    assert f"not finite, so the weights were not updated; the last good checkpoint is {good}." in str(e.value)
    assert "--skip-nonfinite N" in str(e.value)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-0000001"]
    assert [r["step"] for r in strict_records(tmp_path)] == [1]


def test_skip_nonfinite_skips_without_updating_and_counts(data, tmp_path):
    summary = run(data, tmp_path / "a", lr=1e30, steps=4, save_every=1, eval_every=0, skip_nonfinite=3)
    records = strict_records(tmp_path / "a")
    assert [(r["loss"] is None or r["grad_norm"] is None, r.get("skipped", False)) for r in records] == [
        (False, False)
    ] + [(True, True)] * 3
    assert summary["skipped_steps"] == 3
    first, last = (checkpoint.load_model(tmp_path / f"a/checkpoints/step-000000{i}")[0].state_dict() for i in (1, 4))
    assert all(torch.equal(first[k], last[k]) for k in first)  # the skipped steps never touched the weights
    # the count is part of the run: a resumed run goes on counting, and stops past the limit
    run(data, tmp_path / "b", lr=1e30, steps=4, save_every=1, eval_every=0, skip_nonfinite=3, stop_after=3)
    with pytest.raises(NonFiniteError, match=r"^step 4: .* \(2 skipped so far\)"):
        run(data, tmp_path / "b", lr=1e30, steps=4, save_every=1, eval_every=0, skip_nonfinite=2, resume=True)


# ----------------------------------------------------------------------------------------------------------
# damaged checkpoints


@pytest.mark.parametrize("name", FILES)
def test_a_flipped_bit_in_any_checkpoint_file_is_named_and_resume_falls_back(data, straight, copy, name, capsys):
    newest, previous = copy / "checkpoints/step-0000008", copy / "checkpoints/step-0000006"
    flip_bit(newest / name)
    with pytest.raises(CheckpointError, match=f"^{newest / name}: "):
        checkpoint.verify(newest)
    with pytest.raises(CheckpointError, match=f"^{newest / name}: "):
        checkpoint.resolve(newest)  # a checkpoint named explicitly is never replaced by another
    warnings = []
    assert checkpoint.resolve(copy, warnings.append) == previous  # `meco generate/eval RUN`
    assert len(warnings) == 1 and warnings[0].startswith(f"{newest / name}: ")
    assert warnings[0].endswith(f"; using the previous complete checkpoint, {previous}")
    run(data, copy, resume=True)
    assert f"warning: {newest / name}: " in capsys.readouterr().out
    assert losses(copy) == losses(straight)  # steps 7 and 8 trained again, exactly
    checkpoint.verify(newest)  # and the damaged checkpoint replaced by a good one


@pytest.mark.parametrize("damage", ["truncated", "deleted", "empty"])
@pytest.mark.parametrize("name", FILES)
def test_an_incomplete_checkpoint_is_named(copy, name, damage):
    newest = copy / "checkpoints/step-0000008"
    path = newest / name
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-7])
    elif damage == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=f"^{path}: "):
        checkpoint.verify(newest)
    assert checkpoint.newest(copy, lambda message: None) == copy / "checkpoints/step-0000006"


def test_an_edited_value_in_state_json_is_detected(copy):
    newest = copy / "checkpoints/step-0000008"
    state = json.loads((newest / "state.json").read_text())
    state["cursor"]["index"] += 1  # valid JSON, a silently different data position
    (newest / "state.json").write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match=f"^{newest / 'state.json'}: its content does not match"):
        checkpoint.verify(newest)


def test_when_every_checkpoint_is_damaged_the_newest_error_is_raised(copy):
    for step in (2, 4, 6, 8):
        flip_bit(copy / f"checkpoints/step-{step:07d}/model/__0_0.distcp")
    with pytest.raises(CheckpointError, match=r"step-0000008/model/__0_0.distcp: sha256 does not match .* no earlier"):
        checkpoint.newest(copy, lambda message: None)


def test_a_checkpoint_without_digests_loads_with_a_warning_and_unreadable_files_are_named(data, straight, copy):
    """Checkpoints of meco before digests stay readable; a file torch cannot read is one error naming it."""
    newest = copy / "checkpoints/step-0000008"
    for folder in (copy / "checkpoints").iterdir():
        state = json.loads((folder / "state.json").read_text())
        del state["files"], state["state_sha256"], state["data_sha256"], state["skipped"]
        (folder / "state.json").write_text(json.dumps(state))
    warnings = []
    assert checkpoint.resolve(copy, warnings.append) == newest
    assert warnings == [f"{newest}: written without sha256 digests (an older meco); loading it unverified"]
    model, _ = checkpoint.load_model(newest)
    (newest / "model/__0_0.distcp").write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match=f"^{newest / 'model'}: cannot be read .*; the checkpoint is damaged"):
        checkpoint.load_model(newest)


# ----------------------------------------------------------------------------------------------------------
# metrics.jsonl


def test_a_cut_last_metrics_line_is_dropped_with_a_warning(data, straight, tmp_path, capsys):
    run(data, tmp_path, stop_after=4)
    metrics = tmp_path / "metrics.jsonl"
    with metrics.open("a") as f:
        f.write('{"step": 5, "tokens": 320, "phase": "cond')  # killed in the middle of a write
    run(data, tmp_path, resume=True)
    assert f"warning: {metrics}: dropped line 5, not a complete JSON record (a cut write)" in capsys.readouterr().out
    assert losses(tmp_path) == losses(straight)
    assert not metrics.with_name("metrics.jsonl.partial").exists()


# ----------------------------------------------------------------------------------------------------------
# resume checks its data and its plan; branches


def test_resume_on_other_data_is_refused_naming_both(data, tmp_path):
    other = make_prepared(tmp_path / "other", n_train=50)
    run(data, tmp_path / "run", stop_after=2)
    with pytest.raises(CheckpointError) as e:
        run(other, tmp_path / "run", resume=True)
    message = str(e.value)
    assert message.startswith(f"{tmp_path / 'run/checkpoints/step-0000002'}: trained on {data} (manifest sha256 ")
    assert f"but --data {other} holds other data" in message
    moved = shutil.copytree(data, tmp_path / "moved")  # the same data elsewhere is the same data
    run(moved, tmp_path / "run", resume=True, stop_after=4)


def test_resume_refuses_another_seed(data, tmp_path):
    run(data, tmp_path, stop_after=2)
    with pytest.raises(CheckpointError, match="trained with --seed 0, which fixes its document order; --seed 1"):
        run(data, tmp_path, resume=True, seed=1)


def test_a_larger_budget_after_the_cooldown_started_is_refused(data, copy):
    with pytest.raises(CheckpointError) as e:
        run(data, copy, resume=True, steps=12)
    switch = copy / "checkpoints/step-0000006"
    assert str(e.value) == (
        f"{copy / 'checkpoints/step-0000008'}: in the cooldown that started at step 6; this plan switches at step 9. "
        f"To cool down at a new budget, branch a new run from the switch checkpoint: meco train --out NEW "
        f"--branch-from {switch} with the new --steps or --tokens"
    )


def test_a_conditioned_run_resumes_into_a_larger_budget(data, straight, tmp_path, capsys):
    """Still conditioned at step 4: the conditioned phase runs on to the new switch (12 - 3 = 9), then cools
    down, under the schedule of the new budget from step 5 on."""
    run(data, tmp_path, stop_after=4)
    run(data, tmp_path, resume=True, steps=12)
    records = read_metrics(tmp_path)
    assert [r["phase"] for r in records] == ["conditioned"] * 9 + ["cooldown"] * 3
    assert losses(tmp_path)[:4] == losses(straight)[:4]
    schedule = Schedule(lr=1e-2, steps=12)
    assert [r["lr"] for r in records[4:]] == [schedule(step) for step in range(4, 12)]
    assert "resume: the schedule changed from" in capsys.readouterr().out


def test_a_budget_whose_switch_is_behind_a_conditioned_checkpoint_is_refused(data, copy):
    """The switch checkpoint (step 6, conditioned) of an 8-step run cannot continue a 4-step run (switch 3)."""
    shutil.rmtree(copy / "checkpoints/step-0000008")
    with pytest.raises(CheckpointError) as e:
        run(data, copy, resume=True, steps=4)
    assert str(e.value) == (
        f"{copy / 'checkpoints/step-0000006'}: step 6 was trained on conditioned data, but this plan switches to "
        "cooldown at step 3; a budget whose switch is at step 6 or later continues it"
    )


def test_a_branch_from_the_switch_checkpoint_at_the_same_budget_is_the_original_run(data, straight, tmp_path, capsys):
    """The cheap way to cool down at many budgets: each branch starts from a conditioned checkpoint, exactly."""
    switch = straight / "checkpoints/step-0000006"
    run(data, tmp_path, branch_from=str(switch))
    assert f"branch: {switch} (step 6, 384 tokens, reading conditioned)" in capsys.readouterr().out
    assert read_metrics(tmp_path)[:6] == read_metrics(straight)[:6]  # the history it branched from, copied
    assert losses(tmp_path) == losses(straight)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-0000008"]
    assert [p.name for p in sorted((straight / "checkpoints").iterdir())][-1] == "step-0000008"  # untouched


def test_a_branch_to_a_larger_budget_continues_conditioned_then_cools_down(data, straight, tmp_path):
    switch = straight / "checkpoints/step-0000006"
    run(data, tmp_path / "b", branch_from=str(switch), steps=12, stop_after=8)  # killed before its end ...
    run(data, tmp_path / "b", branch_from=str(switch), steps=12, resume=True)  # ... resumes from its own
    assert [r["phase"] for r in read_metrics(tmp_path / "b")] == ["conditioned"] * 9 + ["cooldown"] * 3
    assert losses(tmp_path / "b")[:6] == losses(straight)[:6]


@pytest.mark.parametrize("mode", ["meco", "standard"])
def test_a_branch_at_a_smaller_budget_is_the_whole_run_at_that_budget(data, tmp_path, mode):
    """With the warmup in steps and wsd decaying over the cooldown, every budget's schedule is flat up to its own
    switch (decay start), so a longer run checkpointed there (--save-at) gives that budget's run by a branch:
    the same losses, learning rates and final weights as the whole run."""
    wsd = {"mode": mode, "schedule": "wsd", "decay": 0.25, "warmup_steps": 2, "save_every": 0}
    run(data, tmp_path / "whole", **wsd)  # 8 steps: switch, or decay start, at step 6
    run(data, tmp_path / "long", steps=16, save_at=(6,), **wsd)  # switch at 12
    assert [p.name for p in sorted((tmp_path / "long/checkpoints").iterdir())] == (
        ["step-0000006", "step-0000012", "step-0000016"] if mode == "meco" else ["step-0000006", "step-0000016"]
    )
    run(data, tmp_path / "branch", branch_from=str(tmp_path / "long/checkpoints/step-0000006"), **wsd)
    assert losses(tmp_path / "branch") == losses(tmp_path / "whole")
    assert [r["lr"] for r in read_metrics(tmp_path / "branch")] == [r["lr"] for r in read_metrics(tmp_path / "whole")]
    branched, _ = checkpoint.load_model(tmp_path / "branch/checkpoints/step-0000008")
    whole, _ = checkpoint.load_model(tmp_path / "whole/checkpoints/step-0000008")
    for (name, a), b in zip(branched.state_dict().items(), whole.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_a_branch_from_a_cooldown_checkpoint_is_refused(data, straight, tmp_path):
    with pytest.raises(CheckpointError, match="in the cooldown that started at step 6; this plan switches at step 9"):
        run(data, tmp_path, branch_from=str(straight / "checkpoints/step-0000008"), steps=12)
    assert not (tmp_path / "checkpoints").exists()


# ----------------------------------------------------------------------------------------------------------
# a full disk


def test_a_full_disk_while_checkpointing_is_one_error_and_keeps_the_previous_checkpoint(data, tmp_path):
    """A real small filesystem: a tmpfs that holds one debug checkpoint (~370 kB) but not two. Needs root
    (mount); skipped where the machine does not allow it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        out = disk / "run"
        with pytest.raises(CheckpointError) as e:
            run(data, out, steps=4, save_every=1, eval_every=0)
        tmp = out / "checkpoints/.tmp-step-0000002"
        assert str(e.value) == (
            f"{tmp}: no space left on device while writing the checkpoint of step 2 (removed); the previous "
            f"checkpoint {out / 'checkpoints/step-0000001'} is intact; free space, then rerun with --resume"
        )
        assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-0000001"]
        checkpoint.verify(out / "checkpoints/step-0000001")
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_in_any_save_is_reported_the_same(data, tmp_path, monkeypatch):
    """The same path on any machine: torch.save (which DCP writes each tensor with) raising ENOSPC on the
    third tensor of the second save."""
    real_save, calls = torch.save, []

    def save(obj, f, *args, **kwargs):
        if (tmp_path / "checkpoints/step-0000001").exists():
            calls.append(f)
            if len(calls) == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    with pytest.raises(CheckpointError, match=r"\.tmp-step-0000002: no space left on device .*/step-0000001 is intact"):
        run(data, tmp_path, steps=4, save_every=1, eval_every=0)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["step-0000001"]
