import dataclasses
import json
import random
import re
import string
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meco.tokenizer import CL100K_PATTERN, CL100K_SHA256, HF_SPELLINGS, TokenizerError, load_tokenizer
from tests.corpus import read_texts


def test_default_tokenizer_is_offline_cl100k_with_verified_checksum(tokenizer):
    assert (tokenizer.name, tokenizer.kind, tokenizer.vocab_size) == ("cl100k_base", "tiktoken", 100277)
    assert (tokenizer.bos_id, tokenizer.eos_id, tokenizer.sha256) == (None, 100257, CL100K_SHA256)
    assert tokenizer.encode_batch(["Hello world", "URL: en.wikipedia.org\n\n"]) == [
        [9906, 1917],
        [3222, 25, 665, 34466, 2726, 271],
    ]


def test_special_token_text_in_a_document_stays_text(tokenizer, tokenizer_json):
    text = "a page that mentions <|endoftext|> literally"
    ids = tokenizer.encode_batch([text])[0]
    assert tokenizer.eos_id not in ids and tokenizer.decode(ids) == text
    assert load_tokenizer(str(tokenizer_json)).encode_batch([text])[0] == ids


def test_converted_tokenizer_json_matches_tiktoken_on_real_documents(tokenizer, tokenizer_json, shared_data):
    hf = load_tokenizer(str(tokenizer_json))
    assert (hf.kind, hf.vocab_size, hf.eos_id, hf.bos_id) == ("huggingface", 100277, 100257, None)
    texts = read_texts(shared_data)
    assert len(texts) > 1500
    assert hf.encode_batch(texts) == tokenizer.encode_batch(texts)


def test_tokenizer_config_beside_the_file_names_bos_and_eos(tmp_path, tokenizer_json):
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes(tokenizer_json.read_bytes())
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"bos_token": "<|fim_prefix|>", "eos_token": {"content": "<|endoftext|>"}})
    )
    tok = load_tokenizer(str(folder))
    assert (tok.bos_id, tok.eos_id) == (100258, 100257)


def test_missing_tokenizer_file_is_a_clear_error(tmp_path):
    with pytest.raises(TokenizerError, match="no such file"):
        load_tokenizer(str(tmp_path / "missing" / "tokenizer.json"))


def test_a_vocabulary_file_with_another_checksum_is_refused(monkeypatch):
    import meco.tokenizer

    monkeypatch.setattr(meco.tokenizer, "CL100K_SHA256", "0" * 64)
    with pytest.raises(TokenizerError, match="sha256 223921b7.* is not cl100k_base's 0000"):
        load_tokenizer()


def test_a_recorded_tokenizer_file_is_absolute_and_checked(tmp_path, tokenizer_json, monkeypatch):
    from meco.shards import TokenizerRecord
    from meco.tokenizer import load_recorded_tokenizer

    monkeypatch.chdir(tokenizer_json.parent)
    recorded = TokenizerRecord.of(load_tokenizer("tokenizer.json"))
    assert recorded.name == str(tokenizer_json)
    monkeypatch.chdir(tmp_path)
    assert load_recorded_tokenizer(recorded).vocab_size == 100277
    with pytest.raises(TokenizerError, match="is not the 0000.* recorded when the data was prepared"):
        load_recorded_tokenizer(dataclasses.replace(recorded, sha256="0" * 64))


# gigatoken, the fast engine of `encode_flat`, against the reference tokenizers

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def flat_reference(tok, texts):
    ids = tok.encode_batch(texts)
    return [i for doc in ids for i in doc], [len(doc) for doc in ids]


@pytest.fixture(scope="module")
def hf_tokenizer(tokenizer_json):
    return load_tokenizer(str(tokenizer_json))


