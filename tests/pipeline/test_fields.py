"""Metadata from any record field (`-m field:NAME`, `--bucket`, `--date`) and appended metadata (`--position
suffix`): rendering, exact tokens and masks of both variants, counts per field, real layouts, settings."""

from __future__ import annotations

import gzip
import io
import json
import math
from datetime import datetime

import pyarrow.parquet as pq
import pytest
import zstandard

from meco.errors import OptionError
from meco.pipeline.fields import Malformed, bucket, render, rendering
from meco.pipeline.job import SettingsMismatch
from meco.shards import Manifest, MetadataError, PrefixTemplate, Shards, check_kind, default_template
from tests.conftest import prepare_folder

DCLM_SCORE = "fasttext_openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train_prob"


def _jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.mark.parametrize(
    ("score", "k", "expected"),
    [(0.0, 10, 0), (0.35, 10, 3), (0.999, 10, 9), (1.0, 10, 9), (1, 4, 3), (0.5, 1, 0), (0.25, 4, 1)],
)
def test_a_score_goes_to_floor_k_times_score_and_one_shares_the_top_bucket(score, k, expected):
    assert bucket(score, k) == expected


@pytest.mark.parametrize("score", [1.0000001, -0.1, math.nan, math.inf, "0.5", True, None, [0.5]])
def test_a_score_outside_zero_one_or_not_a_number_is_malformed(score):
    with pytest.raises(Malformed):
        bucket(score, 10)


def test_dates_render_by_year_or_month_from_iso_strings_and_timestamps():
    assert render("2019-04-25T12:57:54Z", {"date": "month"}) == "2019-04"
    assert (
        render("2019-04-25T12:57:54Z", {"date": "year"}) == render("2019-12-31T23:59:59z", {"date": "year"}) == "2019"
    )
    assert render(datetime(2019, 7, 17, 13, 30, 36), {"date": "month"}) == "2019-07"  # RefinedWeb's column
    assert render(" ", {"date": "year"}) is None and render(None, {"date": "year"}) is None  # missing
    for bad in ("yesterday", "2019-13-01", 20190425, {"y": 2019}):
        with pytest.raises(Malformed):
            render(bad, {"date": "year"})


def test_a_plain_field_renders_text_and_numbers_and_refuses_objects():
    assert render(" CC-MAIN-2019-30 ", {}) == "CC-MAIN-2019-30"
    assert (render(7, {}), render(0.25, {})) == ("7", "0.25")
    for bad in ({"a": 1}, [1], True, math.nan):
        with pytest.raises(Malformed):
            render(bad, {})


def test_field_kinds_must_be_identifiers_that_are_no_builtin_kind():
    check_kind("field:dump")
    for bad in ("field:host", "field:a-b", "field:", "field:2x", "colour"):
        with pytest.raises(MetadataError):
            check_kind(bad)
    assert default_template(["host", "field:dump"]) == "URL: {host}\ndump: {dump}\n\n"
    assert default_template(["host", "field:dump"], "suffix") == "\n\nURL: {host}\ndump: {dump}"


def test_bucket_and_date_name_fields_that_are_read():
    kinds = ["host", "field:score", "field:ts"]
    assert rendering(kinds, {"score": 10}, {"ts": "year"}) == {"score": {"bucket": 10}, "ts": {"date": "year"}}
    for bucket_, dates, message in (
        ({"other": 3}, {}, "not among the fields read"),
        ({"score": 0}, {}, "at least 1"),
        ({}, {"ts": "day"}, "choose from year, month"),
        ({"ts": 2}, {"ts": "year"}, "not both"),
    ):
        with pytest.raises(OptionError, match=message):
            rendering(kinds, bucket_, dates)


def test_the_template_gives_the_place_of_every_value_back():
    text = "\n\nURL: en.wikipedia.org\nq: 7"
    spans = PrefixTemplate("\n\nURL: {host}\nq: {q}").spans(text)
    assert {name: text[a:b] for name, (a, b) in spans.items()} == {"host": "en.wikipedia.org", "q": "7"}


