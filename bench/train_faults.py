"""Reliability of `meco train` under kills and bit flips: the longer mode of tests/fault/test_train_faults.py.

    python bench/train_faults.py [--kills 50] [--flips 500] [--seed 0] [--work DIR]

(1) SIGKILLs `meco train` at seeded random moments and resumes it (tests/fault/train_kills.py: the debug
model on the tests' synthetic data, 12 steps, a checkpoint after every step, the phase switch at step 9).
After every kill each final-named checkpoint must verify; every completed run must give the losses of
the uninterrupted one exactly. (2) Flips one random bit of one random file of one of the reference run's
12 checkpoints, `--flips` times: each flip must fail `checkpoint.verify` naming that file.

Recorded on 2 shared CPU cores (2026-11-26), --kills 50 --flips 500 --seed 0:

    see README.md, section Reliability / Training
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meco.trainer import checkpoint
from tests.fault import train_kills


def flips(reference: Path, count: int, rng: random.Random) -> dict:
    """Flip single bits in the reference run's checkpoint files; count the flips `verify` names."""
    folders = sorted(p for p in (reference / "checkpoints").iterdir() if checkpoint.is_step_dir(p))
    detected, by_file, missed = 0, {}, []
    for _ in range(count):
        folder = rng.choice(folders)
        path = rng.choice(sorted(p for p in folder.rglob("*") if p.is_file()))  # model/ and optimizer/ hold files
        raw = bytearray(path.read_bytes())
        at = rng.randrange(len(raw))
        raw[at] ^= 1 << rng.randrange(8)
        original = path.read_bytes()
        path.write_bytes(bytes(raw))
        try:
            checkpoint.verify(folder)
            missed.append(f"{path.name} byte {at}: {bytes(raw[max(at - 30, 0) : at + 10])!r}")
        except checkpoint.CheckpointError as e:
            detected += str(e).startswith(f"{path}:")
        finally:
            path.write_bytes(original)
        kind = path.relative_to(folder).as_posix()
        by_file[kind] = by_file.get(kind, 0) + 1
    return {"flips": count, "flips_detected_naming_the_file": detected, "flips_by_file": by_file, "missed": missed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--flips", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="meco-train-faults-"))
    started = time.time()
    report = train_kills.run(work, args.kills, args.seed)
    report.update(flips(work / "reference", args.flips, random.Random(args.seed)))
    report["wall_s"] = round(time.time() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
