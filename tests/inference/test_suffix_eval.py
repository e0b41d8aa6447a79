"""`meco eval` on data prepared with `--position suffix`: the model's accuracy at predicting the held-out
metadata after each document, checked against a direct computation and against oracle models."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from meco.cli import main
from meco.inference.conditioning import metadata_values, prefix_ids
from meco.inference.evaluation import evaluate
from meco.inference.loading import InferenceError, load
from meco.inference.prediction import MetadataPrediction, value_tokens
from meco.shards import PrefixTemplate, Shards
from tests.inference_helpers import misplaced_tensors, prepare_c4, train_debug


@pytest.fixture(scope="module")
def suffix_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("suffix")
    data = prepare_c4(root, position="suffix")
    return data, load(train_debug(data, root / "run"))


def val_documents(data):
    cond, cool = Shards.open(data, "conditioned", "val"), Shards.open(data, "cooldown", "val")
    return [(cond.document(i)[0], cool.document(i)[0]) for i in range(len(cool))]


def host_tokens(tokenizer, suffix: list[int]) -> list[int]:
    """Indices of the suffix tokens that hold any character of the host, by decoding one token at a time."""
    ends = np.cumsum([len(tokenizer.decode([t])) for t in suffix])
    return [k for k, end in enumerate(ends) if end > len("\n\nURL: ")]


def test_eval_reports_the_greedy_accuracy_on_the_held_out_metadata(suffix_run, tokenizer):
    data, loaded = suffix_run
    report = evaluate(loaded, context=256)
    assert report["position"] == "suffix" and list(report["loss"]) == ["unconditional"]
    correct = 0
    docs = val_documents(data)
    for ct, kt in docs:
        suffix = ct[len(kt) - 1 : -1].tolist()
        assert tokenizer.decode(suffix).startswith("\n\nURL: ")
        at = len(kt) - 1 + np.array(host_tokens(tokenizer, suffix))
        with torch.no_grad():
            predicted = loaded.model(torch.from_numpy(ct[:-1].astype(np.int64))[None])[0].argmax(-1).numpy()
        correct += bool(np.array_equal(predicted[at - 1], ct[at]))
    host = report["metadata_prediction"]["fields"]["host"]
    assert host == {"count": len(docs), "correct": correct, "accuracy": correct / len(docs)}
    assert report["metadata_prediction"]["documents_without_metadata"] == 0 and len(docs) >= 5
    text = CliRunner().invoke(main, ["eval", str(loaded.path), "--context", "256"])
    assert text.exit_code == 0 and f"host{' ' * 26}{len(docs):>8,} values {correct:>8,} correct" in text.output
    on_cpu = CliRunner().invoke(main, ["eval", str(loaded.path), "--context", "256", "--device", "cpu"])
    assert on_cpu.output == text.output  # the default here (auto) is the CPU


def test_metadata_prediction_tensors_follow_the_model_device(suffix_run):
    loaded = suffix_run[1]
    with misplaced_tensors(loaded.model) as misplaced:
        report = evaluate(loaded, context=256, max_docs=3)
    assert misplaced == [] and report["metadata_prediction"]["fields"]["host"]["count"] == 3


class Oracle(torch.nn.Module):
    """Logits that put all mass on the true next token of a known document, except where `wrong` says."""

    def __init__(self, document: np.ndarray, vocab: int, wrong: set[int] = frozenset()):
        super().__init__()
        self.document, self.vocab, self.wrong = document, vocab, wrong

    def forward(self, x):
        n, doc = x.shape[1], self.document
        lo = next(lo for lo in range(len(doc) - n + 1) if np.array_equal(x[0].numpy(), doc[lo : lo + n]))
        nxt = torch.from_numpy(doc[lo + 1 : lo + n + 1].astype(np.int64))
        for p in self.wrong:
            if lo < p <= lo + n:
                nxt[p - lo - 1] = (nxt[p - lo - 1] + 1) % self.vocab
        return torch.nn.functional.one_hot(nxt, self.vocab).float()[None]


def test_an_oracle_predicts_every_value_and_one_wrong_value_token_misses_it(suffix_run, tokenizer):
    data, loaded = suffix_run
    template = loaded.template
    for ct, kt in val_documents(data)[:3]:
        start, end = len(kt) - 1, len(ct) - 1
        first = start + host_tokens(tokenizer, ct[start:end].tolist())[0]
        for wrong, expected in ((set(), 1), ({first}, 0), ({first - 1}, 1), ({end}, 1)):  # only value tokens count
            model = Oracle(ct, loaded.manifest.vocab_size, wrong)
            scorer = MetadataPrediction(model, tokenizer.decode, template, context=8)  # a window cut on the left
            scorer.add(ct, start, end)
            assert scorer.report()["fields"]["host"]["correct"] == expected, wrong


def test_value_tokens_of_a_two_line_suffix(tokenizer):
    template = PrefixTemplate("\n\nURL: {host}\nyear: {ts}")
    ids = tokenizer.encode_batch(["\n\nURL: en.wikipedia.org\nyear: 2019"])[0]
    spans = value_tokens(ids, tokenizer.decode, template)
    assert tokenizer.decode(ids[slice(*spans["host"])]).strip() == "en.wikipedia.org"
    assert tokenizer.decode(ids[slice(*spans["ts"])]).strip() == "2019"


def test_suffix_data_refuses_a_metadata_prefix(suffix_run):
    _, loaded = suffix_run
    with pytest.raises(InferenceError, match=r"--position suffix\), so the model was never conditioned"):
        prefix_ids(loaded, ["en.wikipedia.org"])
    result = CliRunner().invoke(main, ["eval", str(loaded.path), "-m", "en.wikipedia.org"])
    assert result.exit_code == 1 and "never conditioned on a prefix" in result.output


def test_field_kinds_are_named_by_their_placeholder_or_in_full():
    kinds = ["host", "field:dump"]
    assert metadata_values(["a.org", "dump=CC-MAIN-2019-30"], kinds) == {"dump": "CC-MAIN-2019-30", "host": "a.org"}
    assert metadata_values(["field:dump=X"], kinds) == {"dump": "X"}
    with pytest.raises(InferenceError, match="not trained with kind 'field:other'"):
        metadata_values(["field:other=1"], kinds)