RECORDS = [
    {"text": "first page", "url": "https://a.org/1", "q": 0.95, "ts": "2019-04-25T12:57:54Z"},
    {"text": "second page", "url": "https://b.org/2", "q": 1.0, "ts": "garbage"},
    {"text": "third page", "url": "https://a.org/3", "q": 1.5},  # malformed score, missing date
    {"text": "fourth page", "q": None, "ts": "2020-01-02"},  # no URL, no score
    {"text": "fifth page"},  # nothing at all: written, without metadata
]


def _prepared(tmp_path, **options):
    _jsonl(tmp_path / "in" / "docs.jsonl", RECORDS)
    out = tmp_path / options.pop("name", "out")
    options = {"metadata": ["host", "field:q", "field:ts"], "bucket": {"q": 10}, "date": {"ts": "month"}} | options
    manifest = prepare_folder(out, [tmp_path / "in"], val_fraction=0, **options)
    return out, manifest


EXPECTED_METADATA = [
    ["URL: a.org", "q: 9", "ts: 2019-04"],
    ["URL: b.org", "q: 9"],
    ["URL: a.org"],
    ["ts: 2020-01"],
    [],
]


def test_field_prefixes_have_exact_tokens_and_masks_and_every_problem_is_counted_per_field(tmp_path, tokenizer):
    out, manifest = _prepared(tmp_path)
    cond, cool = Shards.open(out, "conditioned"), Shards.open(out, "cooldown")
    assert len(cond) == len(cool) == 5  # nothing dropped
    for i, (record, lines) in enumerate(zip(RECORDS, EXPECTED_METADATA, strict=True)):
        prefix = "\n".join(lines) + "\n\n" if lines else ""
        body = tokenizer.encode_batch([record["text"]])[0] + [tokenizer.eos_id]
        head = tokenizer.encode_batch([prefix])[0] if prefix else []
        tokens, loss = cond.document(i)
        assert tokens.tolist() == head + body
        assert loss.tolist() == [0] * len(head) + [1] * len(body)
        assert cool.document(i)[0].tolist() == body
    docs = manifest["documents"]
    assert docs["field_values"] == {"q.missing": 2, "q.malformed": 1, "ts.missing": 2, "ts.malformed": 1}
    assert docs["without_metadata"] == {"no_url": 1}  # the fifth page: its first reason counts
    assert docs["missing_value"] == {"host": 1, "q": 2, "ts": 2}
    assert manifest["metadata"] == {
        "kinds": ["host", "field:q", "field:ts"],
        "template": "URL: {host}\nq: {q}\nts: {ts}\n\n",
        "fields": {"q": {"bucket": 10}, "ts": {"date": "month"}},
    }
    read = Manifest.read(out)  # the round trip keeps every setting
    assert (read.position, read.fields, read.documents.field_values) == (
        "prefix",
        manifest["metadata"]["fields"],
        docs["field_values"],
    )
    assert read.to_json() == manifest


def test_suffix_documents_hold_the_document_then_the_trained_metadata_aligned_with_cooldown(tmp_path, tokenizer):
    out, manifest = _prepared(tmp_path, position="suffix")
    assert manifest["metadata"]["position"] == "suffix"
    assert manifest["metadata"]["template"] == "\n\nURL: {host}\nq: {q}\nts: {ts}"
    for split_folder in ("conditioned", "cooldown"):
        assert len(Shards.open(out, split_folder)) == 5
    cond, cool = Shards.open(out, "conditioned"), Shards.open(out, "cooldown")
    for i, (record, lines) in enumerate(zip(RECORDS, EXPECTED_METADATA, strict=True)):
        suffix = "\n\n" + "\n".join(lines) if lines else ""
        doc = tokenizer.encode_batch([record["text"]])[0]
        tail = tokenizer.encode_batch([suffix])[0] if suffix else []
        tokens, loss = cond.document(i)
        assert tokens.tolist() == doc + tail + [tokenizer.eos_id]
        assert loss.all()  # the metadata is a target
        assert cool.document(i)[0].tolist() == doc + [tokenizer.eos_id]
        assert cool.document(i)[1].all()
    assert Manifest.read(out).position == "suffix"


