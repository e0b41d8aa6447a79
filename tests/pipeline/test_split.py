"""Work dealt to tasks by size, parquet files cut by row groups: exact plans, bounded skew, every row read once."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meco.pipeline.sources import SOURCES, InputGroup
from meco.pipeline.split import cut, most_tasks, split_work
from tests.conftest import DATA_SAMPLES, prepare_folder


def jsonl(folder: str, sizes: dict[str, int]) -> InputGroup:
    return InputGroup(folder, SOURCES["jsonl"], list(sizes), [[s] for s in sizes.values()])


def parquet(folder: str, row_groups: dict[str, list[int]]) -> InputGroup:
    return InputGroup(folder, SOURCES["parquet"], list(row_groups), list(row_groups.values()))


def plan_of(groups, tasks) -> list[list[tuple]]:
    return [[(p.group, p.file, p.row_groups) for p in task] for task in split_work(groups, tasks)]


def test_files_go_largest_first_to_the_least_loaded_task():
    group = jsonl("/in", {"a": 100, "b": 70, "c": 60, "d": 50, "e": 20, "f": 10})
    # a, b, c open the three tasks; d joins c (60), e joins b (70), f joins b (90): loads 100, 100, 110
    assert plan_of([group], 3) == [
        [(0, "a", None)],
        [(0, "b", None), (0, "e", None), (0, "f", None)],
        [(0, "c", None), (0, "d", None)],
    ]


def test_equal_sizes_are_dealt_in_path_order_and_each_task_reads_in_input_order():
    group = jsonl("/in", {"d": 5, "c": 5, "b": 5, "a": 5})  # listed in this (input) order
    assert plan_of([group], 2) == [[(0, "c", None), (0, "a", None)], [(0, "d", None), (0, "b", None)]]
    # ties across inputs break on the full path, so /in/x.jsonl goes before /z/a.jsonl
    groups = [jsonl("/z", {"a.jsonl": 5}), jsonl("/in", {"x.jsonl": 5})]
    assert plan_of(groups, 2) == [[(1, "x.jsonl", None)], [(0, "a.jsonl", None)]]


def test_a_parquet_file_over_a_share_is_cut_into_contiguous_row_group_ranges():
    assert plan_of([parquet("/in", {"big.parquet": [10] * 8})], 4) == [
        [(0, "big.parquet", (0, 2))],
        [(0, "big.parquet", (2, 4))],
        [(0, "big.parquet", (4, 6))],
        [(0, "big.parquet", (6, 8))],
    ]
    # 180 bytes over 3 tasks: a share is 60, so the 120-byte parquet file becomes two pieces; the 60-byte
    # JSON lines file is one unit whatever its size
    groups = [jsonl("/in", {"a.jsonl": 60}), parquet("/in", {"b.parquet": [30, 30, 30, 30]})]
    assert plan_of(groups, 3) == [[(0, "a.jsonl", None)], [(1, "b.parquet", (0, 2))], [(1, "b.parquet", (2, 4))]]
    # a file of one row group, or smaller than a share, is read whole
    groups = [parquet("/in", {"one.parquet": [500], "small.parquet": [1, 1]})]
    assert plan_of(groups, 2) == [[(0, "one.parquet", None)], [(0, "small.parquet", None)]]
    # compressed JSON lines are never cut, however large
    assert plan_of([jsonl("/in", {"huge.jsonl.zst": 10**12})], 4) == [[(0, "huge.jsonl.zst", None)], [], [], []]


def test_cut_puts_each_boundary_nearest_its_share():
    assert cut([1, 1, 1, 1, 1, 1, 1, 10], 2) == [(0, 7), (7, 8)]
    assert cut([5, 1, 1, 1, 1, 1], 3) == [(0, 1), (1, 3), (3, 6)]  # shares end at 3.3 and 6.7 bytes
    assert cut([3, 3], 5) == [(0, 1), (1, 2)]  # never more pieces than row groups


def test_the_default_number_of_tasks_counts_row_groups():
    groups = [jsonl("/in", {"a.jsonl.zst": 9}), parquet("/in", {"b.parquet": [1, 2, 3]})]
    assert most_tasks(groups) == 4


@settings(max_examples=200, deadline=None)
@given(
    files=st.lists(
        st.tuples(st.booleans(), st.lists(st.integers(0, 1000), min_size=1, max_size=12)), min_size=1, max_size=12
    ),
    tasks=st.integers(1, 16),
)
def test_every_row_group_is_dealt_once_and_no_task_exceeds_the_mean_by_more_than_one_part(files, tasks):
    groups = [
        parquet("/in", {f"{i:02d}.parquet": sizes}) if is_parquet else jsonl("/in", {f"{i:02d}.jsonl": sum(sizes)})
        for i, (is_parquet, sizes) in enumerate(files)
    ]
    plan = split_work(groups, tasks)
    assert plan == split_work(groups, tasks)  # deterministic
    assert len(plan) == tasks
    covered = {}
    for task in plan:
        for p in task:
            n = len(groups[p.group].sizes[0])
            first, end = p.row_groups or (0, n)
            covered.setdefault(p.group, []).extend(range(first, end))
            assert p.bytes == sum(groups[p.group].sizes[0][first:end])
    assert {g: sorted(rgs) for g, rgs in covered.items()} == {
        i: list(range(len(g.sizes[0]))) for i, g in enumerate(groups)
    }
    loads = [sum(p.bytes for p in task) for task in plan]
    largest = max(p.bytes for task in plan for p in task)
    assert max(loads) <= sum(loads) / tasks + largest


def _refinedweb_rows() -> pa.Table:
    path = DATA_SAMPLES / "refinedweb" / "data" / "train-00000-of-00001.parquet"
    if not path.is_file():
        pytest.skip("data_samples/ not generated")
    return pq.read_table(path)


@pytest.mark.slow
def test_one_parquet_file_split_over_tasks_reads_every_row_once_in_order(tmp_path):
    rows = _refinedweb_rows()
    (tmp_path / "in").mkdir()
    pq.write_table(rows, tmp_path / "in" / "train.parquet", row_group_size=4)  # 36 rows: 9 row groups
    one = prepare_folder(tmp_path / "one", [tmp_path / "in"], tasks=1, val_fraction=0)
    four = prepare_folder(tmp_path / "four", [tmp_path / "in"], tasks=4, val_fraction=0)
    plan = json.loads((tmp_path / "four" / "prepare.json").read_text())["plan"]
    assert all(len(task) == 1 for task in plan), "each of the 4 tasks reads one piece"
    pieces = sorted(tuple(task[0]["row_groups"]) for task in plan)
    assert [p[0] for p in pieces] == [0] + [p[1] for p in pieces[:-1]] and pieces[-1][1] == 9, pieces
    assert four["documents"]["written"] == one["documents"]["written"] == rows.num_rows
    order = sorted(range(4), key=lambda task: plan[task][0]["row_groups"])  # tasks by the rows they read
    for variant in ("cooldown", "conditioned"):
        for suffix in ("", ".loss"):
            whole = (tmp_path / "one" / variant / f"00000.ds{suffix}").read_bytes()
            pieces = b"".join((tmp_path / "four" / variant / f"{t:05d}.ds{suffix}").read_bytes() for t in order)
            assert pieces == whole, (variant, suffix)
    lengths = [
        np.diff(np.fromfile(tmp_path / "four" / "cooldown" / f"{t:05d}.ds.index", "<u8"), prepend=0) for t in order
    ]
    whole_lengths = np.diff(np.fromfile(tmp_path / "one" / "cooldown" / "00000.ds.index", "<u8"), prepend=0)
    np.testing.assert_array_equal(np.concatenate(lengths), whole_lengths)


def test_a_rerun_on_an_input_that_changed_size_is_refused_naming_the_plan(tmp_path):
    (tmp_path / "in").mkdir()
    for name, n in (("a.jsonl", 3), ("b.jsonl", 1)):
        lines = [json.dumps({"text": f"{name} {i}", "url": "https://x.org"}) for i in range(n)]
        (tmp_path / "in" / name).write_text("\n".join(lines) + "\n")
    prepare_folder(tmp_path / "out", [tmp_path / "in"], tasks=2, val_fraction=0)
    with open(tmp_path / "in" / "b.jsonl", "a") as f:  # b now outweighs a: the plan changes
        f.write("".join(json.dumps({"text": f"more {i}"}) + "\n" for i in range(9)))
    with pytest.raises(ValueError, match=r"other settings \(plan differ\)"):
        prepare_folder(tmp_path / "out", [tmp_path / "in"], tasks=2, val_fraction=0)
