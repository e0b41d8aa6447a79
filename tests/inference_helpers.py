"""A real prepared folder (cl100k_base, host metadata, a C4-layout file) and a debug model trained on it
for a few steps: small enough for seconds, real enough for prefixes, tokenizers and exports."""

from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

from meco.trainer.config import TrainConfig
from meco.trainer.train import train

HOSTS = ["en.wikipedia.org", "www.bbc.co.uk", "example.com"]


def prepare_c4(root: Path, **options) -> Path:
    from meco.pipeline import PrepareConfig, prepare

    src = root / "c4-train.00000-of-01024.json.gz"
    with gzip.open(src, "wt") as f:
        for i in range(40):
            text = f"Document {i} talks about topic {i % 7}. " * (3 + i % 5)
            f.write(json.dumps({"text": text, "url": f"https://{HOSTS[i % 3]}/page/{i}", "timestamp": ""}) + "\n")
    out = root / "data"
    prepare(PrepareConfig(inputs=[str(src)], output=str(out), tasks=1, workers=1, val_fraction=0.2, **options))
    return out


def train_debug(data: Path, out: Path) -> Path:
    train(
        TrainConfig(
            data=str(data),
            out=str(out),
            model="debug",
            seq_len=32,
            batch_tokens=128,
            micro_batch=4,
            steps=4,
            cooldown_fraction=0.5,
            eval_every=0,
            val_tokens=64,
            log_every=100,
            lr=1e-2,
        )
    )
    return out


@contextlib.contextmanager
def misplaced_tensors(model):
    """Run inference code with torch's default device set to `meta`, so that a tensor made without the model's
    device lands there, and with `torch.from_numpy` (always the CPU) refused: what a CPU can check of code that
    must keep every tensor on a GPU model's device. Yields the list of ops whose result is off the model's device."""
    device, misplaced = model.output.weight.device, []

    class Record(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, tuple | list) else [out]:
                if isinstance(t, torch.Tensor) and t.device != device:
                    misplaced.append(f"{getattr(func, '__name__', func)} on {t.device}")
            return out

    def from_numpy(_):
        raise AssertionError("torch.from_numpy makes a CPU tensor whatever the model's device: use torch.as_tensor")

    original, torch.from_numpy = torch.from_numpy, from_numpy
    try:
        with torch.device("meta"), Record():
            yield misplaced
    finally:
        torch.from_numpy = original
