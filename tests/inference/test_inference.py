"""meco.inference on a debug model trained for a few steps on a real prepared folder (cl100k_base, host metadata)."""

import json
import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from meco.cli import main
from meco.inference.conditioning import metadata_values, prefix_ids
from meco.inference.decoding import Sampling, generate, next_token
from meco.inference.evaluation import evaluate
from meco.inference.generation import allowed_ids
from meco.inference.loading import InferenceError, load
from meco.shards import PrefixTemplate, Shards
from meco.trainer.checkpoint import CheckpointError
from meco.trainer.checkpoint import resolve as resolve_checkpoint
from meco.trainer.model import KVCache
from tests.inference_helpers import HOSTS


def test_checkpoint_resolution(run, tmp_path):
    data, out = run
    assert resolve_checkpoint(out) == out / "checkpoints" / "step-0000004"
    assert resolve_checkpoint(out / "checkpoints" / "step-0000002") == out / "checkpoints" / "step-0000002"
    assert load(out / "checkpoints" / "step-0000002").state.step == 2
    with pytest.raises(CheckpointError, match=f"^{tmp_path / 'nope'}: no such checkpoint"):
        resolve_checkpoint(tmp_path / "nope")
    with pytest.raises(CheckpointError, match=f"^{tmp_path}: neither a checkpoint"):
        resolve_checkpoint(tmp_path)
    moved = tmp_path / "step-0000004"
    shutil.copytree(out / "checkpoints" / "step-0000004", moved)
    state = json.loads((moved / "state.json").read_text())
    state["config"]["data"] = str(tmp_path / "gone")
    (moved / "state.json").write_text(json.dumps(state))
    with pytest.raises(InferenceError, match=f"the run's data folder {tmp_path / 'gone'} is gone; pass --data"):
        load(moved)
    assert load(moved, data=data).data == data
    result = CliRunner().invoke(main, ["eval", str(moved)])
    assert result.exit_code == 1 and f"data folder {tmp_path / 'gone'} is gone" in result.output


def test_metadata_values_fill_the_kinds_in_order():
    assert metadata_values(["en.wikipedia.org"], ["host"]) == {"host": "en.wikipedia.org"}
    assert metadata_values(["topic=science", "bbc.co.uk"], ["host", "topic"]) == {
        "topic": "science",
        "host": "bbc.co.uk",
    }
    with pytest.raises(InferenceError, match=r"2 unnamed values but only \['host'\] left"):
        metadata_values(["a.com", "b.com"], ["host"])
    unknown = r"^--metadata topic=x: the model was not trained with kind 'topic', only with \['host'\]$"
    with pytest.raises(InferenceError, match=unknown):
        metadata_values(["topic=x"], ["host"])
    assert metadata_values(["a.com/?q=1"], ["url"]) == {"url": "a.com/?q=1"}  # not a kind: a value with "="
    template = PrefixTemplate("URL: {host}\nTopic: {topic}\n\n")
    assert template.parse(template.render({"host": "a.b", "topic": "sci fi"})) == {"host": "a.b", "topic": "sci fi"}
    assert template.parse(template.render({"topic": "art"})) == {"topic": "art"}


def test_prefix_is_the_one_prepare_wrote(run, loaded):
    cond = Shards.open(run[0], "conditioned")
    tokens, loss = cond.document(0)
    stored = tokens[: int(np.argmax(loss))].tolist()
    host = loaded.template.parse(loaded.tokenizer.decode(stored))["host"]
    assert host in HOSTS and prefix_ids(loaded, [host]) == stored == prefix_ids(loaded, [f"host={host}"])
    assert prefix_ids(loaded, []) == []  # cl100k_base has no BOS


def test_cached_greedy_equals_full_recomputation(loaded):
    model = loaded.model
    context = loaded.tokenizer.encode_batch(["URL: en.wikipedia.org\n\nDocument 3 talks"])[0]
    cache = KVCache(model, 1, 32)
    torch.testing.assert_close(
        model(torch.tensor([context]), cache=cache), model(torch.tensor([context])), rtol=0, atol=1e-5
    )
    cached = generate(model, context, 20, Sampling(temperature=0), eos_id=None)
    full = list(context)
    for _ in range(20):
        full.append(int(model(torch.tensor([full]))[0, -1].argmax()))
    assert cached == full[len(context) :] and len(cached) == 20


