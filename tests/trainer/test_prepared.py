"""The trainer on a folder written by `meco prepare` itself (cl100k_base, a C4-layout file)."""

import gzip
import json

import numpy as np
import pytest

from meco.shards import Shards
from meco.trainer.config import TrainConfig
from meco.trainer.data import IGNORE, PackedLoader, open_variants
from meco.trainer.train import train
from tests.train_helpers import read_metrics

HOSTS = ["en.wikipedia.org", "www.bbc.co.uk", "example.com"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    from meco.pipeline import PrepareConfig, prepare

    src = tmp_path_factory.mktemp("c4") / "c4-train.00000-of-01024.json.gz"
    with gzip.open(src, "wt") as f:
        for i in range(40):
            text = f"Document {i} talks about topic {i % 7}. " * (3 + i % 5)
            f.write(json.dumps({"text": text, "url": f"https://{HOSTS[i % 3]}/page/{i}", "timestamp": ""}) + "\n")
    out = tmp_path_factory.mktemp("prepared") / "out"
    prepare(PrepareConfig(inputs=[str(src)], output=str(out), tasks=1, workers=1, val_fraction=0.2))
    return out


def test_prefixes_are_never_targets(prepared):
    from meco.tokenizer import load_tokenizer

    tok = load_tokenizer()
    loader = PackedLoader(open_variants(prepared), seq_len=64, seed=0)
    batch = loader.next_batch(4)
    text = tok.decode(batch.inputs[0].tolist())
    assert text.startswith("URL: ") and any(f"URL: {h}\n\n" in text for h in HOSTS)
    targets = np.concatenate([b[b != IGNORE] for b in batch.labels.numpy()])
    assert "URL:" not in tok.decode(targets.tolist())
    cond, cool = Shards.open(prepared, "conditioned"), Shards.open(prepared, "cooldown")
    assert np.array_equal(cond.document(3)[0][cond.document(3)[1] == 1], cool.document(3)[0])  # aligned bodies


def test_train_on_prepared_shards(prepared, tmp_path):
    summary = train(
        TrainConfig(
            data=str(prepared),
            out=str(tmp_path),
            model="debug",
            seq_len=32,
            batch_tokens=128,
            micro_batch=4,
            steps=4,
            cooldown_fraction=0.5,
            verify=True,
            val_tokens=256,
        )
    )
    assert [r["phase"] for r in read_metrics(tmp_path)] == ["conditioned"] * 2 + ["cooldown"] * 2
    assert summary["switch_step"] == 2 and np.isfinite(summary["val_loss_conditioned"])
