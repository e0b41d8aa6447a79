"""Bad records: each is skipped (or repaired) and counted by reason; every good record comes through."""

import gzip
import json

from meco.pipeline.readers import CheckedJsonlReader, CheckedParquetReader


def _read(reader):
    docs = list(reader.run())
    counts = {k: v.total for k, v in reader.stats.stats.items()}
    return docs, counts


def test_jsonl_bad_records_are_counted_and_good_ones_kept(tmp_path):
    long_text = "word " * 2_100_000  # 10.5 MB
    lines = [
        json.dumps({"text": "good one", "url": "https://a.example.com/1"}).encode(),
        b'{"text": "truncated',
        json.dumps({"url": "https://no-text.example.com"}).encode(),
        json.dumps({"text": 12, "url": "x"}).encode(),
        json.dumps({"text": "   \n", "url": "x"}).encode(),
        b'{"text": "bad \xff\xfe byte", "url": "x"}',
        json.dumps({"text": "nul\u0000inside", "url": "https://b.example.com"}).encode(),
        json.dumps({"text": long_text, "url": "x"}).encode(),
        json.dumps(["not", "an", "object"]).encode(),
        b"",
        json.dumps({"text": "line\u2028separator stays", "url": None}, ensure_ascii=False).encode(),
        json.dumps({"text": "good two", "url": "https://c.example.com"}).encode(),
    ]
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    docs, counts = _read(CheckedJsonlReader(str(tmp_path), max_chars=10_000_000))
    assert [d.text for d in docs] == ["good one", "nulinside", "line\u2028separator stays", "good two"]
    assert [d.metadata["url"] for d in docs] == [
        "https://a.example.com/1",
        "https://b.example.com",
        None,
        "https://c.example.com",
    ]
    assert docs[0].id == "in.jsonl.gz/0"
    assert {k: v for k, v in counts.items() if k.startswith(("skipped", "repaired"))} == {
        "skipped.malformed_json": 1,
        "skipped.missing_text": 1,
        "skipped.non_string_text": 1,
        "skipped.empty_text": 1,
        "skipped.invalid_utf8": 1,
        "repaired.nul_bytes_removed": 1,
        "skipped.too_long": 1,
        "skipped.not_an_object": 1,
    }


def test_parquet_reads_only_needed_columns_and_counts_bad_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "content": ["first", None, "", "third"],
            "url": ["https://x.org/1", "u", "u", None],
            "image_urls": [[["a", "b"]], [], [], []],
        }
    )
    pq.write_table(table, tmp_path / "part.parquet", row_group_size=2)
    docs, counts = _read(CheckedParquetReader(str(tmp_path), text_key="content", batch_size=3))
    assert [(d.text, d.metadata["url"], d.id) for d in docs] == [
        ("first", "https://x.org/1", "part.parquet/0"),
        ("third", None, "part.parquet/3"),
    ]
    assert counts["skipped.missing_text"] == 1 and counts["skipped.empty_text"] == 1


def test_a_truncated_compressed_file_keeps_what_was_read_and_counts_the_rest(tmp_path):
    lines = b"".join(
        json.dumps({"text": f"doc {i} " + "x" * 200, "url": "https://a.org"}).encode() + b"\n" for i in range(400)
    )
    data = gzip.compress(lines)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs, counts = _read(CheckedJsonlReader(str(tmp_path)))
    assert 0 < len(docs) < 400
    assert [d.text.split()[1] for d in docs] == [str(i) for i in range(len(docs))]
    assert counts["skipped.unreadable_file_rest"] == 1


def test_a_damaged_parquet_file_keeps_the_row_groups_before_the_damage(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"row {i} " + "y" * 50 for i in range(300)]
    pq.write_table(
        pa.table({"text": texts, "url": ["https://p.org"] * 300}),
        tmp_path / "p.parquet",
        row_group_size=100,
        compression="none",
    )
    data = bytearray((tmp_path / "p.parquet").read_bytes())
    meta = pq.ParquetFile(tmp_path / "p.parquet").metadata
    start = meta.row_group(2).column(0).data_page_offset  # the third row group's text page
    data[start : start + 64] = b"\xff" * 64
    (tmp_path / "p.parquet").write_bytes(bytes(data))
    docs, counts = _read(CheckedParquetReader(str(tmp_path), batch_size=100))
    assert [d.text for d in docs] == texts[:200]
    assert counts["skipped.unreadable_row_group"] == 100  # its rows, not "1"


def test_every_line_is_a_document_or_counted(tmp_path):
    """Lines `line.strip()` used to drop unseen, records orjson refuses for a field meco never reads, and texts
    that only look non-empty."""
    lines = [
        b'\xef\xbb\xbf{"text": "after a BOM", "url": "https://a.org"}',  # a UTF-8 BOM opens the file
        b"\x0c\x0c",  # form feeds: not JSON, counted
        b"\x0b",
        b"   \t",  # JSON whitespace only: a blank line, no record
        b'{"text": "big int", "n": 123456789012345678901234567890123}',
        b'{"text": "beyond double", "x": 1e400, "y": -1e999}',
        b'{"text": "not a number", "x": NaN}',
        b'{"text": "lone \\ud800 surrogate", "url": "https://x\\udc00.org", "id": "id\\udfff"}',
        b'{"text": "\\ufeff"}',
        b'{"text": "\\u200b\\u200c\\u200d\\u2060 \\n\\ufeff"}',
        b'{"text": "\\u200bzero width then text"}',
    ]
    (tmp_path / "in.jsonl").write_bytes(b"\r\n".join(lines) + b"\r\n")
    docs, counts = _read(CheckedJsonlReader(str(tmp_path)))
    assert [d.text for d in docs] == [
        "after a BOM",
        "big int",
        "beyond double",
        "not a number",
        "lone \ufffd surrogate",
        "\u200bzero width then text",
    ]
    assert docs[0].metadata["url"] == "https://a.org"
    assert (docs[4].metadata["url"], docs[4].id) == ("https://x\ufffd.org", "id\ufffd")
    assert {k: v for k, v in counts.items() if k.startswith(("skipped", "repaired"))} == {
        "skipped.malformed_json": 2,
        "skipped.empty_text": 2,
        "repaired.lone_surrogates_replaced": 1,
    }
    assert len(docs) + 2 + 2 == len(lines) - 1  # every line but the blank one
