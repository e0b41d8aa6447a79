"""bench/gpu_throughput.py in its CPU smoke mode, so the script a GPU session runs once cannot rot."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_gpu_benchmark_smoke_mode_runs_every_step_on_cpu(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    script = REPO / "bench" / "gpu_throughput.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_throughput.json").read_text())
    outcome = {c["check"]: c["ok"] for c in report["checks"]}
    assert outcome == {
        "fsdp-ac-docmask-resume": True,
        "resume-fsdp-checkpoint-unsharded": True,
        "fused-adamw": None,  # GPU only
        "one-host-sync-per-step": None,  # GPU only
        "meco-generate": True,
        "meco-eval": True,
    }
    rows = report["throughput"]
    assert [(r["model"], r["doc_mask"]) for r in rows] == [("debug", False), ("debug", True)]
    assert all(r["tokens_per_s"] > 0 and r["planned_memory_gib"] > 0 and r["mfu"] is None for r in rows)
    assert (
        "| model | doc mask | parallel | micro batch | tokens/s | MFU |" in (tmp_path / "gpu_throughput.md").read_text()
    )
