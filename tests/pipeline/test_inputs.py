"""Which files are inputs: regular files only, symbolic links followed once, never meco's or datatrove's own
bookkeeping or the output folder; and a resume that does not depend on how a path is spelled."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from meco.cli import main
from meco.pipeline.sources import InputError, resolve_inputs
from tests.conftest import prepare_folder


def _jsonl(path, *texts):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"text": t, "url": f"https://{t}.example.org"}) + "\n" for t in texts))


def _files(groups) -> dict[str, list[str]]:
    return {g.folder: g.files for g in groups}


def test_symlinked_folders_are_followed_each_real_folder_once(tmp_path):
    _jsonl(tmp_path / "corpus" / "a" / "1.jsonl", "one")
    _jsonl(tmp_path / "elsewhere" / "2.jsonl", "two")
    (tmp_path / "corpus" / "b-linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "corpus" / "c-again").symlink_to(tmp_path / "corpus" / "a")  # the same real folder twice
    (tmp_path / "corpus" / "a" / "loop").symlink_to(tmp_path / "corpus")  # a cycle ends
    (tmp_path / "corpus" / "0-link.jsonl").symlink_to(tmp_path / "corpus" / "a" / "1.jsonl")  # a file twice
    groups = resolve_inputs([str(tmp_path / "corpus")])
    # each real file once, under the first of its names in sorted order
    assert _files(groups) == {str(tmp_path / "corpus"): ["0-link.jsonl", "b-linked/2.jsonl"]}


def test_only_regular_files_are_inputs_and_a_fifo_fails_at_planning(tmp_path):
    _jsonl(tmp_path / "in" / "good.jsonl", "good")
    os.mkfifo(tmp_path / "in" / "pipe.jsonl")  # reading it would wait forever
    result = CliRunner().invoke(main, ["prepare", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'in'}/pipe.jsonl: a FIFO, not a regular file" in result.output
    assert not (tmp_path / "out").exists()
    os.unlink(tmp_path / "in" / "pipe.jsonl")
    os.mkfifo(tmp_path / "in" / "pipe.notes")  # not named like an input: not read, no error
    assert _files(resolve_inputs([str(tmp_path / "in")])) == {str(tmp_path / "in"): ["good.jsonl"]}


def test_a_dangling_symlink_fails_at_planning_naming_it(tmp_path):
    _jsonl(tmp_path / "in" / "good.jsonl", "good")
    (tmp_path / "in" / "gone").symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match=f"{tmp_path / 'in' / 'gone'}: a dangling symbolic link"):
        resolve_inputs([str(tmp_path / "in")])
    with pytest.raises(InputError, match=f"{tmp_path / 'in' / 'gone'}: a dangling symbolic link"):
        resolve_inputs([str(tmp_path / "in" / "gone")])


def test_an_output_inside_the_input_and_bookkeeping_folders_are_never_read(tmp_path):
    data = tmp_path / "data"
    _jsonl(data / "docs.jsonl", "alpha", "beta")
    logs = data / "old-datatrove-logs"  # a datatrove logging folder left beside the data
    _jsonl(logs / "stats" / "00000.json", "not data")
    (logs / "executor.json").write_text("{}")
    _jsonl(data / "notes" / "x.jsonl.partial", "a write in progress")
    first = prepare_folder(data / "out", [data], val_fraction=0)
    again = prepare_folder(data / "out", [data], val_fraction=0)  # a resume: prepare.json etc. are not inputs
    assert first["inputs"] == again["inputs"] == [{"folder": str(data), "source": "jsonl", "files": ["docs.jsonl"]}]
    other = prepare_folder(tmp_path / "elsewhere", [data], val_fraction=0)  # data/out is now a meco output
    assert other["inputs"] == first["inputs"] and other["documents"]["in"] == 2
    with pytest.raises(InputError, match="is also the output folder"):
        prepare_folder(data, [data])


def test_resume_does_not_depend_on_how_the_input_is_spelled(tmp_path, monkeypatch):
    _jsonl(tmp_path / "data" / "docs.jsonl", *[f"doc{i}" for i in range(20)])
    monkeypatch.chdir(tmp_path)
    first = prepare_folder(tmp_path / "out", ["data"], val_fraction=0)
    for spelling in ("data/", "./data", str(tmp_path / "data"), "data/../data"):
        assert prepare_folder(tmp_path / "out", [spelling], val_fraction=0) == first
    assert first["inputs"][0]["folder"] == str(tmp_path / "data")  # recorded absolute


def test_a_file_named_by_two_inputs_is_read_once(tmp_path):
    _jsonl(tmp_path / "data" / "sub" / "docs.jsonl", "once")
    groups = resolve_inputs([str(tmp_path / "data"), str(tmp_path / "data" / "sub"), f"{tmp_path}/data/"])
    assert _files(groups) == {str(tmp_path / "data"): ["sub/docs.jsonl"]}
