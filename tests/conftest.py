"""Shared fixtures: the real corpus samples in ../shared/data (skipped cleanly where absent) and prepared folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MECO_SHARED_DATA", REPO.parent / "shared" / "data"))
DATA_SAMPLES = REPO / "data_samples"
FASTTEXT_MODEL = SHARED_DATA / "fasttext" / "dbpedia.ftz"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "c4").is_dir():
        pytest.skip(f"real corpus samples not found at {SHARED_DATA} (set MECO_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tokenizer():
    from meco.tokenizer import load_tokenizer

    return load_tokenizer()


@pytest.fixture(scope="session")
def tokenizer_json(tmp_path_factory, tokenizer) -> Path:
    """The default tokenizer as a Hugging Face tokenizer.json (what datatrove and the benchmark need)."""
    path = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    tokenizer.huggingface().save(str(path))
    return path


def prepare_folder(output: Path, inputs: list[str], **options) -> dict:
    """Run `meco prepare`; return the manifest as written (its JSON)."""
    from meco.pipeline import PrepareConfig, prepare

    options.setdefault("workers", 1)
    return prepare(PrepareConfig(inputs=[str(i) for i in inputs], output=str(output), **options)).to_json()


@pytest.fixture(scope="session")
def prepared_shared(tmp_path_factory, shared_data) -> Path:
    """The three real layouts prepared once with the defaults (host metadata, cl100k_base)."""
    out = tmp_path_factory.mktemp("prepared") / "out"
    prepare_folder(out, [shared_data / "c4", shared_data / "dclm", shared_data / "refinedweb"], tasks=2)
    return out
