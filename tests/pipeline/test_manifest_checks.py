"""The manifest step checks the files the task records list, and refuses (naming the task) rather than
describing a missing or cut file; the rerun redoes that task."""

from __future__ import annotations

import json
import shutil

import pytest

from meco.pipeline.executor import TaskFailed
from tests.conftest import prepare_folder


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda out: (out / "cooldown" / "00001.ds").unlink(), "task 1: cooldown/00001.ds is missing"),
        (
            lambda out: (out / "val" / "conditioned" / "00000.ds.loss").write_bytes(b"\1" * 7),
            "task 0: val/conditioned/00000.ds.loss has 7 bytes, its record says",
        ),
    ],
)
def test_a_missing_or_cut_shard_file_is_refused_naming_the_task_and_redone(tmp_path, damage, message):
    (tmp_path / "in").mkdir()
    for f in range(2):
        (tmp_path / "in" / f"{f}.jsonl").write_text(
            "".join(json.dumps({"text": f"file {f} doc {i}", "url": "https://a.org"}) + "\n" for i in range(40))
        )
    out = tmp_path / "out"
    expected = prepare_folder(out, [tmp_path / "in"], tasks=2, val_fraction=0.2)
    reference = tmp_path / "reference"
    shutil.copytree(out, reference)
    # the manifest step has not run yet when the file goes
    (out / "manifest.json").unlink()
    shutil.rmtree(out / "logs" / "manifest")
    damage(out)
    with pytest.raises(TaskFailed, match=message + ".*no manifest written.*rerunning `meco prepare` redoes it"):
        prepare_folder(out, [tmp_path / "in"], tasks=2, val_fraction=0.2)
    assert not (out / "manifest.json").exists()
    assert prepare_folder(out, [tmp_path / "in"], tasks=2, val_fraction=0.2) == expected
    for path in (reference / "conditioned", reference / "cooldown", reference / "val"):
        for f in path.rglob("*"):
            if f.is_file():
                assert (out / f.relative_to(reference)).read_bytes() == f.read_bytes()
