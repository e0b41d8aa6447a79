"""datatrove's local executor, with task processes the parent can watch.

datatrove 0.10's `LocalPipelineExecutor` runs tasks in a `multiprocess.Pool` and waits on `imap_unordered`: a worker
killed by a signal (the out-of-memory killer's SIGKILL) never returns its result, the pool replaces the worker,
and the run waits forever without a word. `concurrent.futures.ProcessPoolExecutor` would notice the death
(BrokenProcessPool) but not say which task died or of what. So each task here runs in a process of its own,
and the parent waits on the processes' exit: a task that dies ends the run with an error naming the task and
the signal, after the tasks still running have finished. Finished tasks keep datatrove's completion markers,
so a rerun resumes. With one worker the tasks run in this process, as in datatrove.
"""

from __future__ import annotations

import os
import signal
import threading
from copy import deepcopy

import multiprocess
from datatrove.executor import LocalPipelineExecutor
from datatrove.utils.logging import logger
from datatrove.utils.stats import PipelineStats
from multiprocess.connection import wait

from ..errors import MecoError


class TaskFailed(MecoError, RuntimeError):
    """A datatrove task raised or died; finished tasks are kept, so the same command resumes once the cause
    is fixed."""


class NamedStage:
    """A datatrove executor that names its stage, a failed task and the task's log in messages."""

    @property
    def stage(self) -> str:
        """The last part of the stage's logging folder (`tokenize`, `manifest`)."""
        return self.logging_dir.path.rstrip("/").rsplit("/", 1)[-1]

    def task_log(self, rank: int) -> str:
        return self.logging_dir.resolve_paths(f"logs/task_{rank:05d}.log")

    def failure(self, rank: int, what: str) -> str:
        return f"{self.stage} task {rank} {what}; its log: {self.task_log(rank)}"


def killed_by(signum: int, sigkill_hint: str) -> str:
    """What a task killed by signal `signum` is said to have met; for SIGKILL (the out-of-memory killer's),
    `sigkill_hint` says how to give each task more memory."""
    try:
        name = signal.Signals(signum).name
    except ValueError:  # a signal without a name (a real-time one)
        name = str(signum)
    hint = f" (the out-of-memory killer sends SIGKILL: {sigkill_hint})" if signum == signal.SIGKILL else ""
    return f"was killed by signal {name}{hint}"


class WatchedLocalExecutor(NamedStage, LocalPipelineExecutor):
    """`LocalPipelineExecutor` whose tasks never hang the run: one process per task, exit status checked."""

    def run(self):
        if self.depends:
            if not self.depends._launched:
                self.depends.run()
            if missing := self.depends.get_incomplete_ranks(skip_completed=True):
                raise TaskFailed(f"{self.depends.stage} tasks {missing} have not finished")
        self._launched = True
        ranks = self.get_incomplete_ranks(range(self.local_rank_offset, self.local_rank_offset + self.local_tasks))
        if not ranks:
            logger.info(f"Not doing anything as all {self.local_tasks} tasks have already been completed.")
            return PipelineStats()
        if (skipped := self.local_tasks - len(ranks)) > 0:
            logger.info(f"Skipping {skipped} already completed tasks")
        self.save_executor_as_json()
        stats = self._run_here(ranks) if self.workers == 1 else self._run_in_processes(ranks)
        stats = sum(stats, start=PipelineStats())
        with self.logging_dir.open("stats.json", "wt") as f:
            stats.save_to_disk(f)
        logger.success(stats.get_repr(f"All {self.local_tasks} tasks"))
        return stats

    def _run_here(self, ranks: list[int]) -> list[PipelineStats]:
        pipeline, stats = self.pipeline, []
        for rank in ranks:
            self.pipeline = deepcopy(pipeline)  # fresh step state per task, as datatrove does
            try:
                stats.append(self._run_for_rank(rank))
            except Exception as e:
                raise TaskFailed(self.failure(rank, f"failed: {type(e).__name__}: {e}")) from e
        self.pipeline = pipeline
        return stats

    def _run_in_processes(self, ranks: list[int]) -> list[PipelineStats]:
        """At most `workers` task processes at once; after a failure no new task starts, the running ones finish."""
        context = multiprocess.get_context(self.start_method)
        pending, running, stats, failures = list(reversed(ranks)), {}, [], []
        free_slots = list(reversed(range(self.workers)))
        try:
            while running or (pending and not failures):
                while pending and free_slots and not failures:
                    rank, slot = pending.pop(), free_slots.pop()
                    receive, send = context.Pipe(duplex=False)
                    process = context.Process(target=_task_main, args=(self, rank, slot, send), daemon=True)
                    process.start()
                    send.close()
                    running[rank] = _Task(rank, slot, process, receive)
                waiting = {t.process.sentinel: t for t in running.values()}
                waiting |= {t.results: t for t in running.values() if not t.done_sending}
                for ready in wait(list(waiting)):
                    task = waiting[ready]
                    task.receive()
                    if ready is task.results:
                        continue
                    task.process.join()
                    task.receive()
                    task.results.close()
                    del running[task.rank]
                    free_slots.append(task.slot)
                    outcome = task.outcome()
                    if isinstance(outcome, PipelineStats):
                        stats.append(outcome)
                    else:
                        logger.error(self.failure(task.rank, outcome))
                        failures.append((task.rank, outcome))
        finally:
            for task in running.values():  # only on an interrupt (Ctrl-C) or a bug here: leave no orphans
                task.process.kill()
                task.process.join()
        if failures:
            rank, outcome = failures[0]
            more = f" ({len(failures) - 1} more failed tasks: {[r for r, _ in failures[1:]]})" if failures[1:] else ""
            raise TaskFailed(self.failure(rank, outcome) + more)
        return stats


class _Task:
    """A running task process and the pipe its result comes back on."""

    def __init__(self, rank: int, slot: int, process, results):
        self.rank, self.slot, self.process, self.results = rank, slot, process, results
        self.result, self.done_sending = None, False

    def receive(self) -> None:
        """Read the one result if it has come; a pipe closed without one means the process died first."""
        if self.done_sending or not self.results.poll():
            return
        try:
            self.result = self.results.recv()
        except (EOFError, OSError):
            pass
        self.done_sending = True

    def outcome(self) -> PipelineStats | str:
        """The task's stats, or what went wrong, in words."""
        code = self.process.exitcode
        if self.result is not None and self.result[0] == "stats" and code == 0:
            return self.result[1]
        if self.result is not None and self.result[0] == "error":
            return f"failed: {self.result[1]}"
        if code is not None and code < 0:
            return killed_by(-code, "fewer --workers need less memory")
        return f"exited with code {code} without a result"


def _task_main(executor: WatchedLocalExecutor, rank: int, local_rank: int, results) -> None:
    """Body of a task process: run the task, send back its stats or its error."""
    _exit_with_parent()
    try:
        stats = executor._run_for_rank(rank, local_rank)
    except BaseException as e:  # the parent reports it; datatrove has already logged the traceback
        results.send(("error", f"{type(e).__name__}: {e}"))
        raise SystemExit(1) from None
    results.send(("stats", stats))


def _exit_with_parent() -> None:
    """A task whose parent died (killed, say) stops at once instead of writing on beside a rerun."""
    parent = multiprocess.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
