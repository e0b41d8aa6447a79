"""`meco prepare --executor ray` on real Ray clusters on this machine, every address on 127.0.0.1: one that meco
starts for the run, and one the tests start with `ray start` and connect to with --ray-address. The shards are
byte-identical to the local executor's, a killed driver's rerun redoes only the unfinished tasks, a failing or
killed task ends the run with an error naming it, and no Ray process outlives its cluster."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from meco.cli import main
from tests.conftest import DATA_SAMPLES, REPO, prepare_folder
from tests.fault.invariants import compare_outputs, running

requires_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is not installed (pip install 'meco[ray]')"
)
TASKS = 3  # one per shipped sample file
OPTIONS = ["--tasks", str(TASKS), "--val-fraction", "0.1"]  # 0.1: the val/ folder gets documents too
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray's laptop setting: every address on 127.0.0.1
    "RAY_AUTH_MODE": "disabled",  # no token file written to ~/.ray; nothing listens beyond loopback
    "RAY_USAGE_STATS_ENABLED": "0",
    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),  # this checkout's meco
}
START_TIMEOUT_S = 180  # Ray starts in seconds, but this machine's 2 cores are shared


def test_ray_executor_without_ray_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where the package is not installed
    result = CliRunner().invoke(main, ["prepare", "--executor", "ray", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --executor ray needs the `ray` package (import of ray halted; None in sys.modules): "
        'pip install "meco[ray]"'
    ]
    assert not (tmp_path / "out").exists()


@requires_ray
def test_a_ray_address_where_nothing_listens_is_refused_at_once(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and nothing listens once the socket is closed
    args = ["prepare", str(DATA_SAMPLES), "-o", str(tmp_path / "out"), "--executor", "ray"]
    result = CliRunner().invoke(main, [*args, "--ray-address", f"127.0.0.1:{port}"])
    assert result.exit_code == 1
    error = result.output.strip().splitlines()[-1]
    assert error.startswith(f"Error: --ray-address 127.0.0.1:{port}: no Ray cluster answers there (")
    assert not (tmp_path / "out").exists()


def test_a_task_that_cannot_be_placed_is_named():
    from meco.pipeline.ray_executor import unplaceable

    nodes = [{"CPU": 2.0, "memory": 8 * 2**30}, {"CPU": 8.0, "memory": 4 * 2**30}]
    assert unplaceable(nodes, 2, 2) is None
    assert unplaceable(nodes, 4, 2) == (
        "a task needs 4 CPUs and 8 GiB (--ray-cpus-per-task, --ray-mem-per-cpu-gb), and the largest node of the "
        "Ray cluster has 8 CPUs and 4.0 GiB"
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The shipped samples prepared by the local executor."""
    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    out = tmp_path_factory.mktemp("local") / "out"
    prepare_folder(out, [DATA_SAMPLES], tasks=TASKS, val_fraction=0.1)
    return out


def session_processes(sid: int) -> list[int]:
    """Live processes of session `sid` (Ray's processes stay in the session of whoever started them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(stat.parent.name))
    return found


def wait_until_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.time() + timeout_s
    while (alive := [p for p in pids if running(p)]) and time.time() < deadline:
        time.sleep(0.1)
    return alive


def meco(*args: str, cwd: Path, **popen) -> subprocess.Popen:
    """`meco prepare` in a session of its own; its output piped unless `popen` says otherwise."""
    popen = {"env": os.environ | RAY_ENV, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} | popen
    return subprocess.Popen(
        [sys.executable, "-m", "meco.cli", "prepare", *args], cwd=cwd, text=True, start_new_session=True, **popen
    )


@requires_ray
@pytest.mark.slow
def test_local_ray_cluster_started_for_the_run_gives_the_local_shards(tmp_path, reference):
    """Without --ray-address meco starts a Ray of its own and stops it: nothing of it is left afterwards."""
    with tempfile.TemporaryDirectory(prefix="meco-ray-") as ray_tmp:  # short: Ray's socket paths are limited
        run = meco(
            str(DATA_SAMPLES), "-o", str(tmp_path / "out"), *OPTIONS, "--executor", "ray", cwd=tmp_path,
            env=os.environ | RAY_ENV | {"RAY_TMPDIR": ray_tmp},
        )  # fmt: skip
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output[-3000:]
        assert not wait_until_gone(session_processes(run.pid), 30), "Ray processes outlived the run"
    assert "train/conditioned" in output
    assert compare_outputs(reference, tmp_path / "out") == 2 * 2 * 4 * TASKS + 2  # shards; manifest and prepare.json


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray head node with 2 CPUs started by `ray start --block` (stopping that command stops the node), in a
    working directory of its own, so tasks find relative paths only through meco; yields its address."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed (pip install 'meco[ray]')")
    with tempfile.TemporaryDirectory(prefix="meco-ray-") as ray_tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = open(Path(ray_tmp) / "ray-start.log", "w+")
        head = subprocess.Popen(
            [Path(sys.executable).parent / "ray", "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
             "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
             "--temp-dir", ray_tmp],
            cwd=ray_tmp, env=os.environ | RAY_ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.time() + START_TIMEOUT_S
            while "Ray runtime started" not in Path(log.name).read_text():
                assert head.poll() is None and time.time() < deadline, Path(log.name).read_text()[-3000:]
                time.sleep(0.2)
            yield f"127.0.0.1:{port}"
        finally:
            head.send_signal(signal.SIGTERM)
            try:
                head.wait(timeout=60)
            except subprocess.TimeoutExpired:
                head.kill()
            left = wait_until_gone(session_processes(head.pid), 30)
            for pid in left:  # only ours: the processes of the session this fixture started
                os.kill(pid, signal.SIGKILL)
            log.close()
            assert not left, f"Ray processes {left} outlived `ray start --block`"


def rank_workers(sid: int) -> list[int]:
    """The cluster's datatrove task processes (Ray names them after the actor class)."""
    return [p for p in session_processes(sid) if _cmdline(p).startswith("ray::RankWorker")]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@requires_ray
