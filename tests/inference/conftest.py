"""One prepared folder and debug run shared by the inference tests (preparing and training take most of their time)."""

import pytest

from meco.inference.loading import load
from tests.inference_helpers import prepare_c4, train_debug


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("inference")
    data = prepare_c4(root)
    return data, train_debug(data, root / "run")


@pytest.fixture(scope="session")
def loaded(run):
    return load(run[1])
