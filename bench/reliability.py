"""The fault tests of `tests/fault/` in their long mode, with the figures the README's "Reliability" lists.

    python bench/reliability.py [--kills 40] [--examples 2000] [--seed 1] [--docs 3000]

CI runs the same tests with a few kills and examples; here `meco prepare` is killed `--kills` times at random
moments of its whole run, on three input files of `--docs` documents each, hypothesis generates `--examples` files of fuzzed records and of each kind of damaged input (with a
random seed instead of CI's fixed one), and the tests' assertions hold for every one of them or the bench
fails. Prints the figures as a table and writes them to bench/reliability.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40, help="random kills of `meco prepare`")
    parser.add_argument("--examples", type=int, default=2000, help="hypothesis examples per property")
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    parser.add_argument("--docs", type=int, default=3000, help="documents per input file of the killed runs")
    parser.add_argument("--out", default=str(REPO / "bench" / "reliability.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "figures.json"
        env = os.environ | {
            "PYTHONPATH": str(REPO),
            "MECO_FAULT_ROUNDS": str(args.kills),
            "MECO_FAULT_SEED": str(args.seed),
            "MECO_FAULT_DOCS": str(args.docs),
            "MECO_FAULT_WINDOW_S": "0",  # kills anywhere in a run's measured lifetime
            "MECO_FUZZ_EXAMPLES": str(args.examples),
            "MECO_FUZZ_RANDOM": "1",
            "MECO_FAULT_REPORT": str(report),
        }
        started = time.time()
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "-p", "no:cacheprovider", "tests/fault"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        figures = json.loads(report.read_text()) if report.exists() else {}
    figures |= {"kills asked": args.kills, "examples asked": args.examples, "documents per input file": args.docs}
    figures["seconds"] = round(time.time() - started)
    width = max(map(len, figures))
    print("\n".join(f"{k:<{width}}  {v:>10,}" for k, v in figures.items()))
    Path(args.out).write_text(json.dumps(figures, indent=1) + "\n")
    if tests.returncode != 0:
        print(tests.stdout[-6000:], file=sys.stderr)
        raise SystemExit(f"the fault tests failed (pytest exit {tests.returncode})")


if __name__ == "__main__":
    main()