def test_sampling_options():
    logits = torch.tensor([2.0, 1.0, 0.5, -1.0, -3.0])
    g = torch.Generator().manual_seed(0)
    assert next_token(logits, Sampling(temperature=0)) == 0
    assert {next_token(logits, Sampling(top_k=2), g) for _ in range(300)} == {0, 1}
    probs = logits.softmax(-1)  # 0.61, 0.22, 0.14, ...: a nucleus of 0.8 holds the first two
    assert probs[0] < 0.8 < probs[:2].sum()
    assert {next_token(logits, Sampling(top_p=0.8), g) for _ in range(300)} == {0, 1}
    assert {next_token(logits, Sampling(top_p=0.5), g) for _ in range(50)} == {0}
    assert len({next_token(logits, Sampling(temperature=5.0), g) for _ in range(300)}) == 5


def test_generation_stops_at_eos_and_never_samples_untrained_rows(loaded):
    tok, rows = loaded.tokenizer, loaded.config.vocab_size
    allowed = allowed_ids(tok, rows)
    assert rows == 100352 and int(allowed.sum()) == 100256 + 5 and not allowed[[100256, 100261, 100275, 100277]].any()
    only_eos = torch.zeros(rows, dtype=torch.bool)
    only_eos[tok.eos_id] = True
    assert generate(loaded.model, [1, 2, 3], 10, Sampling(), tok.eos_id, only_eos) == [tok.eos_id]
    a, b = (
        generate(loaded.model, [1, 2, 3], 8, Sampling(temperature=1.0, top_p=0.9), None, allowed, seed=7)
        for _ in range(2)
    )
    assert a == b and all(allowed[a])


