"""`meco prepare --finalize OUT`: the manifest of tokenize tasks run elsewhere, here by datatrove's own local
executor driven from Python as the README shows; refused, naming the task, while a task is missing or
incomplete."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from meco.cli import main
from tests.conftest import DATA_SAMPLES, prepare_folder
from tests.fault.invariants import compare_outputs


def finalize(out) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["prepare", "--finalize", str(out)])
    return result.exit_code, result.output


def test_finalize_writes_the_manifest_of_tasks_run_elsewhere(tmp_path):
    from datatrove.executor import LocalPipelineExecutor

    from meco.pipeline import PrepareConfig, build_executors, plan, save_or_check_settings

    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    prepare_folder(tmp_path / "normal", [DATA_SAMPLES], tasks=3, val_fraction=0.1)
    out = tmp_path / "elsewhere"
    p = plan(PrepareConfig(inputs=[str(DATA_SAMPLES)], output=str(out), tasks=3, workers=1, val_fraction=0.1))
    save_or_check_settings(p)
    tokenize, _ = build_executors(p, LocalPipelineExecutor)
    tokenize.run()  # the tokenize tasks only, as a user's Slurm array or Ray job would
    assert not (out / "manifest.json").exists()

    completion = out / "logs" / "tokenize" / "completions" / "00001"
    completion.rename(tmp_path / "kept")  # task 1 not finished (yet)
    code, output = finalize(out)
    assert code == 1 and output.strip().splitlines()[-1] == (
        f"Error: {out}: tasks [1] of 3 have not finished; no manifest written. Rerunning `meco prepare` (or those "
        "tasks) finishes them"
    )
    assert not (out / "manifest.json").exists()
    (tmp_path / "kept").rename(completion)

    loss = out / "val" / "cooldown" / "00002.ds.loss"
    loss.write_bytes(loss.read_bytes()[:-1])  # task 2's output incomplete
    code, output = finalize(out)
    assert code == 1 and f"task 2: val/cooldown/00002.ds.loss has {loss.stat().st_size:,} bytes" in output
    assert "no manifest written" in output and not (out / "manifest.json").exists()
    assert not (out / "logs" / "tokenize" / "completions" / "00002").exists()  # so a rerun redoes task 2
    tokenize, _ = build_executors(p, LocalPipelineExecutor)
    tokenize.run()

    code, output = finalize(out)
    assert code == 0, output
    assert "train/conditioned" in output and "tokens/s" not in output
    assert compare_outputs(tmp_path / "normal", out) == 2 * 2 * 4 * 3 + 2  # shards, manifest and settings
    first = (out / "manifest.json").read_bytes()
    assert finalize(out)[0] == 0 and (out / "manifest.json").read_bytes() == first  # rerunnable
    assert not list(out.rglob("*.partial"))


def test_finalize_refuses_other_options_and_a_folder_without_settings(tmp_path):
    code, output = finalize(tmp_path)
    assert code == 1 and f"{tmp_path}: no prepare.json, so not the output of `meco prepare`" in output
    result = CliRunner().invoke(main, ["prepare", "--finalize", str(tmp_path), "in", "--tasks", "2"])
    assert result.exit_code == 2
    assert "--finalize takes its settings from OUT/prepare.json; leave out --tasks, INPUTS" in result.output
