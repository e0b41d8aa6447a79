"""A remote output other than an object store (fsspec's in-memory filesystem here): shards staged locally,
uploaded under a partial name and renamed, byte-identical to a local run."""

from __future__ import annotations

import os

import fsspec
import pytest

from tests.conftest import DATA_SAMPLES, prepare_folder


def test_a_remote_output_is_staged_in_the_work_dir_and_matches_a_local_run(tmp_path):
    c4 = DATA_SAMPLES / "c4"
    if not c4.is_dir():
        pytest.skip("data_samples/ not generated")
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    prepare_folder(tmp_path / "local", [c4], tasks=1, val_fraction=0.1)
    prepare_folder("memory://meco-staging-test", [c4], tasks=1, val_fraction=0.1, work_dir=str(work_dir))
    memory = fsspec.filesystem("memory")
    try:
        names = [n.removeprefix("/meco-staging-test/") for n in memory.find("/meco-staging-test")]
        shards = sorted(n for n in names if n.split("/")[0] in ("conditioned", "cooldown", "val"))
        assert len(shards) == 2 * 2 * 4
        for name in shards:
            assert memory.cat(f"/meco-staging-test/{name}") == (tmp_path / "local" / name).read_bytes(), name
        assert not [n for n in names if n.endswith(".partial")]
        log = memory.cat("/meco-staging-test/logs/tokenize/logs/task_00000.log").decode()
        assert f"writing shards in {work_dir}/meco-task00000-" in log
        assert list(work_dir.iterdir()) == []
    finally:
        memory.rm("/meco-staging-test", recursive=True)


def test_a_task_removes_the_staging_folders_killed_tasks_left_on_its_host(tmp_path):
    """SIGKILL leaves a task's staging folder behind; the next task on that host removes the folders whose
    process is gone, and leaves those of live processes and of other hosts alone."""
    import socket

    c4 = DATA_SAMPLES / "c4"
    if not c4.is_dir():
        pytest.skip("data_samples/ not generated")
    dead = _finished_pid()
    host = socket.gethostname()
    work_dir = tmp_path / "work"
    names = {
        "killed": f"meco-task00001-{host}-{dead}-k1ll3d_x",
        "live": f"meco-task00000-{host}-{os.getpid()}-l1ve_abc",
        "elsewhere": f"meco-task00000-other-host-{dead}-0th3r_ab",
        "not ours": f"notes-{host}-{dead}-keep",
    }
    for name in names.values():
        (work_dir / name / "conditioned").mkdir(parents=True)
        (work_dir / name / "conditioned" / "00000.ds.partial").write_bytes(b"half a shard")
    prepare_folder(tmp_path / "local", [c4], tasks=1, val_fraction=0)
    output = "memory://meco-staging-orphans"
    prepare_folder(output, [c4], tasks=1, val_fraction=0, work_dir=str(work_dir))
    memory = fsspec.filesystem("memory")
    try:
        name = "conditioned/00000.ds"
        assert memory.cat(f"/meco-staging-orphans/{name}") == (tmp_path / "local" / name).read_bytes()
        left = {p.name for p in work_dir.iterdir()}
        assert left == {names["live"], names["elsewhere"], names["not ours"]}
    finally:
        memory.rm("/meco-staging-orphans", recursive=True)


def _finished_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
