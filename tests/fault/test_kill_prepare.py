"""`meco prepare` killed at random moments (fixed seeds): after every kill no file under a final name is
partial and no task process outlives its run; the rerun ends byte-identical to an uninterrupted run.

MECO_FAULT_ROUNDS sets the number of kills, MECO_FAULT_SEED their seed (bench/reliability.py runs many)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import DATA_SAMPLES, prepare_folder
from tests.fault.invariants import FIGURES, check_interrupted_output, compare_outputs, descendants, running

ROUNDS = int(os.environ.get("MECO_FAULT_ROUNDS", "2"))
SEED = int(os.environ.get("MECO_FAULT_SEED", "0"))
WINDOW_S = float(os.environ.get("MECO_FAULT_WINDOW_S", "4.5"))  # about how long a run holds the lock here
HOW = ("SIGKILL to the command", "SIGKILL to its process group", "SIGINT to its process group (Ctrl-C)")


def kill_prepare_at_random(cmd: list[str], out, rng: random.Random, window_s: float) -> tuple[str, bool]:
    """Start the command, kill it `rng`-chosen seconds after it takes the output lock; (how, whether it was
    still running). Checks that every process it started is gone soon after."""
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    how, delay = rng.choice(HOW), rng.uniform(0, window_s)
    deadline = time.time() + 60
    while not (out / "prepare.lock").exists() and run.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    family = [pid for pid, _ in descendants(run.pid)]
    killed = run.poll() is None
    if killed:
        if how.startswith("SIGKILL to the command"):
            os.kill(run.pid, signal.SIGKILL)
        else:
            os.killpg(run.pid, signal.SIGKILL if "SIGKILL" in how else signal.SIGINT)
    run.wait(timeout=60)
    deadline = time.time() + 10
    while (alive := [p for p in family if running(p)]) and time.time() < deadline:
        time.sleep(0.01)
    assert not alive, f"task processes {alive} outlived their killed run ({how})"
    return how, killed


@pytest.mark.skipif(not (DATA_SAMPLES / "c4").is_dir(), reason="data_samples/ not generated")
def test_prepare_killed_at_random_moments_resumes_byte_identical(tmp_path):
    options = ["--tasks", "3", "--workers", "2", "--val-fraction", "0.1"]
    reference = tmp_path / "reference"
    prepare_folder(reference, [DATA_SAMPLES], tasks=3, val_fraction=0.1)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "meco.cli", "prepare", str(DATA_SAMPLES), "-o", str(out), *options]
    rng, kills = random.Random(SEED), 0
    for _ in range(ROUNDS):
        how, killed = kill_prepare_at_random(cmd, out, rng, WINDOW_S)
        kills += killed
        seen = check_interrupted_output(out)
        FIGURES.update({f"prepare kills: {how}": int(killed), "prepare runs finished before the kill": int(not killed)})
        FIGURES.update({"prepare kills leaving partial files": int(killed and any(out.rglob("*.partial")))})
        FIGURES.update({f"files checked whole after kills: {kind}": n for kind, n in seen.items()})
        if (out / "manifest.json").exists():  # it finished first: compare, and kill a fresh run next
            compare_outputs(reference, out)
            shutil.rmtree(out)
    subprocess.run(cmd, check=True, capture_output=True)
    assert compare_outputs(reference, out) == 3 * 2 * 2 * 4 + 5
    FIGURES.update({"byte-identical resumes after kills": 1})
    assert kills >= min(ROUNDS, 1)
