"""`--device` of `meco generate` and `meco eval`: checked before anything loads, the CPU's outputs unchanged, and
every tensor the inference code makes on the model's device (checked on the CPU: see `misplaced_tensors`)."""

import json

import pytest
import torch
from click.testing import CliRunner

from meco.cli import main
from meco.errors import OptionError
from meco.inference.decoding import Sampling
from meco.inference.evaluation import evaluate
from meco.inference.generation import complete
from meco.inference.loading import load, resolve_device
from meco.inference.probing import read_probes, score_probes
from meco.trainer import checkpoint
from tests.inference_helpers import misplaced_tensors

PROBES = [
    {"prompt": "Document 3 talks about", "candidates": [" topic 3", " topic 5", " bananas"], "answer": 0},
    {"prompt": "Document 12 talks", "candidates": [" about", " of"], "answer": 1},
]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_resolve_device():
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu") and resolve_device(torch.device("cpu")) == torch.device("cpu")
    for name, message in [
        ("nonsense", "--device nonsense: not a torch device (auto, cpu, cuda, cuda:1, ...)"),
        ("cuda:x", "--device cuda:x: not a torch device (auto, cpu, cuda, cuda:1, ...)"),
        ("meta", "--device meta: holds no weights; choose auto, cpu or cuda"),
    ]:
        with pytest.raises(OptionError) as e:
            resolve_device(name)
        assert str(e.value) == message


@no_cuda
def test_resolve_device_without_cuda():
    for name in ("cuda", "cuda:1"):
        with pytest.raises(OptionError, match=f"^--device {name}: no CUDA device is available$"):
            resolve_device(name)


@pytest.mark.parametrize(
    "device, message",
    [
        ("nonsense", "--device nonsense: not a torch device (auto, cpu, cuda, cuda:1, ...)"),
        pytest.param("cuda", "--device cuda: no CUDA device is available", marks=no_cuda),
    ],
)
def test_a_bad_device_is_one_line_and_loads_nothing(run, tmp_path, monkeypatch, device, message):
    def refuse(*_):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(checkpoint, "load_model", refuse)
    probes = tmp_path / "missing.jsonl"  # --device is checked before the probe file is read
    for args in (["generate", str(run[1])], ["eval", str(run[1])], ["eval", str(run[1]), "--probe", str(probes)]):
        result = CliRunner().invoke(main, [*args, "--device", device])
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n"), args


@no_cuda
def test_device_cpu_gives_the_default_outputs(run, tmp_path):
    """On this CPU machine the default (auto) is the CPU; the outputs with --device cpu and --device auto are
    those without the option, byte for byte. (They were also checked against main's code before --device.)"""
    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps(p) + "\n" for p in PROBES))
    generate = ["generate", str(run[1]), "--prompt", "Document 3", "-m", "en.wikipedia.org", "--max-new-tokens", "6"]
    commands = [
        [*generate, "--temperature", "0", "--guidance", "2.5"],
        [*generate, "--seed", "7", "--top-p", "0.9"],
        ["eval", str(run[1]), "-m", "example.com", "--json", "--max-docs", "3"],
        ["eval", str(run[1]), "--probe", str(probes), "-m", "www.bbc.co.uk", "--json"],
    ]
    for k, args in enumerate(commands):
        extras = [[], ["--device", "cpu"]] + ([["--device", "auto"]] if k == 1 else [])
        outputs = [CliRunner().invoke(main, args + extra) for extra in extras]
        assert all(r.exit_code == 0 for r in outputs), outputs[0].output
        assert len({r.output for r in outputs}) == 1, args


def test_inference_tensors_follow_the_model_device(loaded, tmp_path):
    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps(p) + "\n" for p in PROBES))
    probes = read_probes(probes)
    with misplaced_tensors(loaded.model) as misplaced:
        for sampling in (Sampling(temperature=0), Sampling(temperature=0.8, top_k=50, top_p=0.9)):
            complete(loaded, "Document 3", ["en.wikipedia.org"], sampling, 4, seed=1)
            complete(loaded, "Document 3", ["en.wikipedia.org"], sampling, 4, seed=1, guidance=2.0)
        evaluate(loaded, metadata=["example.com"], max_docs=2)
        score_probes(loaded, probes, ["www.bbc.co.uk"])
    assert misplaced == []


@cuda
def test_generate_and_eval_on_cuda(run, tmp_path):
    """On a GPU: the model and every tensor are there, and eval's losses and probe scores are the CPU's."""
    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps(p) + "\n" for p in PROBES))
    loaded = load(run[1], device="cuda")
    assert loaded.device.type == "cuda" and loaded.model.rope_cos.is_cuda
    new = complete(loaded, "Document 3", ["en.wikipedia.org"], Sampling(top_p=0.9), 6, seed=1, guidance=2.0).new
    assert 1 <= len(new) <= 6
    args = ["generate", str(run[1]), "--prompt", "Document 3", "--seed", "3", "--device", "cuda"]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0 and text.output.startswith("Document 3"), text.output
    on = [evaluate(load(run[1], device=d), metadata=["example.com"], max_docs=3) for d in ("cpu", "cuda")]
    assert on[1]["loss"] == pytest.approx(on[0]["loss"], rel=1e-3) and on[1]["targets"] == on[0]["targets"]
    on = [score_probes(load(run[1], device=d), read_probes(probes), ["www.bbc.co.uk"]) for d in ("cpu", "cuda")]
    for condition, m in on[0]["conditions"].items():
        assert on[1]["conditions"][condition]["answer_loss"] == pytest.approx(m["answer_loss"], rel=1e-3)
