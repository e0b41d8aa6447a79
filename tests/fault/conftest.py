"""With MECO_FAULT_REPORT set, the fault tests' figures (kills, records fuzzed, damage detected) are written
there as JSON at the end of the session: bench/reliability.py reads them."""

from __future__ import annotations

import json
import os

from tests.fault.invariants import FIGURES


def pytest_sessionfinish(session, exitstatus):
    if report := os.environ.get("MECO_FAULT_REPORT"):
        with open(report, "w") as f:
            json.dump(dict(sorted(FIGURES.items())) | {"pytest_exit_status": int(exitstatus)}, f, indent=1)
