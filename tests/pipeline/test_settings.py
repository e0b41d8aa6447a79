"""Settings bind an output folder only once a task has written a document: a failed or empty first run does
not lock it to its wrong settings."""

from __future__ import annotations

import json

import pytest

from meco.pipeline.job import SettingsMismatch
from tests.conftest import prepare_folder


def _jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_first_run_that_wrote_nothing_does_not_lock_its_settings(tmp_path):
    _jsonl(tmp_path / "in" / "docs.jsonl", [{"body": f"text {i}", "url": "https://a.org"} for i in range(5)])
    wrong = prepare_folder(tmp_path / "out", [tmp_path / "in"], val_fraction=0)  # text is in "body", not "text"
    assert (wrong["documents"]["written"], wrong["documents"]["skipped"]) == (0, {"missing_text": 5})
    right = prepare_folder(tmp_path / "out", [tmp_path / "in"], val_fraction=0, text_key="body")
    assert (right["documents"]["in"], right["documents"]["written"], right["documents"]["skipped"]) == (5, 5, {})
    fresh = prepare_folder(tmp_path / "fresh", [tmp_path / "in"], val_fraction=0, text_key="body")
    assert right == fresh
    for name in ("conditioned/00000.ds", "cooldown/00000.ds.loss"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    with pytest.raises(SettingsMismatch, match="other settings.*text_key"):  # now a task wrote documents
        prepare_folder(tmp_path / "out", [tmp_path / "in"], val_fraction=0)


def test_a_first_run_whose_task_failed_does_not_lock_its_settings(tmp_path, monkeypatch):
    from meco.pipeline import job
    from meco.pipeline.executor import TaskFailed

    _jsonl(tmp_path / "in" / "docs.jsonl", [{"text": f"text {i}", "url": "https://a.org"} for i in range(5)])
    (tmp_path / "out" / "conditioned").mkdir(parents=True)
    (tmp_path / "out" / "conditioned" / "00001.ds.partial").write_bytes(b"left by a killed run")

    def failing(*args, **kwargs):
        raise TaskFailed("tokenize task 0 failed: MemoryError")

    monkeypatch.setattr(job.WatchedLocalExecutor, "run", failing)
    with pytest.raises(TaskFailed):
        prepare_folder(tmp_path / "out", [tmp_path / "in"], tasks=2)
    assert (tmp_path / "out" / "prepare.json").is_file()
    monkeypatch.undo()
    manifest = prepare_folder(tmp_path / "out", [tmp_path / "in"], tasks=1)  # other settings: accepted
    assert manifest["documents"]["written"] == 5
    assert not list((tmp_path / "out").rglob("*.partial"))


@pytest.mark.parametrize("template, warned", [("URL: {host}", True), ("URL: {host}\n\n", False), ("[{host}] ", False)])
def test_a_template_running_into_the_text_is_warned_about(tmp_path, template, warned):
    from datatrove.utils.logging import logger

    from meco.pipeline import PrepareConfig, plan

    _jsonl(tmp_path / "in" / "docs.jsonl", [{"text": "t", "url": "https://a.org"}])
    messages = []
    sink = logger.add(messages.append, level="WARNING")
    try:
        plan(PrepareConfig(inputs=[str(tmp_path / "in")], output=str(tmp_path / "out"), template=template))
    finally:
        logger.remove(sink)
    assert any("runs straight into the document's text" in m for m in messages) == warned
