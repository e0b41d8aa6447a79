"""`meco export-model`: transformers' LlamaForCausalLM and AutoTokenizer reproduce meco's logits and ids."""

import json

import pytest
import torch
import transformers
from click.testing import CliRunner

from meco.cli import main
from meco.inference.hf_export import interleaved_to_halves
from meco.inference.loading import load
from tests.inference_helpers import prepare_c4, train_debug

TEXTS = [
    "URL: en.wikipedia.org\n\nDocument 3 talks about topic 2.",
    "Ünïcödé 🙂 tabs\tand  spaces\n\n\nend",
    "a literal <|endoftext|> inside a page stays text",
    "  leading spaces, 12345 digits, CamelCaseWords.",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    out = train_debug(prepare_c4(root), root / "run")
    result = CliRunner().invoke(main, ["export-model", str(out), str(root / "hf")])
    assert result.exit_code == 0, result.output
    return load(out), root / "hf"


def test_rope_permutation():
    w = torch.arange(8.0)[:, None]  # two heads of head_dim 4: rows (x0, x1, x2, x3) per head
    assert interleaved_to_halves(w, 2).flatten().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_logits_match(exported):
    loaded, path = exported
    model = transformers.LlamaForCausalLM.from_pretrained(path).eval()
    config = json.loads((path / "config.json").read_text())
    assert (config["num_attention_heads"], config["num_key_value_heads"], config["head_dim"], config["vocab_size"]) == (
        4,
        2,
        8,
        100352,
    )
    ids = loaded.tokenizer.encode_batch(TEXTS)
    batch = torch.tensor([(ids[0] + ids[1] + ids[3])[:32], list(range(100200, 100232))])  # real ids, and ids at the top
    with torch.no_grad():
        torch.testing.assert_close(model(batch).logits, loaded.model(batch), rtol=0, atol=1e-5)


def test_tokenizer_matches(exported):
    loaded, path = exported
    tok = transformers.AutoTokenizer.from_pretrained(path)
    assert [tok(t)["input_ids"] for t in TEXTS] == loaded.tokenizer.encode_batch(TEXTS)
    assert (tok.eos_token_id, tok.bos_token_id) == (100257, None)
    assert tok.decode(loaded.tokenizer.encode_batch(TEXTS[1:2])[0]) == TEXTS[1]


def test_refuses_a_non_empty_folder(exported, tmp_path):
    (tmp_path / "x").write_text("")
    result = CliRunner().invoke(main, ["export-model", str(exported[0].path), str(tmp_path)])
    assert result.exit_code == 1 and f"{tmp_path}: exists and is not empty; export into a new folder" in result.output
