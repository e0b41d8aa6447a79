"""`meco eval --probe`: candidate scores after a prompt, with and without metadata, against the model run directly."""

import json
import math

import pytest
import torch
from click.testing import CliRunner

from meco.cli import main
from meco.inference.loading import InferenceError
from meco.inference.probing import read_probes, score_probes

PROBES = [
    {"prompt": "Document 3 talks about", "candidates": [" topic 3", " topic 5", " bananas"], "answer": 0},
    {"prompt": "Document 12 talks", "candidates": [" about", " of"], "answer": 1, "metadata": "ignored"},
]


def write(path, probes):
    path.write_text("".join(json.dumps(p) + "\n" for p in probes))
    return path


def direct_logprob(model, tokenizer, prefix: str, prompt: str, candidate: str) -> tuple[float, int]:
    """The candidate's summed log-probability after prefix + prompt, each tokenized on its own (no BOS in cl100k)."""
    context = (tokenizer.encode_batch([prefix])[0] if prefix else []) + tokenizer.encode_batch([prompt])[0]
    ids = tokenizer.encode_batch([candidate])[0]
    full = torch.tensor(context + ids)
    with torch.no_grad():
        logp = torch.log_softmax(model(full[None, :-1])[0].double(), -1)
    return sum(float(logp[i - 1, full[i]]) for i in range(len(context), len(full))), len(ids)


def test_scores_equal_the_model_run_directly(run, loaded, tmp_path):
    probes = [{**p, "metadata": "en.wikipedia.org"} for p in PROBES]
    probes[1]["metadata"] = ["host=www.bbc.co.uk"]
    report = score_probes(loaded, read_probes(write(tmp_path / "p.jsonl", probes)), ["example.com"])
    assert list(report["conditions"]) == ["unconditional", "true", "chosen"] and report["count"] == 2
    assert report["chosen_prefix"] == "URL: example.com\n\n"
    prefixes = {
        "unconditional": ["", ""],
        "true": ["URL: en.wikipedia.org\n\n", "URL: www.bbc.co.uk\n\n"],
        "chosen": ["URL: example.com\n\n"] * 2,
    }
    for condition, per_probe in prefixes.items():
        correct, prob, loss, tokens = 0, 0.0, 0.0, 0
        for p, prefix, row in zip(probes, per_probe, report["results"], strict=True):
            direct = [direct_logprob(loaded.model, loaded.tokenizer, prefix, p["prompt"], c) for c in p["candidates"]]
            got = row["conditions"][condition]
            assert got["logprobs"] == pytest.approx([lp for lp, _ in direct], rel=1e-6, abs=1e-6)
            assert got["tokens"] == [n for _, n in direct]
            logprobs = [lp for lp, _ in direct]
            assert got["pick"] == logprobs.index(max(logprobs))
            correct += got["pick"] == p["answer"]
            prob += math.exp(logprobs[p["answer"]]) / sum(math.exp(lp) for lp in logprobs)
            loss, tokens = loss - logprobs[p["answer"]], tokens + direct[p["answer"]][1]
        summary = report["conditions"][condition]
        assert summary["accuracy"] == correct / 2
        assert summary["answer_prob"] == pytest.approx(prob / 2, rel=1e-6)
        assert summary["answer_loss"] == pytest.approx(loss / tokens, rel=1e-6)
    assert report["results"][1]["metadata"] == ["host=www.bbc.co.uk"]


def test_probe_command_and_its_errors(run, loaded, tmp_path):
    ckpt = str(run[1])
    plain = write(tmp_path / "plain.jsonl", [{k: v for k, v in p.items() if k != "metadata"} for p in PROBES])
    result = CliRunner().invoke(main, ["eval", ckpt, "--probe", str(plain), "-m", "example.com", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == score_probes(loaded, read_probes(plain), ["example.com"], str(plain))
    text = CliRunner().invoke(main, ["eval", ckpt, "--probe", str(plain)]).output
    assert "2 probes" in text and "unconditional" in text and "true" not in text and "chosen" not in text
    result = CliRunner().invoke(main, ["eval", ckpt, "--probe", str(plain), "--split", "train"])
    assert result.exit_code == 2 and "--split does not apply to --probe" in result.output

    mixed = write(tmp_path / "mixed.jsonl", PROBES)
    bad = {
        '{"prompt": 3, "candidates": ["a", "b"], "answer": 0}': "field prompt: 3 is not a string",
        '{"prompt": "x", "candidates": ["a"], "answer": 0}': "field candidates: ['a'] is not a list of at least two",
        '{"prompt": "x", "candidates": ["a", ""], "answer": 0}': "is not a list of at least two non-empty strings",
        '{"prompt": "x", "candidates": ["a", "b"], "answer": 2}': "field answer: 2 is not an index into the 2 candidates",
        '{"prompt": "x", "candidates": ["a", "b"], "answer": true}': "field answer: True is not an index",
        '{"prompt": "x", "candidates": ["a", "b"], "answer": 0, "metadata": []}': "field metadata: [] is not a VALUE",
        "[1, 2]": "not a JSON object",
        "{oops": "not valid JSON",
    }
    for line, message in bad.items():
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(PROBES[0]) + "\n\n" + line + "\n")
        with pytest.raises(InferenceError, match=f"^{path}:3: "):
            read_probes(path)
        with pytest.raises(InferenceError) as e:
            read_probes(path)
        assert message in str(e.value)
    with pytest.raises(InferenceError, match=f"^{mixed}: some probes have metadata and some do not"):
        read_probes(mixed)
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(InferenceError, match="empty.jsonl: no probes"):
        read_probes(tmp_path / "empty.jsonl")
    result = CliRunner().invoke(main, ["eval", ckpt, "--probe", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1 and f"Error: {tmp_path / 'missing.jsonl'}: cannot read the probe file" in result.output
    no_prompt = write(tmp_path / "no_prompt.jsonl", [{"prompt": "", "candidates": ["a", "b"], "answer": 0}])
    with pytest.raises(InferenceError, match="an empty prompt leaves nothing before the first candidate token"):
        score_probes(loaded, read_probes(no_prompt))


def test_scores_do_not_depend_on_how_rows_are_batched(loaded, tmp_path, monkeypatch):
    import meco.inference.probing as probing

    probes = read_probes(write(tmp_path / "p.jsonl", [{**p, "metadata": "example.com"} for p in PROBES]))
    together = score_probes(loaded, probes, ["en.wikipedia.org"])
    monkeypatch.setattr(probing, "LOGITS_BUDGET", 1)  # one row per forward
    alone = score_probes(loaded, probes, ["en.wikipedia.org"])
    for a, b in zip(together["results"], alone["results"], strict=True):
        for condition in a["conditions"]:
            assert a["conditions"][condition]["logprobs"] == pytest.approx(
                b["conditions"][condition]["logprobs"], abs=1e-6
            )
