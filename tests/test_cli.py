"""The `meco` command as users call it: clear errors before any work, and the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from meco.cli import main
from tests.conftest import DATA_SAMPLES


@pytest.mark.parametrize(
    "args, message",
    [
        (["prepare", "/no/such/path"], "/no/such/path: no such file or folder"),
        (["prepare", "--source", "pile"], "Invalid value for '--source'"),
        (["prepare", "--metadata", "colour"], "choose from host, domain"),
        (["prepare", "--metadata", "topic"], "--metadata topic and --topic-model go together"),
        (
            ["prepare", "--template", "Site: {domain}\\n\\n"],
            "names ['domain'], which are not among --metadata ['host']",
        ),
        (["prepare", "--tokenizer", "./nope/tokenizer.json"], "no such file"),
        (["prepare", "--tasks", "0"], "--tasks 0: must be at least 1"),
        (["prepare", "--workers", "0"], "--workers 0: must be at least 1"),
        (["prepare", "--batch-size", "0"], "--batch-size 0: must be at least 1"),
        (["prepare", "--limit", "0"], "--limit 0: a positive number"),
        (["prepare", "--template", "URL: {host} {}\\n\\n"], "cannot be rendered: IndexError"),
        (["prepare", "-m", "hash", "--hash-salt", "s" * 65], "--hash-salt is 65 bytes"),
        (["prepare", "--hash-salt", "secret"], "--hash-salt is the key of the `hash` kind; add -m hash"),
        (["prepare", "--topic-threshold", "1.5"], "--topic-threshold 1.5: a probability, in [0, 1]"),
        (["prepare", "--topic-threshold", "-0.1"], "--topic-threshold -0.1: a probability, in [0, 1]"),
        (["prepare", "--topic-threshold", "nan"], "--topic-threshold nan: a probability, in [0, 1]"),
        (["prepare", "--work-dir", "/no/such/dir"], "--work-dir /no/such/dir: not an existing local folder"),
        (["prepare", "--work-dir", "s3://bucket/tmp"], "--work-dir s3://bucket/tmp: not an existing local folder"),
    ],
)
def test_bad_options_fail_before_any_work(tmp_path, args, message):
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_topic_model_that_fails_to_load_is_an_error_up_front(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a fasttext model")
    result = CliRunner().invoke(
        main, ["prepare", "-m", "host,topic", "--topic-model", str(bad), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code != 0 and "cannot be loaded by fastText" in result.output
    assert not (tmp_path / "o").exists()


def test_default_run_prepares_the_shipped_samples_offline(tmp_path, tokenizer):
    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    offline = {
        "HF_HUB_OFFLINE": "1",
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"),
        "https_proxy": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-m", "meco.cli", "prepare", "-o", str(tmp_path / "meco-data")],
        cwd=DATA_SAMPLES.parent,  # the default input is ./data_samples, as in the README's first command
        capture_output=True,
        text=True,
        env=os.environ | offline,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "meco-data" / "manifest.json").read_text())
    docs = manifest["documents"]
    assert docs["written"] == docs["in"] >= 100 and docs["skipped"] == {}
    assert {i["source"] for i in manifest["inputs"]} == {"c4", "dclm", "refinedweb"}
    for line in ("documents in", "train/conditioned", "train/cooldown", "without metadata", "skipped", "tokens/s"):
        assert line in result.stdout


def test_slurm_executor_runs_the_same_pipeline(tmp_path, shared_data):
    """Through datatrove's SlurmPipelineExecutor, with sbatch/srun stand-ins that run each array task at once."""
    from pathlib import Path

    c4 = str(shared_data / "c4")
    env = os.environ | {
        "PATH": f"{Path(__file__).parent / 'fake_slurm'}:{os.environ['PATH']}",
        "FAKE_SLURM_COUNTER": str(tmp_path / "jobs"),
    }
    cmd = [sys.executable, "-m", "meco.cli", "prepare", c4, "--tasks", "2"]
    slurm = subprocess.run(
        [*cmd, "-o", str(tmp_path / "slurm"), "--executor", "slurm", "--slurm-partition", "cpu"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert slurm.returncode == 0, slurm.stderr[-3000:]
    assert "submitted to Slurm" in slurm.stdout
    script = (tmp_path / "slurm" / "logs" / "tokenize" / "launch_script.slurm").read_text()
    assert "#SBATCH --partition=cpu" in script and "#SBATCH --array=0-1" in script
    subprocess.run([*cmd, "-o", str(tmp_path / "local")], check=True, capture_output=True)
    for name in ("manifest.json", "conditioned/00000.ds", "conditioned/00001.ds.loss", "cooldown/00001.ds.index"):
        assert (tmp_path / "slurm" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_a_failing_task_is_reported_with_its_log_folder(tmp_path, monkeypatch):
    """A file that turns bad between planning (which checks the text column) and its task."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from meco.pipeline import job

    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"text": ["a text"], "url": ["https://x.org"]}), tmp_path / "in" / "a.parquet")
    build = job.build_executors

    def build_then_replace_the_file(*args, **kwargs):
        executors = build(*args, **kwargs)
        pq.write_table(pa.table({"body": ["a text"], "url": ["https://x.org"]}), tmp_path / "in" / "a.parquet")
        return executors

    monkeypatch.setattr(job, "build_executors", build_then_replace_the_file)
    args = ["prepare", str(tmp_path / "in"), "--source", "parquet", "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "tokenize task 0 failed: ValueError" in result.output and "no 'text' column" in result.output
    assert f"{tmp_path / 'out'}/logs/tokenize/logs" in result.output
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_parquet_file_without_the_text_column_is_refused_at_planning(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"body": ["a text"], "url": ["https://x.org"]}), tmp_path / "in" / "a.parquet")
    for source in ("parquet", "auto"):
        args = ["prepare", str(tmp_path / "in"), "--source", source, "-o", str(tmp_path / "out")]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert f"{tmp_path / 'in'}/a.parquet: no 'text' column (columns: ['body', 'url']); set --text-key" in (
            result.output
        )
        assert not (tmp_path / "out").exists()
