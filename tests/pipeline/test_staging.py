"""A remote output other than an object store (fsspec's in-memory filesystem here): shards staged locally,
uploaded under a partial name and renamed, byte-identical to a local run."""

from __future__ import annotations

from pathlib import Path

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


def test_a_rerun_removes_the_staging_folder_a_killed_task_left(tmp_path):
    """SIGKILL leaves a task's staging folder behind; the next run of that task of that output removes it
    (and leaves the folder of another output's task alone)."""
    from datatrove.io import get_datafolder

    from meco.pipeline.staging import staging_folder

    c4 = DATA_SAMPLES / "c4"
    if not c4.is_dir():
        pytest.skip("data_samples/ not generated")
    work_dir = tmp_path / "work"
    output = "memory://meco-staging-rerun"
    left = Path(staging_folder(str(work_dir), get_datafolder(output).resolve_paths(""), 0))
    other = Path(staging_folder(str(work_dir), get_datafolder("memory://another").resolve_paths(""), 0))
    for folder in (left, other):
        (folder / "conditioned").mkdir(parents=True)
        (folder / "conditioned" / "00000.ds.partial").write_bytes(b"half a shard")
    prepare_folder(tmp_path / "local", [c4], tasks=1, val_fraction=0)
    prepare_folder(output, [c4], tasks=1, val_fraction=0, work_dir=str(work_dir))
    memory = fsspec.filesystem("memory")
    try:
        name = "conditioned/00000.ds"
        assert memory.cat(f"/meco-staging-rerun/{name}") == (tmp_path / "local" / name).read_bytes()
        assert list(work_dir.iterdir()) == [other]
    finally:
        memory.rm("/meco-staging-rerun", recursive=True)
