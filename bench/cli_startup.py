"""How long `meco --help` takes beyond starting Python, measured side by side (target: at most 0.35 s more).

    python bench/cli_startup.py [--rounds 20]

Runs `python -c pass` and `python -m meco.cli --help` interleaved, round after round, and reports the median,
min and max wall time of each and of their difference per round.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "meco --help": [sys.executable, "-m", "meco.cli", "--help"],
}


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    times = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    times["difference"] = [m - p for m, p in zip(times["meco --help"], times["python -c pass"], strict=True)]
    print(f"{rounds} interleaved rounds: median (min-max) seconds")
    for name, values in times.items():
        print(f"  {name:<16} {statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})")


if __name__ == "__main__":
    main()