def test_generate_command(run):
    result = CliRunner().invoke(
        main,
        [
            "generate",
            str(run[1]),
            "--prompt",
            "Document 3",
            "-m",
            "en.wikipedia.org",
            "--temperature",
            "0",
            "--max-new-tokens",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("URL: en.wikipedia.org\n\nDocument 3")
    bad = CliRunner().invoke(main, ["generate", str(run[1]), "-m", "a.com", "-m", "b.com"])
    assert bad.exit_code == 1 and "2 unnamed values but only ['host'] left" in bad.output


def direct_loss(model, docs) -> tuple[float, int]:
    """Summed loss and count of the targets given as (tokens, target mask over tokens) pairs, one document at a time."""
    total, count = 0.0, 0
    for tokens, mask in docs:
        t = torch.from_numpy(tokens.astype(np.int64))
        with torch.no_grad():
            losses = F.cross_entropy(model(t[None, :-1])[0], t[1:], reduction="none").double()
        total, count = total + float(losses[torch.from_numpy(mask[1:])].sum()), count + int(mask[1:].sum())
    return total / count, count


def test_eval_conditions_score_the_same_tokens(run, loaded):
    data = run[0]
    report = evaluate(loaded, "val", ["en.wikipedia.org"], max_docs=0, top=0, context=200)
    cond, cool = Shards.open(data, "conditioned", "val"), Shards.open(data, "cooldown", "val")
    n = len(cool)
    assert report["documents"] == n and max(len(cond.document(i)[0]) for i in range(n)) < 200  # nothing cut
    unconditional, targets = direct_loss(
        loaded.model, [(cool.document(i)[0], cool.document(i)[1] == 1) for i in range(n)]
    )
    assert report["loss"]["unconditional"] == pytest.approx(unconditional, rel=1e-6) and report["targets"] == targets

    def conditioned_targets(i):  # the conditioned variant's targets but the first document token (no BOS)
        tokens, loss = cond.document(i)
        mask = loss == 1
        mask[int(np.argmax(mask))] = False
        return tokens, mask

    true, true_targets = direct_loss(loaded.model, [conditioned_targets(i) for i in range(n)])
    assert report["loss"]["true"] == pytest.approx(true, rel=1e-6) and true_targets == targets
    assert sum(g["targets"] for g in report["groups"]) == targets and sum(g["documents"] for g in report["groups"]) == n
    assert sorted(g["value"] for g in report["groups"]) == sorted(HOSTS)
    wiki = next(g for g in report["groups"] if g["value"] == "en.wikipedia.org")
    assert wiki["loss"]["chosen"] == pytest.approx(wiki["loss"]["true"], rel=1e-9)  # the same prefix, re-rendered
    assert report["chosen_prefix"] == "URL: en.wikipedia.org\n\n"


def test_eval_refuses_negative_sizes(run):
    for option in ("--context", "--max-docs", "--top"):
        result = CliRunner().invoke(main, ["eval", str(run[1]), option, "-5"])
        assert result.exit_code == 2 and f"Invalid value for '{option}': -5 is not in the range x>=0." in result.output


def test_eval_cuts_documents_to_the_context(run, loaded):
    report = evaluate(loaded, "val", ["a.very.long.invented.host.example.org"], max_docs=4, top=1)
    assert report["context"] == 32 and report["documents"] == 4 and len(report["groups"]) == 1
    result = CliRunner().invoke(
        main,
        ["eval", str(run[1]), "-m", "a.very.long.invented.host.example.org", "--max-docs", "4", "--top", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == report
    text = CliRunner().invoke(main, ["eval", str(run[1]), "--max-docs", "4"]).output
    assert f"{report['documents']} documents" in text and "unconditional" in text and "chosen" not in text


def test_conditions_exact():
    from meco.inference.evaluation import conditions

    cond, cool = np.array([9, 50, 51, 1, 2, 3, 60]), np.array([9, 1, 2, 3, 60])  # BOS 9, prefix 50 51, EOS 60
    mask, cond_mask = np.array([0, 1, 1, 1, 1], np.uint8), np.array([0, 0, 0, 1, 1, 1, 1], np.uint8)
    tokens, masks, true = conditions(
        cond, cond_mask, cool, mask, 9, [52, 53, 54], context=6
    )  # the longest, chosen, fills 7 tokens
    assert true.tolist() == [50, 51]
    assert {c: t.tolist() for c, t in tokens.items()} == {
        "unconditional": [9, 1, 2, 3],
        "true": [9, 50, 51, 1, 2, 3],
        "chosen": [9, 52, 53, 54, 1, 2, 3],
    }
    assert {c: m.tolist() for c, m in masks.items()} == {
        "unconditional": [0, 1, 1, 1],
        "true": [0, 0, 0, 1, 1, 1],
        "chosen": [0, 0, 0, 0, 1, 1, 1],
    }
    tokens, masks, _ = conditions(
        cond[1:], cond_mask[1:], cool[1:], mask[1:], None, None, context=10
    )  # no BOS: 1 is not scored
    assert tokens["true"].tolist() == [50, 51, 1, 2, 3, 60] and masks["true"].tolist() == [0, 0, 0, 1, 1, 1]
    assert masks["unconditional"].tolist() == [0, 1, 1, 1]


def test_guided_sampling_weighs_the_prefix(loaded):
    from meco.inference.generation import complete

    sampling = Sampling(temperature=1.0, top_p=0.95)
    plain = complete(loaded, "Document 3", ["en.wikipedia.org"], sampling, 12, seed=5)
    assert complete(loaded, "Document 3", ["en.wikipedia.org"], sampling, 12, seed=5, guidance=1.0) == plain  # exact
    # by hand: the guided logits of the first new token, from the two contexts
    model, prompt = loaded.model, loaded.tokenizer.encode_batch(["Document 3"])[0]
    with_prefix = prefix_ids(loaded, ["en.wikipedia.org"]) + prompt
    cond, uncond = (model(torch.tensor([c]))[0, -1] for c in (with_prefix, prompt))
    for g in (0.0, 3.0):
        first = complete(loaded, "Document 3", ["en.wikipedia.org"], Sampling(temperature=0), 1, 0, guidance=g).new
        assert first == [
            int((uncond + g * (cond - uncond)).masked_fill(~allowed_ids(loaded.tokenizer, 100352), -1e9).argmax())
        ]
    # g = 0 is the unconditional model: the same tokens as sampling without any prefix
    greedy = Sampling(temperature=0)
    assert (
        complete(loaded, "Document 3", ["en.wikipedia.org"], greedy, 10, 0, guidance=0.0).new
        == complete(loaded, "Document 3", [], greedy, 10, 0).new
    )
    with pytest.raises(InferenceError, match="give --metadata too"):
        complete(loaded, "Document 3", [], sampling, 5, 0, guidance=2.0)
    with pytest.raises(InferenceError, match="needs a --prompt"):
        complete(loaded, "", ["en.wikipedia.org"], sampling, 5, 0, guidance=2.0)
