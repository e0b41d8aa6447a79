"""`meco prepare` killed at random moments (fixed seeds): after every kill no file under a final name is
partial and no task process outlives its run; the rerun ends byte-identical to an uninterrupted run.

MECO_FAULT_ROUNDS sets the number of kills, MECO_FAULT_SEED their seed and MECO_FAULT_DOCS the documents per
input file (bench/reliability.py runs many kills on a larger input)."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import zstandard

from tests.conftest import prepare_folder
from tests.fault.invariants import FIGURES, check_interrupted_output, compare_outputs, descendants, running

ROUNDS = int(os.environ.get("MECO_FAULT_ROUNDS", "2"))
SEED = int(os.environ.get("MECO_FAULT_SEED", "0"))
DOCS_PER_FILE = int(os.environ.get("MECO_FAULT_DOCS", "100"))
# kills fall up to this long after the run takes its lock; 0: the reference run's length plus a task
# process's start (imports, tokenizer: about 3 s on a loaded 2-core machine)
WINDOW_S = float(os.environ.get("MECO_FAULT_WINDOW_S", "4"))
STARTUP_S = 3.0
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


def write_corpus(folder, docs_per_file: int, seed: int = 0) -> None:
    """Three files, plain, gzip and zstd, of `docs_per_file` documents of a few hundred random words."""
    rng = random.Random(seed)
    words = ["meco", "metadata", "cooldown", "token", "shard", "résumé", "naïve", "日本語", "wiki", "the", "of"]
    folder.mkdir()
    for i, (name, compress) in enumerate(
        [("a.jsonl", bytes), ("b.jsonl.gz", gzip.compress), ("c.jsonl.zst", zstandard.ZstdCompressor().compress)]
    ):
        lines = (
            json.dumps({"text": " ".join(rng.choices(words, k=rng.randint(50, 600))), "url": f"https://s{i}.org/{d}"})
            for d in range(docs_per_file)
        )
        (folder / name).write_bytes(compress("\n".join(lines).encode() + b"\n"))


def test_prepare_killed_at_random_moments_resumes_byte_identical(tmp_path):
    write_corpus(tmp_path / "in", DOCS_PER_FILE)
    started = time.time()
    prepare_folder(tmp_path / "reference", [tmp_path / "in"], tasks=3, val_fraction=0.1)
    window_s = WINDOW_S or STARTUP_S + (time.time() - started)
    out = tmp_path / "out"
    options = ["--tasks", "3", "--workers", "2", "--val-fraction", "0.1"]
    cmd = [sys.executable, "-m", "meco.cli", "prepare", str(tmp_path / "in"), "-o", str(out), *options]
    rng, kills = random.Random(SEED), 0
    for _ in range(ROUNDS):
        how, killed = kill_prepare_at_random(cmd, out, rng, window_s)
        kills += killed
        seen = check_interrupted_output(out)
        FIGURES.update({f"prepare kills: {how}": int(killed), "prepare runs finished before the kill": int(not killed)})
        FIGURES.update({"prepare kills leaving partial files": int(killed and any(out.rglob("*.partial")))})
        FIGURES.update({f"files checked whole after kills: {kind}": n for kind, n in seen.items()})
        if (out / "manifest.json").exists():  # it finished first: compare, and kill a fresh run next
            compare_outputs(tmp_path / "reference", out)
            shutil.rmtree(out)
    subprocess.run(cmd, check=True, capture_output=True)
    assert compare_outputs(tmp_path / "reference", out) == 3 * 2 * 2 * 4 + 2  # + manifest.json, prepare.json
    assert kills >= min(ROUNDS, 1)
    FIGURES.update({"byte-identical resumes after kills": 1})