@pytest.mark.slow
def test_killed_driver_rerun_redoes_only_unfinished_tasks(tmp_path, reference, ray_cluster):
    """SIGKILL to `meco prepare --ray-address` after its first task finished; the rerun resumes. The output is
    relative to the driver's working directory (the cluster's is another), as a user types it."""
    args = [str(DATA_SAMPLES), "-o", "out", *OPTIONS, "--executor", "ray", "--ray-address", ray_cluster]
    args += ["--ray-cpus-per-task", "2"]  # the cluster has 2 CPUs: one task at a time
    out, sid = tmp_path / "out", _session_of_cluster(ray_cluster)
    first = meco(*args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(out.glob("logs/tokenize/completions/*")):
        assert first.poll() is None and time.time() < deadline, "the run ended before any task finished"
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    finished = sorted(int(p.name) for p in out.glob("logs/tokenize/completions/*"))
    assert 1 <= len(finished) < TASKS and not (out / "manifest.json").exists()
    assert not wait_until_gone(rank_workers(sid), 60), "task processes outlived their killed driver"
    written = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("0000[0-9].ds*")}
    done_before = {p: v for p, v in written.items() if int(p.name[:5]) in finished}
    assert done_before

    rerun = meco(*args, cwd=tmp_path)
    output, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, output[-3000:]
    assert f"Will run pipeline on {TASKS - len(finished)} incomplete ranks out of {TASKS} total" in output
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in done_before} == done_before  # not redone
    assert compare_outputs(reference, out) == 2 * 2 * 4 * TASKS + 2


@requires_ray
@pytest.mark.slow
def test_task_process_killed_on_ray_ends_the_run_naming_it(tmp_path, ray_cluster):
    """SIGKILL to a running task's process, as the out-of-memory killer sends: datatrove's pool would wait for
    it forever; the run ends with an error naming the task and the signal, after the other tasks finished."""
    args = [str(DATA_SAMPLES), "-o", "out", *OPTIONS, "--executor", "ray", "--ray-address", ray_cluster]
    args += ["--ray-cpus-per-task", "2"]
    sid, log = _session_of_cluster(ray_cluster), tmp_path / "driver.log"
    with open(log, "w") as f:
        run = meco(*args, cwd=tmp_path, stdout=f)
        deadline = time.time() + 300
        while not (tasks := task_processes(sid)):
            assert run.poll() is None and time.time() < deadline, "the run ended before a task started"
            time.sleep(0.02)
        os.kill(tasks[0], signal.SIGKILL)
        assert run.wait(timeout=300) == 1
    output = log.read_text()
    killed = int(re.search(r"tokenize task (\d+) was killed by signal SIGKILL \(the out-of-memory killer", output)[1])
    assert f"tokenize tasks [{killed}] have not finished; their logs are in {tmp_path / 'out'}" in output
    done = sorted(int(p.name) for p in (tmp_path / "out").glob("logs/tokenize/completions/*"))
    assert done == [r for r in range(TASKS) if r != killed]


def task_processes(sid: int) -> list[int]:
    """The processes that run datatrove tasks: children of the pool workers of the Ray actors."""
    workers = set(rank_workers(sid))
    return [p for p in workers if _parent(p) in workers and _parent(_parent(p)) in workers]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def _session_of_cluster(address: str) -> int:
    """The session of the `ray start` process serving `address` (its GCS listens on the port)."""
    port = address.rsplit(":", 1)[1]
    for pid in [int(p.name) for p in Path("/proc").glob("[0-9]*")]:
        if _cmdline(pid).split(" ")[0].endswith("gcs_server") and f"--gcs_server_port={port}" in _cmdline(pid):
            return os.getsid(pid)
    raise AssertionError(f"no gcs_server for {address}")


@requires_ray
@pytest.mark.slow
def test_failing_task_on_ray_is_named_instead_of_waited_for(tmp_path, ray_cluster):
    """A file that turns bad between planning (which checks the text column) and its task: datatrove's Ray
    executor logs the failure and its manifest stage would wait forever; meco names the task and its logs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "in").mkdir()
    parquet = tmp_path / "in" / "a.parquet"
    pq.write_table(pa.table({"text": ["a text"], "url": ["https://x.org"]}), parquet)
    script = f"""
import pyarrow as pa, pyarrow.parquet as pq
from meco.pipeline import PrepareConfig, RayExecutor, job
build = job.build_executors
def build_then_replace_the_file(*args, **kwargs):
    executors = build(*args, **kwargs)
    pq.write_table(pa.table({{"body": ["a text"], "url": ["https://x.org"]}}), {str(parquet)!r})
    return executors
job.build_executors = build_then_replace_the_file
config = PrepareConfig(inputs=[{str(tmp_path / "in")!r}], source="parquet", output="out")
job.prepare(config, RayExecutor, address={ray_cluster!r})
"""
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=os.environ | RAY_ENV, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert run.returncode == 1
    logs = tmp_path / "out" / "logs" / "tokenize" / "logs"
    assert f"TaskFailed: tokenize tasks [0] have not finished; their logs are in {logs}" in run.stderr
    assert "rerunning the same command resumes" in run.stderr
    assert "no 'text' column" in (logs / "task_00000.log").read_text()
    assert not (tmp_path / "out" / "manifest.json").exists()