def test_a_rerun_with_another_position_or_bucket_is_refused(tmp_path):
    _prepared(tmp_path)
    with pytest.raises(SettingsMismatch, match="position"):
        _prepared(tmp_path, position="suffix")
    with pytest.raises(SettingsMismatch, match="bucket"):
        _prepared(tmp_path, bucket={"q": 4})
    with pytest.raises(SettingsMismatch, match="date"):
        _prepared(tmp_path, date={"ts": "year"})


def _first_records(path, n=40) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).slice(0, n).to_pylist()
    raw = (
        gzip.open(path).read()
        if path.name.endswith(".gz")
        else zstandard.ZstdDecompressor().stream_reader(path.open("rb"))
    )
    lines = (raw.split(b"\n") if isinstance(raw, bytes) else io.BufferedReader(raw).read().split(b"\n"))[:n]
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize(
    ("layout", "kind", "options", "expected"),
    [
        ("c4/c4-validation.00000-of-00008.json.gz", "timestamp", {"date": {"timestamp": "month"}}, lambda v: v[:7]),
        ("refinedweb/data", "dump", {}, lambda v: v),
        ("dclm", DCLM_SCORE, {"bucket": {DCLM_SCORE: 10}}, lambda v: str(min(int(v * 10), 9))),
    ],
)
def test_each_real_layout_gives_the_field_it_holds(tmp_path, shared_data, tokenizer, layout, kind, options, expected):
    path = shared_data / layout
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    records = [r for r in _first_records(files[0]) if (r.get("text") or r.get("content") or "").strip()]
    out = tmp_path / "out"
    prepare_folder(out, [path], metadata=[f"field:{kind}"], val_fraction=0, limit=len(records), **options)
    cond, cool = Shards.open(out, "conditioned"), Shards.open(out, "cooldown")
    assert len(cond) == len(records) > 10
    for i, record in enumerate(records):
        value = record[kind].strftime("%Y-%m") if isinstance(record[kind], datetime) else expected(record[kind])
        prefix = tokenizer.encode_batch([f"{kind}: {value}\n\n"])[0]
        tokens, loss = cond.document(i)
        assert tokens.tolist() == prefix + cool.document(i)[0].tolist()
        assert loss.tolist() == [0] * len(prefix) + [1] * len(cool.document(i)[0])


def test_the_command_line_parses_fields_buckets_dates_and_position(tmp_path):
    from click.testing import CliRunner

    from meco.cli import main

    _jsonl(tmp_path / "in" / "docs.jsonl", RECORDS)
    args = ["prepare", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--val-fraction", "0", "--workers", "1"]
    for bad, message in (
        (["--bucket", "q"], "'q': expected NAME=VALUE"),
        (["--bucket", "q=ten"], "invalid literal for int"),
        (["-m", "field:q", "--position", "middle"], "'middle' is not one of 'prefix', 'suffix'"),
        (["-m", "host,field:a-b"], "NAME must be an identifier"),
    ):
        result = CliRunner().invoke(main, args + bad)
        assert result.exit_code != 0 and message in result.output, result.output
    result = CliRunner().invoke(main, args + ["-m", "host,field:q", "--bucket", "q=4", "--position", "suffix"])
    assert result.exit_code == 0, result.output
    assert "field values" in result.output and "q.malformed 1" in result.output
    manifest = Manifest.read(tmp_path / "out")
    assert (manifest.kinds, manifest.fields, manifest.position) == (("host", "field:q"), {"q": {"bucket": 4}}, "suffix")
