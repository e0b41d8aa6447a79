"""Damaged compressed inputs: nothing raised, the file named, every readable record kept, no garbled record
passed on, and what is lost counted."""

from __future__ import annotations

import gzip
import json
import zlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from datatrove.utils.logging import logger

from meco.pipeline.readers import CheckedJsonlReader, CheckedParquetReader


def _lines(start: int, stop: int) -> bytes:
    return b"".join(
        json.dumps({"text": f"doc {i} " + "x" * 80, "url": "https://a.org"}).encode() + b"\n"
        for i in range(start, stop)
    )


def _texts(start: int, stop: int) -> list[str]:
    return [f"doc {i} " + "x" * 80 for i in range(start, stop)]


def _read(folder, reader_class=CheckedJsonlReader, **kwargs):
    messages = []
    sink = logger.add(lambda m: messages.append(str(m)), level="WARNING")
    try:
        reader = reader_class(str(folder), **kwargs)
        docs = list(reader.run())
    finally:
        logger.remove(sink)
    counts = {k: v.total for k, v in reader.stats.stats.items() if k.startswith("skipped.")}
    return [d.text for d in docs], counts, "".join(messages)


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_checksum=True).compress(data)


def test_zstd_trailing_garbage_keeps_every_record_and_names_the_file(tmp_path):
    (tmp_path / "a.jsonl.zst").write_bytes(_zstd(_lines(0, 300)) + b"\x00garbage after the frame")
    texts, counts, log = _read(tmp_path)
    assert texts == _texts(0, 300)
    assert counts == {"skipped.unreadable_file_rest": 1}
    assert f"damaged input {tmp_path}/a.jsonl.zst: has 24 bytes of garbage after" in log


