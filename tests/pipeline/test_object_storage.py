"""`meco prepare` from and to S3, against a real S3 API: moto's server, started here on 127.0.0.1.

The endpoint and credentials reach s3fs as users give them, through AWS_* environment variables.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meco.pipeline.lock import LOCK, OutputLocked, output_lock
from tests.conftest import DATA_SAMPLES, prepare_folder
from tests.fault.invariants import check_interrupted_output

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

LAYOUTS = ("c4", "dclm", "refinedweb")
OPTIONS = ["--tasks", "3", "--workers", "1", "--val-fraction", "0.1"]
DATA = ("conditioned", "cooldown", "val")  # the shard folders


@pytest.fixture(scope="module")
def s3_env():
    """A moto S3 server on a free port of 127.0.0.1 holding the shipped samples under s3://meco/in/; yields the
    environment that points s3fs at it."""
    if not all((DATA_SAMPLES / layout).is_dir() for layout in LAYOUTS):
        pytest.skip("data_samples/ not generated")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "meco-test",
        "AWS_SECRET_ACCESS_KEY": "meco-test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1",
    }
    fs = s3(env)
    fs.mkdir("meco")
    for layout in LAYOUTS:
        fs.put(str(DATA_SAMPLES / layout), f"meco/in/{layout}", recursive=True)
    try:
        yield env
    finally:
        server.stop()


def s3(env):
    """A client of the test's own, with no listings cache: the test watches what other processes write."""
    import s3fs

    return s3fs.S3FileSystem(
        endpoint_url=env["AWS_ENDPOINT_URL"],
        key=env["AWS_ACCESS_KEY_ID"],
        secret=env["AWS_SECRET_ACCESS_KEY"],
        use_listings_cache=False,
        skip_instance_cache=True,
    )


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    prepare_folder(out, [DATA_SAMPLES / layout for layout in LAYOUTS], tasks=3, val_fraction=0.1)
    return out


def prepare_command(env, output: str, work_dir: Path) -> list[str]:
    inputs = [f"s3://meco/in/{layout}" for layout in LAYOUTS]
    return [sys.executable, "-m", "meco.cli", "prepare", *inputs, "-o", output, *OPTIONS, "--work-dir", str(work_dir)]


def run_env(env) -> dict:
    return {**os.environ, **env}


def assert_same_as_local(env, output: str, local: Path, copy: Path) -> int:
    """Download the S3 output and compare: every shard file byte for byte, the manifest but for the input
    folders. Returns the number of shard files compared."""
    s3(env).get(output.removeprefix("s3://"), str(copy), recursive=True)
    expected = sorted(
        p.relative_to(local) for p in local.rglob("*") if p.is_file() and p.parts[len(local.parts)] in DATA
    )
    actual = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file() and p.parts[len(copy.parts)] in DATA)
    assert actual == expected
    for rel in expected:
        assert (copy / rel).read_bytes() == (local / rel).read_bytes(), rel
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (local, copy)]
    for manifest in manifests:
        for entry in manifest.pop("inputs"):
            entry.pop("folder")
    assert manifests[0] == manifests[1]
    return len(expected)


@pytest.mark.slow
def test_prepare_from_s3_to_s3_gives_the_local_shards(s3_env, local_run, tmp_path):
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    done = subprocess.run(
        prepare_command(s3_env, "s3://meco/straight", work_dir), env=run_env(s3_env), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert assert_same_as_local(s3_env, "s3://meco/straight", local_run, tmp_path / "copy") == 3 * 2 * 2 * 4
    assert f"writing shards in {work_dir}/meco-task00002-" in done.stderr  # written locally, then uploaded
    assert list(work_dir.iterdir()) == [], "the work dir is emptied once the shards are uploaded"
    fs = s3(s3_env)
    assert not fs.exists(f"meco/straight/{LOCK}")
    assert not [name for name in fs.find("meco/straight") if name.endswith(".partial")]


@pytest.mark.slow
def test_killed_s3_run_leaves_only_whole_objects_and_resumes_to_the_local_shards(s3_env, local_run, tmp_path):
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    fs, output = s3(s3_env), "s3://meco/killed"
    proc = subprocess.Popen(
        prepare_command(s3_env, output, work_dir),
        env=run_env(s3_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not fs.exists("meco/killed/logs/tokenize/completions/00000") and time.time() < deadline:
        assert proc.poll() is None, "the run ended before its first task was seen finished"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not fs.exists("meco/killed/manifest.json"), "the run finished before it could be killed"
    assert fs.exists(f"meco/killed/{LOCK}"), "a killed run leaves its lock"

    after_kill = tmp_path / "after_kill"
    fs.get("meco/killed", str(after_kill), recursive=True)
    check_interrupted_output(after_kill)  # every object under a final name is whole
    finished = {p.stem for p in (after_kill / "tasks").glob("*.json")}
    assert 1 <= len(finished) < 3
    for ds in after_kill.rglob("*.ds"):
        assert ds.name[:5] in finished, f"{ds} looks complete but its task did not finish"

    done = subprocess.run(
        prepare_command(s3_env, output, work_dir), env=run_env(s3_env), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "taking over the lock" in done.stderr
    assert "Skipping 1 already completed tasks" in done.stderr or "Skipping 2 already completed tasks" in done.stderr
    assert assert_same_as_local(s3_env, output, local_run, tmp_path / "copy") == 3 * 2 * 2 * 4
    assert not fs.exists(f"meco/killed/{LOCK}")
    assert not [name for name in fs.find("meco/killed") if name.endswith(".partial")]
    assert list(work_dir.iterdir()) == [], "the rerun removes the staging folders of the killed tasks"


def test_lock_and_settings_on_s3(s3_env, monkeypatch, tmp_path):
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    output = "s3://meco/settings"
    with output_lock(output):
        assert s3(s3_env).exists(f"meco/settings/{LOCK}")
        with pytest.raises(OutputLocked, match="in use by another"):
            with output_lock(output):
                pass
    assert not s3(s3_env).exists(f"meco/settings/{LOCK}")

    c4 = "s3://meco/in/c4/c4-train.00000-of-01024.json.gz"
    prepare_folder(output, [c4], limit=3, val_fraction=0)
    settings = json.loads(s3(s3_env).cat("meco/settings/prepare.json"))
    assert settings["plan"] == [[{"input": 0, "file": "c4-train.00000-of-01024.json.gz"}]]
    prepare_folder(output, [c4], limit=3, val_fraction=0, batch_size=2)  # a resume: nothing to do
    with pytest.raises(ValueError, match="other settings.*limit"):
        prepare_folder(output, [c4], limit=4, val_fraction=0)
