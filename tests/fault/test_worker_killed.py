"""A task process killed by a signal (the out-of-memory killer) ends the run with an error naming the task and
the signal, in bounded time; the rerun resumes to the output of an uninterrupted run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datatrove.pipeline.base import PipelineStep

from meco.pipeline.executor import TaskFailed, WatchedLocalExecutor
from tests.conftest import prepare_folder
from tests.fault.invariants import FIGURES, compare_outputs, descendants


class KillTaskOnce(PipelineStep):
    """Writes `<rank>.done` for each task; the task named in `victim` SIGKILLs itself while `armed` exists."""

    name = "test: kill one task"

    def __init__(self, folder: str, victim: int):
        super().__init__()
        self.folder, self.victim = folder, victim

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if rank == self.victim and os.path.exists(f"{self.folder}/armed"):
            os.kill(os.getpid(), signal.SIGKILL)
        Path(f"{self.folder}/{rank}.done").touch()
        return iter(())


def test_a_killed_task_process_ends_the_run_naming_task_and_signal(tmp_path):
    (tmp_path / "armed").touch()

    def executor():
        return WatchedLocalExecutor(
            [KillTaskOnce(str(tmp_path), victim=1)], tasks=3, workers=2, logging_dir=str(tmp_path / "logs" / "work")
        )

    started = time.time()
    with pytest.raises(TaskFailed, match=r"work task 1 was killed by signal SIGKILL .*task_00001\.log"):
        executor().run()
    assert time.time() - started < 60
    assert not (tmp_path / "1.done").exists() and (tmp_path / "0.done").exists()
    assert not (tmp_path / "logs" / "work" / "completions" / "00001").exists()

    (tmp_path / "armed").unlink()
    executor().run()
    assert all((tmp_path / f"{r}.done").exists() for r in range(3))
    assert sorted(p.name for p in (tmp_path / "logs" / "work" / "completions").iterdir()) == ["00000", "00001", "00002"]


def test_a_task_process_that_raises_is_named_and_the_others_finish(tmp_path):
    executor = WatchedLocalExecutor(
        [KillTaskOnce(str(tmp_path), victim=0), _raise_on_rank_one], tasks=2, workers=2, logging_dir=str(tmp_path / "l")
    )
    with pytest.raises(TaskFailed, match="l task 1 failed: ZeroDivisionError: division by zero"):
        executor.run()
    assert (tmp_path / "l" / "completions" / "00000").exists()


def _raise_on_rank_one(data, rank, world_size):
    if rank == 1:
        raise ZeroDivisionError("division by zero")
    return data


def test_prepare_with_a_worker_killed_from_outside_fails_and_resumes(tmp_path, shared_data):
    """The real command, two task processes; one is SIGKILLed from outside as the OOM killer would."""
    inputs = [str(shared_data / "c4")]
    prepare_folder(tmp_path / "straight", inputs, tasks=2)
    cmd = [sys.executable, "-m", "meco.cli", "prepare", *inputs, "--tasks", "2", "--workers", "2", "-o"]
    run = subprocess.Popen([*cmd, str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tasks := [p for p, depth in descendants(run.pid) if depth >= 2]) and time.time() < deadline:
        time.sleep(0.005)
    assert tasks, "no task process appeared"
    os.kill(tasks[0], signal.SIGKILL)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 1
    killed = re.search(r"tokenize task (\d) was killed by signal SIGKILL", stderr)
    assert killed, stderr[-2000:]
    assert "rerunning the same command resumes" in stderr
    assert not (tmp_path / "out" / "logs" / "tokenize" / "completions" / f"0000{killed[1]}").exists()
    assert not (tmp_path / "out" / "manifest.json").exists()

    subprocess.run([*cmd, str(tmp_path / "out")], check=True, capture_output=True)
    assert compare_outputs(tmp_path / "straight", tmp_path / "out") > 0
    FIGURES.update({"task processes SIGKILLed (the run ended naming them, the rerun resumed)": 1})
