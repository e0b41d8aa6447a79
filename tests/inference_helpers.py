"""A real prepared folder (cl100k_base, host metadata, a C4-layout file) and a debug model trained on it
for a few steps: small enough for seconds, real enough for prefixes, tokenizers and exports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

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