def test_gigatoken_gives_the_reference_ids_on_every_shared_document(tokenizer, hf_tokenizer, shared_data):
    texts = read_texts(shared_data)
    for tok in (tokenizer, hf_tokenizer):
        assert tok.engine().startswith("gigatoken 0.10.0, checked against ")
        ids, counts = tok.encode_flat(texts)
        assert (ids.dtype, counts.dtype) == (np.uint32, np.int64)
        assert (ids.tolist(), counts.tolist()) == flat_reference(tokenizer, texts)


def test_special_token_text_stays_text_in_gigatoken(tokenizer, hf_tokenizer):
    texts = ["a page with <|endoftext|> and </s> and <|fim_prefix|> written in it", "<|endoftext|>"]
    for tok in (tokenizer, hf_tokenizer):
        ids, counts = tok.encode_flat(texts, check={0: "first", 1: "second"})
        assert (ids.tolist(), counts.tolist()) == flat_reference(tokenizer, texts)
        assert not set(ids.tolist()) & set(tokenizer.bpe.special_tokens.values())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=" \t\n\r\x0b\x0c\xa0\u2028\u3000aZ1'sSLlſ.日\u0301é🎉<|>", max_size=16), max_size=8))
def test_tiktoken_the_converted_tokenizer_json_and_gigatoken_agree_on_odd_text(tokenizer, hf_tokenizer, texts):
    expected = flat_reference(tokenizer, texts)
    assert flat_reference(hf_tokenizer, texts) == expected
    for tok in (tokenizer, hf_tokenizer):
        ids, counts = tok.encode_flat(texts)
        assert (ids.tolist(), counts.tolist()) == expected


def test_the_converted_cl100k_split_regex_is_exact_because_no_token_ends_in_newline_then_space(
    tokenizer, tokenizer_json, hf_tokenizer
):
    """The Hugging Face spelling (which gigatoken recognises) differs from tiktoken's regex only in trailing
    whitespace holding a newline followed by more whitespace: it cuts after the last newline. A merge could
    only cross that cut with a token that ends in a newline and whitespace; cl100k has none."""
    assert tokenizer.bpe.pat_str == CL100K_PATTERN
    assert json.loads(tokenizer_json.read_text())["pre_tokenizer"]["pretokenizers"][0]["pattern"] == {
        "Regex": HF_SPELLINGS[CL100K_PATTERN]
    }
    space = rb"(?:[ \t\x0b\x0c]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
    partial = rb"(?:\xc2|\xe1\x9a?|\xe2[\x80\x81]?|\xe3\x80?)"  # the start of a multi-byte space
    ends_in_newline_space = re.compile(rb"[\r\n]" + space + rb"*(?:" + space + rb"|" + partial + rb")\Z")
    assert [t for t in tokenizer.bpe.mergeable_ranks if ends_in_newline_space.search(t)] == []
    texts = ["end\n\n  ", "end \n\t", "x\n \n ", "\n\u3000", "a\r\n \xa0"]
    assert hf_tokenizer.encode_batch(texts) == tokenizer.encode_batch(texts)


def test_a_difference_from_the_reference_stops_naming_the_document(tokenizer):
    from meco import fast_tokenizer
    from meco.tokenizer import TiktokenBPE, TokenizerMismatch, tiktoken_to_huggingface

    bpe = tokenizer.bpe
    # a real gigatoken engine that splits as GPT-2 does: "DON'T" is "DON", "'", "T" there, "DON", "'T" in cl100k
    wrong = fast_tokenizer.for_tokenizers(tiktoken_to_huggingface(TiktokenBPE(bpe.mergeable_ranks, {}, GPT2_PATTERN)))
    tok = dataclasses.replace(tokenizer, fast=wrong)
    texts = ["nothing odd here", "DON'T"]
    assert tok.encode_flat(texts, check={0: "document 'a'"})[1].tolist() == [3, 3]  # unchecked: not seen
    with pytest.raises(
        TokenizerMismatch,
        match=r"^document 'b': gigatoken 0.10.0 and tiktoken give different ids from token 1 on \(\[6, 51\] against "
        r"\[17773\]\); set MECO_FAST_TOKENIZER=0 to tokenize with tiktoken only",
    ):
        tok.encode_flat(texts, check={0: "document 'a'", 1: "document 'b'"})


