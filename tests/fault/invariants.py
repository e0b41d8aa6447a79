"""What must hold in a prepare output folder after any kill, and how to find the processes to kill."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from meco.shards import PARTIAL_SUFFIX as PARTIAL
from meco.shards import sha256_file


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


def running(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


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


SHARD_PARTS = ("", ".index", ".loss", ".metadata")


def check_interrupted_output(out: Path, token_size: int = 4) -> dict[str, int]:
    """What must hold in a prepare output however the run ended: every file under a final name is whole.

    meco's JSON files parse; a shard with any part under its final name
    has all four parts (final or still `.partial`), of consistent sizes; a task record's files match its
    sha256 sums; a datatrove completion has its stats. Returns counts of what was checked."""
    if not out.exists():
        return {}
    seen = {"json": 0, "shards": 0, "records": 0}
    for path in [out / "prepare.json", out / "manifest.json", *out.glob("tasks/*.json")]:
        if path.exists():
            json.loads(path.read_text())
            seen["json"] += 1
    for ds in {p.with_name(p.name.split(".ds")[0] + ".ds") for p in out.rglob("*.ds*") if "logs" not in p.parts}:
        parts = {s: _either(ds, s) for s in SHARD_PARTS}
        if not any(p is not None and not p.name.endswith(PARTIAL) for p in parts.values()):
            continue  # nothing final yet: a write in progress, discarded by the rerun
        assert all(p is not None for p in parts.values()), f"{ds}: a part is final but another is missing: {parts}"
        tokens = parts[""].stat().st_size // token_size
        ends = np.fromfile(parts[".index"], "<u8")
        assert parts[""].stat().st_size % token_size == 0, ds
        assert (ends[-1] if len(ends) else 0) == tokens and np.all(np.diff(ends) > 0), f"{ds}: index is cut"
        assert parts[".loss"].stat().st_size == tokens, f"{ds}: loss mask is cut"
        assert parts[".metadata"].read_text().split("\n")[1] == str(tokens), f"{ds}: metadata is cut"
        seen["shards"] += 1
    for path in out.glob("tasks/*.json"):
        for key, entry in json.loads(path.read_text())["files"].items():
            split, variant = key.split("/")
            base = out / ("val" if split == "val" else "") / variant / entry["name"]
            for part, digest in entry["sha256"].items():
                assert sha256_file(str(base) + part[2:]) == digest, f"{base}{part[2:]} differs from its task record"
        seen["records"] += 1
    for marker in out.glob("logs/tokenize/completions/*"):
        json.loads((out / "logs" / "tokenize" / "stats" / f"{marker.name}.json").read_text())
    return seen


def _either(ds: Path, suffix: str) -> Path | None:
    final = Path(str(ds) + suffix)
    if final.exists():
        return final
    partial = Path(str(ds) + suffix + PARTIAL)
    return partial if partial.exists() else None


FIGURES: Counter = Counter()  # what the fault tests exercised, written out by conftest for bench/reliability.py
