"""Two runs on one output: the second is refused, naming the first; a lock left by a dead run is taken over."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from meco.pipeline.lock import OutputLocked
from tests.conftest import prepare_folder


def _input(tmp_path, n=30):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "docs.jsonl").write_text(
        "".join(json.dumps({"text": f"doc {i} " * 50, "url": "https://a.org"}) + "\n" for i in range(n))
    )
    return tmp_path / "in"


def _lock(out, pid, host=None):
    out.mkdir(parents=True, exist_ok=True)
    holder = {"pid": pid, "host": host or socket.gethostname(), "started": "2030-01-01 00:00:00", "command": "x"}
    (out / "prepare.lock").write_text(json.dumps(holder))


def test_a_live_run_holding_the_output_refuses_a_second_one(tmp_path):
    data = _input(tmp_path)
    with subprocess.Popen(["sleep", "60"]) as other:
        try:
            _lock(tmp_path / "out", other.pid)
            with pytest.raises(OutputLocked, match=f"in use by another `meco prepare` \\(pid {other.pid} on "):
                prepare_folder(tmp_path / "out", [data])
        finally:
            other.kill()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["prepare.lock"]  # nothing written
    _lock(tmp_path / "other-host", 1, host="elsewhere.example")  # liveness unknowable there: refused too
    with pytest.raises(OutputLocked, match="pid 1 on elsewhere.example.*delete .*prepare.lock if that process"):
        prepare_folder(tmp_path / "other-host", [data])


def test_a_lock_left_by_a_dead_run_is_taken_over_and_released(tmp_path):
    data = _input(tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()
    _lock(tmp_path / "out", dead.pid)
    manifest = prepare_folder(tmp_path / "out", [data], val_fraction=0)
    assert manifest["documents"]["written"] == 30
    assert not (tmp_path / "out" / "prepare.lock").exists()
    assert not list((tmp_path / "out").rglob("*.partial"))


def test_two_real_runs_on_one_output(tmp_path):
    data = _input(tmp_path, n=400)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "meco.cli", "prepare", str(data), "-o", str(out), "--tasks", "2", "--workers", "2"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "prepare.lock").exists() and time.time() < deadline:
        time.sleep(0.005)
    with pytest.raises(OutputLocked, match=f"pid {first.pid} on {socket.gethostname()}"):
        prepare_folder(out, [data], tasks=2)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr[-2000:]
    assert json.loads((out / "manifest.json").read_text())["documents"]["written"] == 400
    assert not list(out.rglob("*.partial")) and not (out / "prepare.lock").exists()