def test_gigatoken_is_used_only_where_it_applies(tmp_path, tokenizer, monkeypatch):
    from meco.tokenizer import TiktokenBPE, tiktoken_to_huggingface

    texts = ["year 12345, and <|endoftext|>"]
    unknown = tmp_path / "tokenizer.json"  # a split regex gigatoken does not know: tokenizers encodes alone
    tiktoken_to_huggingface(TiktokenBPE(tokenizer.bpe.mergeable_ranks, {"<|endoftext|>": 100257}, r"\S+|\s+")).save(
        str(unknown)
    )
    tok = load_tokenizer(str(unknown))
    assert tok.engine().startswith("tokenizers (gigatoken cannot run this tokenizer: RuntimeError: Unknown pre_tok")
    assert [a.tolist() for a in tok.encode_flat(texts)] == list(flat_reference(tok, texts))
    monkeypatch.setenv("MECO_FAST_TOKENIZER", "0")
    assert (load_tokenizer().fast, load_tokenizer().engine()) == (None, "tiktoken")
    assert [a.tolist() for a in load_tokenizer().encode_flat(texts)] == list(flat_reference(tokenizer, texts))


def test_added_tokens_that_are_not_special_are_still_matched(tmp_path, tokenizer):
    hf = tokenizer.huggingface()
    hf.add_tokens(["<tool_call>"])
    hf.save(str(tmp_path / "tokenizer.json"))
    tok = load_tokenizer(str(tmp_path / "tokenizer.json"))
    texts = ["x <tool_call> y<tool_call>z </s>"]
    ids, counts = tok.encode_flat(texts, check={0: "doc"})
    assert tok.engine().startswith("gigatoken") and ids.tolist().count(tok.backend.token_to_id("<tool_call>")) == 2
    assert (ids.tolist(), counts.tolist()) == flat_reference(tok, texts)


def test_text_gigatoken_refuses_goes_to_the_reference(tokenizer):
    assert [a.tolist() for a in tokenizer.encode_flat(["a\ud800b", ""])] == [[64, 5809, 65], [3, 0]]


def test_the_encoder_is_rebuilt_once_its_cache_fills_the_budget_and_lets_the_old_one_go(tokenizer, monkeypatch):
    """gigatoken 0.10.0 caches every new word for good; rebuilding is what bounds it (the benchmark shows the
    resident memory of a worker flat from 1x to 4x the input)."""
    from meco import fast_tokenizer

    rnd = random.Random(0)
    texts = [" ".join("".join(rnd.choices(string.ascii_lowercase, k=8)) for _ in range(50)) for _ in range(40)]
    chars = sum(map(len, texts))
    tok = load_tokenizer()
    fast = tok.fast
    fast.min_chars_per_build = chars  # at most one rebuild per call here
    expected = [a.tolist() for a in tok.encode_flat(texts)]
    assert fast.resident_at_build > 0 and fast.builds == 1  # read from /proc when built
    built = weakref.ref(fast._tokenizer)
    grown = fast.resident_at_build + fast.cache_budget  # the process has grown by the budget: not over it yet
    monkeypatch.setattr(fast_tokenizer, "resident_bytes", lambda: grown)
    assert [a.tolist() for a in tok.encode_flat(texts)] == expected and built() is fast._tokenizer
    grown += 1  # over: a new encoder, the old one (and its cache) let go
    assert [a.tolist() for a in tok.encode_flat(texts)] == expected and built() is None and fast.builds == 2
    assert fast.chars_since_build == chars and fast.resident_at_build == grown
    monkeypatch.setattr(fast_tokenizer, "resident_bytes", lambda: None)  # no /proc: every so many characters
    fast.rebuild_every_chars = 2 * chars
    tok.encode_flat(texts)
    assert fast.builds == 2
    tok.encode_flat(texts)
    assert fast.builds == 3
