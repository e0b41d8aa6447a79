import json

import pytest

from meco.tokenizer import CL100K_SHA256, TokenizerError, load_tokenizer
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
    recorded = load_tokenizer("tokenizer.json").describe()
    assert recorded["name"] == str(tokenizer_json)
    monkeypatch.chdir(tmp_path)
    assert load_recorded_tokenizer(TokenizerRecord(**recorded)).vocab_size == 100277
    with pytest.raises(TokenizerError, match="is not the 0000.* recorded when the data was prepared"):
        load_recorded_tokenizer(TokenizerRecord(**recorded | {"sha256": "0" * 64}))