def test_zstd_every_frame_is_read_and_a_corrupt_frame_is_held_back(tmp_path):
    frames = [_zstd(_lines(0, 100)), _zstd(_lines(100, 200)), _zstd(_lines(200, 300))]
    (tmp_path / "ok.jsonl.zst").write_bytes(b"".join(frames))
    assert _read(tmp_path)[0] == _texts(0, 300)  # fsspec's zstd reader stops after the first frame

    damaged = bytearray(b"".join(frames))
    damaged[len(frames[0]) + len(frames[1]) // 2] ^= 0x10  # inside the second frame's compressed data
    (tmp_path / "ok.jsonl.zst").write_bytes(bytes(damaged))
    texts, counts, log = _read(tmp_path)
    assert texts == _texts(0, 100)
    assert list(counts) == ["skipped.corrupt_member"] and counts["skipped.corrupt_member"] >= 1
    assert "zstd member 1 is damaged" in log and "ok.jsonl.zst" in log


def test_gzip_truncation_keeps_every_complete_line_before_the_cut(tmp_path):
    data = gzip.compress(_lines(0, 2000))
    cut = data[: len(data) * 3 // 4]
    readable = zlib.decompressobj(31).decompress(cut)  # what zcat prints before "unexpected end of file"
    (tmp_path / "cut.jsonl.gz").write_bytes(cut)
    texts, counts, log = _read(tmp_path)
    assert texts == _texts(0, readable.count(b"\n"))
    assert counts == {"skipped.unreadable_file_rest": 1}
    assert "ends inside gzip member 0" in log


def test_an_empty_compressed_file_is_a_cut_one(tmp_path):
    (tmp_path / "empty.jsonl.zst").write_bytes(b"")
    texts, counts, log = _read(tmp_path)
    assert (texts, counts) == ([], {"skipped.unreadable_file_rest": 1})
    assert "empty.jsonl.zst: ends inside zstd member 0: the file is empty" in log


def test_gzip_trailing_garbage_keeps_what_zcat_reads(tmp_path):
    data = gzip.compress(_lines(0, 50)) + gzip.compress(_lines(50, 120)) + b"\0\0\0\0not gzip"
    (tmp_path / "g.json.gz").write_bytes(data)
    texts, counts, _ = _read(tmp_path)
    assert texts == _texts(0, 120)
    assert counts == {"skipped.unreadable_file_rest": 1}
    (tmp_path / "g.json.gz").write_bytes(data[: -len(b"not gzip")])  # zero padding alone is no damage
    assert _read(tmp_path)[1:] == ({}, "")


@pytest.mark.parametrize("where", [0.3, 0.6, 0.95])
def test_a_bit_flipped_gzip_member_never_reaches_the_documents(tmp_path, where):
    first, second = gzip.compress(_lines(0, 100)), gzip.compress(_lines(100, 400))
    damaged = bytearray(first + second)
    damaged[len(first) + int(len(second) * where)] ^= 0x01  # deflate may inflate on through this: CRC catches it
    (tmp_path / "flip.jsonl.gz").write_bytes(bytes(damaged))
    texts, counts, log = _read(tmp_path)
    assert texts == _texts(0, 100)
    assert list(counts) == ["skipped.corrupt_member"] and counts["skipped.corrupt_member"] >= 1
    assert "gzip member 1 is damaged" in log and "held back" in log


def test_a_corrupt_parquet_row_group_counts_its_rows_and_later_groups_are_read(tmp_path):
    texts = [f"row {i} " + "y" * 50 for i in range(300)]
    path = tmp_path / "p.parquet"
    pq.write_table(
        pa.table({"text": texts, "url": ["https://p.org"] * 300}), path, row_group_size=100, compression="none"
    )
    data = bytearray(path.read_bytes())
    start = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data[start : start + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    got, counts, log = _read(tmp_path, CheckedParquetReader, batch_size=30)
    assert got == texts[:100] + texts[200:]
    assert counts == {"skipped.unreadable_row_group": 100}
    assert "row group 1" in log


def test_a_corrupt_row_group_inside_a_planned_piece_is_counted_by_the_task_that_reads_it(tmp_path):
    texts = [f"row {i} " + "y" * 50 for i in range(300)]
    pq.write_table(pa.table({"text": texts}), tmp_path / "p.parquet", row_group_size=50, compression="none")
    data = bytearray((tmp_path / "p.parquet").read_bytes())
    start = pq.ParquetFile(tmp_path / "p.parquet").metadata.row_group(1).column(0).data_page_offset
    data[start : start + 64] = b"\xff" * 64
    (tmp_path / "p.parquet").write_bytes(bytes(data))
    parts = [[("p.parquet", (0, 3))], [("p.parquet", (3, 6))]]  # two tasks, three row groups each
    for rank, expected_texts, expected_counts in (
        (0, texts[:50] + texts[100:150], {"skipped.unreadable_row_group": 50}),
        (1, texts[150:], {}),
    ):
        reader = CheckedParquetReader(str(tmp_path), parts=parts, batch_size=30)
        docs = list(reader.run(rank=rank, world_size=2))
        assert [d.text for d in docs] == expected_texts
        assert docs[0].id == f"p.parquet/{0 if rank == 0 else 150}"  # rows numbered from the file's first
        assert {k: v.total for k, v in reader.stats.stats.items() if k.startswith("skipped.")} == expected_counts


def test_every_bit_flip_near_a_gzip_end_keeps_only_exact_records(tmp_path):
    """Flips in the last block and trailer can make the inflater run on through the trailer and look like a cut
    file; the trailer's size tells them apart, so no garbled record gets through."""
    first, second = gzip.compress(_lines(0, 60), mtime=0), gzip.compress(_lines(60, 120), mtime=0)
    data = first + second
    past_the_size = 0
    for at in range(len(data) - 48, len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[at] ^= 1 << bit
            (tmp_path / "f.jsonl.gz").write_bytes(bytes(damaged))
            texts, counts, log = _read(tmp_path)
            assert texts == _texts(0, len(texts)) and len(texts) >= 60, (at, bit)
            assert texts == _texts(0, 120) or counts, (at, bit)
            past_the_size += "not cut: its trailer records about the size inflated" in log
    assert past_the_size > 0
