"""Which task reads what: input files dealt to tasks by size, large parquet files cut by row groups.

datatrove deals files round-robin by name, so a few large files can pile onto one task while others idle.
Here every piece of work goes, largest first, to the task with the fewest bytes so far (ties: the lower
task; equal pieces in path order), the classic greedy that ends within one piece of the mean. A parquet file
larger than a task's share (all bytes / tasks) is cut into contiguous ranges of row groups of about a share
each, so one big file keeps every task busy. JSON lines files (also `jsonl.zst`, `json.gz`, which cannot be
read from the middle) are never cut: such a file is the smallest unit of work.

The plan depends only on the files, their sizes (row-group sizes for parquet) and the number of tasks; it is
saved in prepare.json, so a rerun on changed inputs is refused instead of resuming into other shards.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class Part:
    """A piece of work: a whole file, or row groups [first, end) of a parquet file."""

    group: int  # index of the file's input group
    file: str  # path relative to the group's folder
    bytes: int
    row_groups: tuple[int, int] | None = None

    def to_json(self) -> dict:
        whole = {"input": self.group, "file": self.file}
        return whole if self.row_groups is None else {**whole, "row_groups": list(self.row_groups)}


def cut(sizes: list[int], pieces: int) -> list[tuple[int, int]]:
    """`pieces` contiguous ranges [first, end) of the units whose byte sizes are `sizes`, each boundary at the
    unit boundary nearest its equal share of the bytes (integer arithmetic: the same cut on every machine)."""
    pieces = max(1, min(pieces, len(sizes)))
    total, cumulative, ends, start = sum(sizes), list(accumulate(sizes)), [], 0
    for j in range(1, pieces):
        # boundary i (after unit i - 1) leaves room for the pieces still to come
        candidates = range(start + 1, len(sizes) - (pieces - j) + 1)
        boundary = min(candidates, key=lambda i: (abs(cumulative[i - 1] * pieces - j * total), i))
        ends.append(boundary)
        start = boundary
    bounds = [0, *ends, len(sizes)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def pieces_of(group: int, file: str, unit_sizes: list[int], splittable: bool, total: int, tasks: int) -> list[Part]:
    """The parts one file becomes: itself, or (parquet over a share, total / tasks) ranges of its row groups."""
    size = sum(unit_sizes)
    wanted = -(-size * tasks // total) if total else 1  # ceil(size / share), in integers
    if not splittable or len(unit_sizes) < 2 or wanted < 2:
        return [Part(group, file, size)]
    return [Part(group, file, sum(unit_sizes[a:b]), (a, b)) for a, b in cut(unit_sizes, wanted)]


def deal(parts: list[Part], tasks: int, paths: dict[int, str]) -> list[list[Part]]:
    """Largest part first to the least-loaded task (ties: the lower task). `paths` gives each group's folder,
    so that equal parts go in the order of their full paths."""
    loads = [(0, task) for task in range(tasks)]
    dealt: list[list[Part]] = [[] for _ in range(tasks)]
    by_size = sorted(parts, key=lambda p: (-p.bytes, f"{paths[p.group]}/{p.file}", p.row_groups or (0, 0)))
    for part in by_size:
        load, task = heapq.heappop(loads)
        dealt[task].append(part)
        heapq.heappush(loads, (load + part.bytes, task))
    return dealt


def most_tasks(groups) -> int:
    """How many tasks the inputs can keep busy: one per file, one per row group of a parquet file."""
    return sum(len(sizes) for group in groups for sizes in group.sizes)


def split_work(groups, tasks: int) -> list[list[Part]]:
    """The plan for meco.pipeline.sources.InputGroup `groups`: for each task, its parts in input order."""
    files = [
        (i, file, sizes, group.source.reader == "parquet")
        for i, group in enumerate(groups)
        for file, sizes in zip(group.files, group.sizes, strict=True)
    ]
    total = sum(sum(sizes) for _, _, sizes, _ in files)
    order = {(g, f): i for i, (g, f, _, _) in enumerate(files)}
    parts = [p for g, f, sizes, splittable in files for p in pieces_of(g, f, sizes, splittable, total, tasks)]
    dealt = deal(parts, tasks, {i: group.folder for i, group in enumerate(groups)})
    return [sorted(task, key=lambda p: (order[p.group, p.file], p.row_groups or (0, 0))) for task in dealt]
