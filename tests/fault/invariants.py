"""What must hold in a prepare output folder after any kill, and how to find the processes to kill."""

from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of every live descendant of `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier, depth = [], [pid], 0
    while frontier:
        depth += 1
        frontier = [c for p in frontier for c in children.get(p, [])]
        found += [(c, depth) for c in frontier]
    return found


def compare_outputs(expected: Path, actual: Path) -> int:
    """Every data file of `expected` is byte-identical in `actual` (logs and task records hold times); returns
    how many files were compared."""
    compared = 0
    for path in sorted(expected.rglob("*")):
        rel = path.relative_to(expected)
        if path.is_file() and rel.parts[0] not in ("logs", "tasks"):
            assert (actual / rel).read_bytes() == path.read_bytes(), rel
            compared += 1
    assert not list(actual.rglob("*.partial"))
    return compared
