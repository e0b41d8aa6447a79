"""`meco prepare --executor ray`: datatrove's `RayPipelineExecutor`, on a running cluster or a local one.

datatrove 0.10's executor leaves four things to its caller, each done here:
- connecting: `run()` joins the cluster at `address` (when it is None, a new local cluster, stopped after
  the run) unless Ray is already initialised (a `ray.init()` of the user's), and lets go of it when done;
- failed tasks: datatrove logs them and goes on, and its manifest stage would then wait for the unfinished
  tokenize tasks forever (a two-minute sleep in a loop); here each stage ends with an error naming its
  unfinished tasks, and a rerun resumes;
- a task that can never be placed (more CPUs or memory than any node has) would wait forever too; on a local
  cluster that is an error up front, on a running one (which may grow) a warning;
- a task process killed by a signal (the out-of-memory killer's SIGKILL): datatrove runs each task in a
  `multiprocess` pool inside its Ray actor, and a pool waits forever for the result of a worker that died.
  So the task runs in a child of the pool's worker, which waits on its exit and fails the task, naming it.
Tasks run in the driver's working directory where the node has it, so relative paths (a tokenizer.json, a
topic model, the output) mean what they mean on the command line.
"""

from __future__ import annotations

import os
import socket
import sys

from datatrove.executor import RayPipelineExecutor
from datatrove.utils.logging import logger
from datatrove.utils.stats import PipelineStats

from ..errors import MecoError, OptionError
from .executor import NamedStage, TaskFailed, killed_by


class RayMissing(MecoError, ImportError):
    """`--executor ray` without the `ray` package."""


def require_ray() -> None:
    """Fail in one line, naming the extra to install, where `ray` is not importable."""
    try:
        import ray  # noqa: F401
    except ImportError as e:
        raise RayMissing(f'--executor ray needs the `ray` package ({e}): pip install "meco[ray]"') from e


class RayUnreachable(MecoError, ConnectionError):
    """--ray-address names a host and port where nothing answers."""


def check_reachable(address: str | None) -> None:
    """`ray.init` retries an address where nothing listens for minutes; a refused connection is known at once."""
    if address in (None, "auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except (OSError, ValueError) as e:
        raise RayUnreachable(f"--ray-address {address}: no Ray cluster answers there ({e})") from e


class RayExecutor(NamedStage, RayPipelineExecutor):
    """`RayPipelineExecutor` that connects by itself and never waits on tasks that cannot finish."""

    def __init__(self, *args, address: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.address, self.working_dir = address, os.getcwd()

    def run(self):
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            check_reachable(self.address)
            ray.init(address=self.address or "local", logging_level="WARNING")
        try:
            self._check_resources(started_here)
            if self.depends:
                if not self.depends._launched:
                    self.depends.run()
                self.depends.check_finished()
            super().run()
            self.check_finished()
        finally:
            if started_here:
                ray.shutdown()

    def check_finished(self) -> None:
        """datatrove only logs a task that failed; raise, naming the tasks and where their logs are."""
        if missing := self.get_incomplete_ranks(skip_completed=True):
            logs = self.logging_dir.resolve_paths("logs")
            raise TaskFailed(f"{self.stage} tasks {missing} have not finished; their logs are in {logs}")

    def _check_resources(self, started_here: bool) -> None:
        import ray

        problem = unplaceable(
            [n["Resources"] for n in ray.nodes() if n["Alive"]], self.cpus_per_task, self.mem_per_cpu_gb
        )
        if problem and started_here and self.address is None:  # a local cluster of ours: it will not grow
            raise OptionError(f"{problem}: ask for less")
        if problem:
            logger.warning(f"{problem}: the tasks wait until such a node joins")

    def _run_for_rank(self, rank: int, local_rank: int = 0, node_rank: int = -1) -> PipelineStats:
        """Runs in a worker of datatrove's pool, in the driver's working directory, the task in a child process.
        The task saves its stats itself; datatrove's actor drops what this returns."""
        if os.path.isdir(self.working_dir):  # a process of the pool's own, so this changes nothing else
            os.chdir(self.working_dir)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                super()._run_for_rank(rank, local_rank, node_rank)
                code = 0
            finally:  # an exception is in the task's log already (datatrove's logger.exception)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            hint = "more --ray-mem-per-cpu-gb puts fewer tasks on a node"
            problem = self.failure(rank, killed_by(os.WTERMSIG(status), hint))
        elif os.WEXITSTATUS(status):
            problem = self.failure(rank, "failed")
        else:
            return PipelineStats()
        print(problem, file=sys.stderr, flush=True)  # Ray shows it in the driver's output
        raise TaskFailed(problem)


def unplaceable(nodes: list[dict], cpus: int, mem_per_cpu_gb: float) -> str | None:
    """Why no node (Ray resource dicts) can take a task of `cpus` CPUs and their memory; None if one can."""
    memory = mem_per_cpu_gb * cpus * 2**30
    if any(r.get("CPU", 0) >= cpus and r.get("memory", 0) >= memory for r in nodes):
        return None
    largest = max(nodes, key=lambda r: (r.get("CPU", 0), r.get("memory", 0)), default={})
    return (
        f"a task needs {cpus} CPUs and {memory / 2**30:g} GiB (--ray-cpus-per-task, --ray-mem-per-cpu-gb), and the "
        f"largest node of the Ray cluster has {largest.get('CPU', 0):g} CPUs and {largest.get('memory', 0) / 2**30:.1f} GiB"
    )
