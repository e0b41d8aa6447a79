"""The shipped corpus files hold exactly the records of data_samples/texts, and make_samples.py rebuilds them."""

from __future__ import annotations

import gzip
import json
import runpy

import pyarrow.parquet as pq
import zstandard

from tests.conftest import DATA_SAMPLES
from tests.corpus import read_records

DCLM = DATA_SAMPLES / "dclm/global-shard_01_of_10/local-shard_0_of_10/shard_00000000_processed.jsonl.zst"
C4 = DATA_SAMPLES / "c4/c4-train.00000-of-01024.json.gz"
REFINEDWEB = DATA_SAMPLES / "refinedweb/data/train-00000-of-00001.parquet"


def texts(name: str) -> list[dict]:
    lines = (DATA_SAMPLES / "texts" / f"{name}.jsonlines").read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line]


def decompressed(path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else zstandard.ZstdDecompressor().decompress(data)


def test_dclm_holds_the_texts_sorted_by_url():
    expected = sorted(texts("dclm"), key=lambda r: r["url"])
    assert [{"url": r["url"], "text": r["text"]} for r in read_records(DCLM)] == expected
    # the one deliberate LINE SEPARATOR is written raw (not as \u2028), so line-splitting readers meet it
    assert decompressed(DCLM).count("\u2028".encode()) == 1


def test_c4_holds_the_texts_in_order():
    assert [{"url": r["url"], "text": r["text"]} for r in read_records(C4)] == texts("c4")


def test_refinedweb_holds_the_texts_and_image_urls_in_order():
    rows = pq.read_table(REFINEDWEB, columns=["url", "image_urls", "content"]).to_pylist()
    assert [{"url": r["url"], "image_urls": r["image_urls"], "text": r["content"]} for r in rows] == texts("refinedweb")


def test_make_samples_rebuilds_every_field_of_the_committed_files(tmp_path):
    """Regenerated into tmp_path, the files decode to the same records and filler as the committed ones
    (compared decompressed, so a newer zlib, zstd or parquet writer does not matter)."""
    make = runpy.run_path(str(DATA_SAMPLES / "make_samples.py"))  # not an import: no __pycache__ in data_samples/
    for name, write, committed in (
        ("dclm", make["write_dclm"], DCLM),
        ("c4", make["write_c4"], C4),
        ("refinedweb", make["write_refinedweb"], REFINEDWEB),
    ):
        rebuilt = tmp_path / committed.name
        assert write(rebuilt, make["read_texts"](name)) == 36
        if committed.suffix == ".parquet":
            assert pq.read_table(rebuilt).equals(pq.read_table(committed), check_metadata=True)
        else:
            assert decompressed(rebuilt) == decompressed(committed)


def test_prepare_reads_only_the_three_corpus_files():
    """The texts files and make_samples.py are not taken for a fourth corpus by `meco prepare data_samples`."""
    from meco.pipeline.sources import resolve_inputs

    groups = {g.source.name: g.files for g in resolve_inputs([str(DATA_SAMPLES)])}
    assert groups == {
        name: [str(path.relative_to(DATA_SAMPLES))]
        for name, path in (("dclm", DCLM), ("c4", C4), ("refinedweb", REFINEDWEB))
    }
