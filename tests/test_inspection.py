"""`meco inspect`: counts equal the manifest, metadata values equal the corpus's hosts, prefixes shown masked."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlsplit

import numpy as np
import pytest
from click.testing import CliRunner

from meco.cli import main
from meco.inspection.report import mark_masked, sample_indices
from meco.shards import PrefixTemplate, Shards, prefix_span
from tests.corpus import read_records


def inspect(*args) -> str:
    result = CliRunner().invoke(main, ["inspect", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_mark_masked_brackets_every_untrained_run():
    decode = lambda ids: "".join(chr(ord("a") + i) for i in ids)  # noqa: E731
    assert mark_masked(np.array([0, 1, 2, 3, 4]), np.array([0, 0, 1, 0, 1], np.uint8), decode) == "[ab]c[d]e"
    assert mark_masked(np.array([7, 8]), np.array([1, 1], np.uint8), decode) == "hi"


def test_prefix_parsing_and_sampling():
    tokens, loss = np.array([1, 50, 51, 9, 2]), np.array([0, 0, 0, 1, 1], np.uint8)
    start, end = prefix_span(tokens, loss, bos_id=1)
    assert tokens[start:end].tolist() == [50, 51]
    start, end = prefix_span(tokens, loss, bos_id=None)
    assert tokens[start:end].tolist() == [1, 50, 51]
    template = PrefixTemplate("URL: {host}\nTopic: {topic}\n\n")
    assert template.parse("URL: en.wikipedia.org\nTopic: a: b\n\n") == {"host": "en.wikipedia.org", "topic": "a: b"}
    assert sample_indices(10, 4).tolist() == [0, 3, 6, 9] and sample_indices(3, 100).tolist() == [0, 1, 2]


def test_inspect_json_equals_the_manifest_and_the_corpus(prepared_shared, shared_data, tokenizer):
    report = json.loads(inspect(prepared_shared, "--json", "--sample", 100_000, "--top", 0))
    manifest = json.loads((prepared_shared / "manifest.json").read_text())
    assert (report["tokenizer"], report["token_dtype"], report["vocab_size"]) == ("cl100k_base", "uint32", 100277)
    for split, variants in manifest["splits"].items():
        for variant, v in variants.items():
            masked = 1 - v["target_tokens"] / v["tokens"]
            expected = {
                "documents": v["documents"],
                "tokens": v["tokens"],
                "target_tokens": v["target_tokens"],
                "masked_fraction": masked,
            }
            assert report["splits"][split][variant] == expected
    assert report["splits"]["train"]["cooldown"]["masked_fraction"] == 0.0
    # the train hosts inspect reports, plus the val documents' hosts, are exactly the corpus's hosts
    records = [r for r in read_records(shared_data) if r["text"].strip()]
    corpus_hosts = Counter(urlsplit(r["url"]).hostname.rstrip(".") for r in records)
    val = Shards.open(prepared_shared, "conditioned", "val")
    val_prefixes = [tokenizer.decode(t[: int(np.argmax(m))].tolist()) for t, m in map(val.document, range(len(val)))]
    val_hosts = Counter(p.removeprefix("URL: ").removesuffix("\n\n") for p in val_prefixes)
    assert report["metadata"]["sampled_documents"] == len(records) - len(val)
    assert Counter(dict(map(tuple, report["metadata"]["values"]["host"]))) + val_hosts == corpus_hosts
    assert list(report["metadata"]) == ["sampled_documents", "values"] and list(report["metadata"]["values"]) == [
        "host"
    ]
    tokens, loss = Shards.open(prepared_shared, "conditioned").document(0)
    n, shown = int(np.argmax(loss)), min(200, len(tokens))
    assert tokenizer.decode(tokens[:n].tolist()).startswith("URL: ")
    marked = f"[{tokenizer.decode(tokens[:n].tolist())}]{tokenizer.decode(tokens[n:shown].tolist())}"
    assert report["sample"] == {"document": 0, "tokens": shown, "part": "first", "marked": marked}


def test_inspect_text_shows_counts_top_hosts_and_the_masked_prefix(prepared_shared, shared_data, tokenizer):
    printed = inspect(prepared_shared, "--top", 3, "--doc", 5, "--show-tokens", 12)
    conditioned = Shards.open(prepared_shared, "conditioned")
    tokens, loss = conditioned.document(5)
    n = int(np.argmax(loss))
    assert printed.endswith(f"[{tokenizer.decode(tokens[:n].tolist())}]{tokenizer.decode(tokens[n:12].tolist())}\n")
    assert tokenizer.decode(tokens[:n].tolist()).startswith("URL: ")
    assert "document 5 of train/conditioned, first 12 tokens, untrained ones in [brackets]:" in printed
    manifest = json.loads((prepared_shared / "manifest.json").read_text())
    train = manifest["splits"]["train"]["conditioned"]
    assert (
        f"{'train/conditioned':<18} {train['documents']:>10,} {train['tokens']:>14,} {train['target_tokens']:>14,}"
        in printed
    )
    assert "metadata values in 1,000 sampled conditioned documents:" in printed
    assert sum(line.startswith("    host: ") for line in printed.splitlines()) == 3


def test_inspect_refuses_out_of_range_options(prepared_shared):
    documents = json.loads((prepared_shared / "manifest.json").read_text())["splits"]["train"]["conditioned"][
        "documents"
    ]
    result = CliRunner().invoke(main, ["inspect", str(prepared_shared), "--doc", "5000"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: --doc 5000: {prepared_shared}'s train/conditioned holds {documents:,} documents, numbered from 0\n"
    )
    for option, value, limit in [
        ("--show-tokens", "0", "x>=1"),
        ("--doc", "-1", "x>=0"),
        ("--sample", "-1", "x>=0"),
        ("--top", "-1", "x>=0"),
    ]:
        result = CliRunner().invoke(main, ["inspect", str(prepared_shared), option, value])
        assert (
            result.exit_code == 2
            and f"Invalid value for '{option}': {value} is not in the range {limit}." in result.output
        )


def test_inspect_plot_writes_a_png(prepared_shared, tmp_path):
    pytest.importorskip("matplotlib")
    inspect(prepared_shared, "--plot", tmp_path / "data.png")
    assert (tmp_path / "data.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("position", ["prefix", "suffix"])
def test_inspect_shows_the_variants_a_folder_supports(tmp_path, position):
    from tests.conftest import prepare_folder

    records = [{"text": f"page {i}", "url": f"https://{'ab'[i % 2]}.org/{i}", "dump": f"D{i % 3}"} for i in range(9)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "out"
    prepare_folder(out, [tmp_path / "in"], metadata=["host", "field:dump"], position=position, val_fraction=0)
    report = json.loads(inspect(out, "--json", "--top", 0))
    variants = report["variants"]
    assert (variants["kinds"], variants["fields"], variants["position"]) == (
        ["host", "field:dump"],
        {"dump": "as is"},
        position,
    )
    assert variants["template"] == (
        "URL: {host}\ndump: {dump}\n\n" if position == "prefix" else "\n\nURL: {host}\ndump: {dump}"
    )
    assert report["metadata"]["values"] == {
        "host": [["a.org", 5], ["b.org", 4]],
        "dump": [["D0", 3], ["D1", 3], ["D2", 3]],
    }  # read back from the prefixes or the suffixes
    repeat = next(o for o in variants["options"] if "repeat-prefix" in o)
    assert ("repeats only BOS" in repeat) == (position == "suffix")
    text = inspect(out, "--show-tokens", 6)
    assert f"  position   {position}: " in text and "record fields: dump (as is)" in text
    assert ("last 6 tokens" in text) == (position == "suffix")
    assert ("dump: D0<|endoftext|>" in text) == (position == "suffix")  # the suffix, trained: no brackets
