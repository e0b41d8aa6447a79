"""Kill `meco train` at seeded random moments and check what it leaves behind.

    python -m tests.fault.train_kills --work DIR [--kills 6] [--seed 0]   (prints a JSON report)

One uninterrupted run is the reference. Then a victim run is SIGKILLed after a random delay, checked, and
resumed with `--resume`, again and again; when an attempt finishes unkilled, its losses must equal the
reference's exactly, and a new victim starts. After every kill: every final-named checkpoint verifies
(state.json and the sha256 of each file), and every complete line of metrics.jsonl is a JSON record.

Each attempt is `meco train`'s own command (`train_command`, what `python -m meco.trainer` runs) in a
process forked from this one, which imported torch once: a fresh interpreter would spend ~4 s importing
torch before every kill. This process runs no torch operation itself, so the forks inherit no thread pool.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch loads: forked children then never share a pool

import torch._dynamo  # noqa: F401  (imported by AdamW's first step; here once, not in every child)

from meco.trainer import checkpoint
from meco.trainer import train as _train  # noqa: F401  (torch and the loop, imported before forking)
from meco.trainer.cli import train_command
from tests.train_helpers import make_prepared

RUN = {
    "model": "debug",
    "seq_len": 16,
    "batch_tokens": 64,
    "micro_batch": 2,
    "steps": 12,
    "cooldown_fraction": 0.25,
    "save_every": 1,  # a checkpoint after every step: most kills land in or near a save
    "eval_every": 4,
    "val_tokens": 200,
    "log_every": 100,
    "lr": 1e-2,
}


def attempt(data: Path, out: Path, log: Path, resume: bool) -> int:
    """Fork a child running `meco train`; return its pid."""
    args = [f"--data={data}", f"--out={out}", *(f"--{k.replace('_', '-')}={v}" for k, v in RUN.items())]
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        train_command.main([*args, *(["--resume"] if resume else [])], standalone_mode=False)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def records(out: Path) -> tuple[list[dict], bool]:
    """The complete records of metrics.jsonl, and whether its last line was cut."""
    path = out / "metrics.jsonl"
    if not path.exists():
        return [], False
    lines = path.read_bytes().split(b"\n")
    complete, tail = lines[:-1], lines[-1]  # a file of whole lines ends in "\n": the tail is empty
    return [json.loads(line) for line in complete], bool(tail)


def check_after_kill(out: Path) -> dict:
    """What a kill left: every final-named checkpoint verifies; complete metrics lines are records."""
    folders = sorted((out / "checkpoints").glob("*")) if (out / "checkpoints").exists() else []
    for folder in folders:
        if checkpoint.is_step_dir(folder):
            checkpoint.verify(folder)  # raises CheckpointError: a partial checkpoint under a final name
    _, cut = records(out)
    return {
        "checkpoints": sum(checkpoint.is_step_dir(f) for f in folders),
        "in_save": any(not checkpoint.is_step_dir(f) for f in folders),  # a temporary folder left behind
        "cut_metrics": cut,
    }


def losses(out: Path) -> list:
    return [(r["step"], r["loss"], r.get("val_loss_conditioned"), r.get("val_loss_cooldown")) for r in records(out)[0]]


def run(work: Path, kills: int, seed: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    data = make_prepared(work / "data")
    log = work / "train.log"
    started = time.time()
    pid = attempt(data, work / "reference", log, resume=False)
    if os.waitpid(pid, 0)[1]:
        raise RuntimeError(f"the reference run failed; see {log}")
    span = time.time() - started
    reference = losses(work / "reference")
    rng = random.Random(seed)
    report = {"kills": 0, "kills_in_save": 0, "cut_metrics_repaired": 0, "attempts": 0, "runs_completed": 0}
    victim, fresh = work / "victim", True
    while report["kills"] < kills:
        report["attempts"] += 1
        pid = attempt(data, victim, log, resume=not fresh)
        time.sleep(rng.uniform(0, span))
        done, status = os.waitpid(pid, os.WNOHANG)
        killed = done == 0  # still running: kill it
        if killed:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        fresh = False
        if killed:
            found = check_after_kill(victim)
            report["kills"] += 1
            report["kills_in_save"] += found["in_save"]
            report["cut_metrics_repaired"] += found["cut_metrics"]
            continue
        if status:
            raise RuntimeError(f"attempt {report['attempts']} failed unkilled (status {status}); see {log}")
        if losses(victim) != reference:
            raise AssertionError(f"{victim}: losses after resuming differ from the uninterrupted run's")
        report["runs_completed"] += 1
        shutil.rmtree(victim)
        fresh = True
    pid = attempt(data, victim, log, resume=not fresh)  # finish the last victim: it must match too
    if os.waitpid(pid, 0)[1] or losses(victim) != reference:
        raise AssertionError(f"{victim}: the final resume failed or differs from the uninterrupted run; see {log}")
    report["runs_completed"] += 1
    report["reference_s"] = round(span, 2)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.work, args.kills, args.seed)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
