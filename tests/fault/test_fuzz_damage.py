"""Property: whatever damage a compressed or parquet input suffers (a flipped bit anywhere, a cut, garbage after
the end), the readers raise nothing, pass on only records exactly as written and in order, lose nothing before
the damage, and count what they drop; an undetected change leaves every record intact.

MECO_FUZZ_EXAMPLES sets the number of damaged files per kind (bench/reliability.py runs many)."""

from __future__ import annotations

import gzip
import json
import os
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meco.pipeline.readers import CheckedJsonlReader, CheckedParquetReader
from tests.fault.invariants import FIGURES

EXAMPLES = int(os.environ.get("MECO_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("MECO_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TEXTS = [f"record {i}: " + "the quick brown fox " * (1 + i % 7) for i in range(240)]


def _read(reader) -> tuple[list[str], int]:
    docs = [d.text for d in reader.run()]
    return docs, sum(v.total for k, v in reader.stats.stats.items() if k.startswith("skipped."))


def _damage(data: bytes, kind: str, where: float, bit: int) -> bytes:
    at = min(int(where * len(data)), len(data) - 1)
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1 :]
    if kind == "cut":
        return data[:at]
    return data + bytes([0x42 + bit]) * (1 + at % 50)  # garbage after the end


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
@SETTINGS
@given(
    members=st.integers(1, 4),
    kind=st.sampled_from(["flip", "flip", "cut", "garbage"]),
    where=st.floats(0, 1),
    bit=st.integers(0, 7),
)
def test_damaged_compressed_input(tmp_path_factory, codec, members, kind, where, bit):
    lines = [json.dumps({"text": t, "url": "https://a.org"}).encode() + b"\n" for t in TEXTS]
    bounds = [len(lines) * m // members for m in range(members + 1)]
    compress = gzip.compress if codec == "gzip" else zstandard.ZstdCompressor(write_checksum=True).compress
    parts = [compress(b"".join(lines[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    data = b"".join(parts)
    folder = tmp_path_factory.mktemp("damage")
    (folder / ("x.jsonl.gz" if codec == "gzip" else "x.jsonl.zst")).write_bytes(_damage(data, kind, where, bit))
    reader = CheckedJsonlReader(str(folder))
    texts, skipped = _read(reader)
    reported = {k for k in reader.stats.stats if k in ("skipped.corrupt_member", "skipped.unreadable_file_rest")}

    at = min(int(where * len(data)), len(data) - 1)
    ends = [sum(len(p) for p in parts[: m + 1]) for m in range(members)]
    member = next(m for m in range(members) if at < ends[m])
    start = ends[member] - len(parts[member])
    inflate = zlib.decompressobj(31) if codec == "gzip" else zstandard.ZstdDecompressor().decompressobj()
    intact = bounds[member] + inflate.decompress(parts[member][: at - start]).count(b"\n")  # lines before `at`

    if kind == "garbage":
        assert texts == TEXTS and skipped == 1
    elif not reported:  # an undetected change must have changed nothing; a cut between members is no damage
        assert texts == TEXTS or (kind == "cut" and at == start and texts == TEXTS[:intact] and skipped == 0)
    elif "skipped.corrupt_member" in reported:  # a member failing its check is held back whole
        assert texts == TEXTS[: bounds[member]]
    elif kind == "cut":  # every complete line before the cut, exactly
        assert texts == TEXTS[:intact]
    else:  # a flip that made the member look cut or ended it early: nothing before the flip lost, nothing garbled
        assert texts == TEXTS[: len(texts)] and len(texts) >= intact and skipped >= 1
        FIGURES.update({f"{codec} flips seen as cuts or garbage, records before them kept": 1})
    FIGURES.update(
        {f"damaged {codec} files": 1, f"{codec} {kind}s": 1, f"{codec} {kind}s detected": int(bool(reported))}
    )


@SETTINGS
@given(where=st.floats(0, 1), bit=st.integers(0, 7), compression=st.sampled_from(["none", "snappy", "zstd"]))
@example(where=0.9972537361244249, bit=0, compression="none")  # a row group read short without an error
def test_damaged_parquet_input(tmp_path_factory, where, bit, compression):
    folder = tmp_path_factory.mktemp("parquet")
    path = folder / "p.parquet"
    table = pa.table({"text": TEXTS, "url": ["https://p.org"] * len(TEXTS)})
    pq.write_table(table, path, row_group_size=60, compression=compression, write_page_checksum=True)
    data = path.read_bytes()
    footer = pq.ParquetFile(path).metadata.serialized_size + 8
    at = min(int(where * (len(data) - footer - 4)) + 4, len(data) - footer - 1)  # the row groups, not the footer
    path.write_bytes(data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1 :])

    texts, skipped = _read(CheckedParquetReader(str(folder), batch_size=25))
    assert len(texts) + skipped == len(TEXTS), "rows neither passed on nor counted"
    assert [t for t in TEXTS if t in set(texts)] == texts, "a row was garbled or reordered"
    FIGURES.update({"damaged parquet files": 1, "parquet flips detected": int(skipped > 0)})
    FIGURES.update({"parquet flips harmless (all rows intact)": int(texts == TEXTS and skipped == 0)})
    FIGURES.update({"parquet rows counted as skipped": skipped})
