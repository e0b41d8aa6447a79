"""The shard writer step: whole-batch packing, the exactness sample, and gigatoken against the reference."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from datatrove.data import Document
from hypothesis import given, settings
from hypothesis import strategies as st

from meco.pipeline.writer import ExactnessSample, MecoShardWriter, PrefixCache, pack, select
from meco.tokenizer import TokenizerMismatch
from tests.conftest import prepare_folder

ragged = st.lists(st.lists(st.integers(0, 60_000), max_size=6), max_size=6)


def flat(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([i for x in lists for i in x], np.int64), np.array([len(x) for x in lists], np.int64)


@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from([None, 7]), st.sampled_from([np.uint16, np.uint32]))
def test_pack_writes_bos_prefix_document_eos_with_the_loss_on_document_and_eos(data, bos, dtype):
    docs = data.draw(ragged)
    prefixes = data.draw(st.lists(st.lists(st.integers(0, 60_000), max_size=4), min_size=len(docs), max_size=len(docs)))
    tokens, loss, lengths = pack(*flat(docs), *flat(prefixes), bos, 9, dtype)
    head = [] if bos is None else [bos]
    assert tokens.dtype == dtype and loss.dtype == np.uint8
    assert tokens.tolist() == [t for d, p in zip(docs, prefixes, strict=True) for t in [*head, *p, *d, 9]]
    assert loss.tolist() == [
        m for d, p in zip(docs, prefixes, strict=True) for m in [0] * (len(head) + len(p)) + [1] * (len(d) + 1)
    ]
    assert lengths.tolist() == [len(head) + len(p) + len(d) + 1 for d, p in zip(docs, prefixes, strict=True)]


def test_select_keeps_the_chosen_documents_ids():
    ids, lengths = flat([[1, 2], [], [3], [4, 5, 6]])
    kept = select(ids, lengths, np.array([True, True, False, True]))
    assert [a.tolist() for a in kept] == [[1, 2, 4, 5, 6], [2, 0, 3]]
    assert select(ids, lengths, np.ones(4, bool))[0] is ids  # all kept: no copy


def test_the_exactness_sample_is_the_first_documents_and_every_kth_of_the_task_whatever_the_batches():
    for sizes in ([1000] * 5, [1, 999, 1, 2999, 7], [4096, 904]):
        sample, picked, start = ExactnessSample(first=32, every=1000), [], 0
        for n in sizes:
            picked += [start + i for i in sample.pick(n)]
            start += n
        assert picked == [p for p in range(5000) if p < 32 or p % 1000 == 0]


def test_prefix_cache_gives_the_ids_of_every_prefix_back_to_back(tokenizer):
    cache = PrefixCache(tokenizer, np.uint32, max_entries=3)
    prefixes = ["URL: a.org\n\n", "", "URL: b.org\n\n", "URL: a.org\n\n"]
    ids, lengths = cache.lookup(prefixes)
    assert ids.tolist() == [i for p in prefixes for i in (tokenizer.encode_batch([p])[0] if p else [])]
    assert lengths.tolist() == [len(tokenizer.encode_batch([p])[0]) if p else 0 for p in prefixes]
    c_org = tokenizer.encode_batch(["URL: c.org\n\n"])[0]
    assert [a.tolist() for a in cache.lookup(["URL: c.org\n\n", ""])] == [c_org, [len(c_org), 0]]
    assert len(cache.ids) == 2  # full: emptied down to "", then the new one


def test_a_task_stops_naming_the_first_document_gigatoken_gets_wrong_and_commits_nothing(
    tmp_path, tokenizer, monkeypatch
):
    from meco import fast_tokenizer
    from meco.pipeline import writer
    from meco.tokenizer import TiktokenBPE, tiktoken_to_huggingface

    # a real gigatoken engine that splits as GPT-2 does ("DON'T": "DON", "'", "T"; cl100k: "DON", "'T")
    gpt2 = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
    bpe = tokenizer.bpe
    wrong = fast_tokenizer.for_tokenizers(tiktoken_to_huggingface(TiktokenBPE(bpe.mergeable_ranks, {}, gpt2)))
    monkeypatch.setattr(writer, "load_tokenizer", lambda spec: dataclasses.replace(tokenizer, fast=wrong))
    docs = [Document(text="plain words", id=f"doc-{i}") for i in range(20)]
    docs[12].text = "I DON'T KNOW"  # in the second batch: the first one went to *.partial files
    step = MecoShardWriter(str(tmp_path / "out"), "cl100k_base", batch_size=8)
    with pytest.raises(TokenizerMismatch, match=r"^document 'doc-12': gigatoken 0.10.0 and tiktoken give different"):
        list(step.run(iter(docs)))
    assert not list((tmp_path / "out").rglob("*.ds")) and list((tmp_path / "out").rglob("*.ds.partial"))


@pytest.mark.parametrize("bos", [False, True])
def test_gigatoken_and_the_reference_write_byte_identical_shards(
    tmp_path, tokenizer_json, shared_data, monkeypatch, bos
):
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes(tokenizer_json.read_bytes())
    if bos:
        (folder / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<|fim_prefix|>"}))
    spec = str(folder) if bos else "cl100k_base"
    options = dict(tokenizer=spec, val_fraction=0.2, tasks=2, batch_size=100)
    inputs = [shared_data / "c4", shared_data / "refinedweb"]
    fast = prepare_folder(tmp_path / "fast", inputs, **options)
    monkeypatch.setenv("MECO_FAST_TOKENIZER", "0")
    reference = prepare_folder(tmp_path / "reference", inputs, **options)
    assert fast["splits"] == reference["splits"] and fast["splits"]["val"]["cooldown"]["documents"] > 0
    shards = sorted(p.relative_to(tmp_path / "fast") for p in (tmp_path / "fast").rglob("*.ds*"))
    assert len(shards) == 2 * 2 * 2 * 4  # splits, variants, tasks, files per shard
    for name in shards:
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    stats = json.loads((tmp_path / "fast" / "logs" / "tokenize" / "stats.json").read_text())
    checked = next(s for s in stats if s["name"].endswith("MeCo shards"))["stats"]["checked_against_reference"]
    assert checked["total"] == 2 * 16  # tasks of under 2000 documents: their first 16
