"""Damaged shards found without --verify: cheap checks when a shard is opened (index never going down, ending
at the token count; a loss mask as long as the tokens) and an id check on every batch, each an error naming
the file. `meco inspect` and the exports refuse a damaged source; a run works from any directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from meco.cli import main
from meco.shards import INDEX_DTYPE, ShardFile, ShardFormatError, Shards
from meco.trainer.data import PackedLoader, open_variants
from tests.inference_helpers import prepare_c4, train_debug
from tests.train_helpers import make_prepared

ARGS = ["--model=debug", "--seq-len=16", "--batch-tokens=32", "--micro-batch=2", "--steps=1", "--val-tokens=50"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


@pytest.fixture
def data(pristine, tmp_path):
    return shutil.copytree(pristine, tmp_path / "data")


def fails(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def train_fails(data, out, *extra) -> str:
    message = fails("train", f"--data={data}", f"--out={out}", *ARGS, *extra)
    assert not (out / "checkpoints").exists()
    return message


def rewrite(path: Path, dtype, change) -> None:
    values = np.fromfile(path, dtype)
    change(values)
    values.tofile(path)


def swap_index_entries(data: Path, variant: str = "conditioned", split: str = "") -> Path:
    """Documents 2 and 3 of shard 00000 end in the wrong order: same size, same last end."""
    index = data / split / variant / "00000.ds.index"
    rewrite(index, INDEX_DTYPE, lambda ends: ends.__setitem__(slice(2, 4), ends[2:4][::-1].copy()))
    return index


def test_an_index_that_goes_down_is_named_when_the_shard_opens(data, tmp_path):
    index = swap_index_entries(data)
    ends = np.fromfile(index, INDEX_DTYPE)
    message = (
        f"{index}: document 3 ends at token {ends[3]:,}, before the one ahead of it ({ends[2]:,}); the index is damaged"
    )
    with pytest.raises(ShardFormatError) as e:
        Shards.open(data, "conditioned")
    assert str(e.value) == message
    assert message in train_fails(data, tmp_path / "out")


def test_an_index_that_ends_before_the_tokens_is_named(data, tmp_path):
    index = data / "cooldown" / "00001.ds.index"
    rewrite(index, INDEX_DTYPE, lambda ends: ends.__setitem__(-1, ends[-1] - 1))
    tokens = (data / "cooldown" / "00001.ds").stat().st_size // 2
    assert (
        f"{index}: the last document ends at token {tokens - 1:,}, the shard holds {tokens:,}; the shard is damaged"
        in train_fails(data, tmp_path / "out")
    )


def test_a_loss_mask_of_another_length_is_named_without_a_manifest_entry(data):
    loss = data / "conditioned" / "00000.ds.loss"
    loss.write_bytes(loss.read_bytes()[:-3])
    with pytest.raises(ShardFormatError, match=f"^{loss}: .* loss-mask entries for .* tokens; the shard is damaged"):
        ShardFile.open(data / "conditioned" / "00000.ds", np.dtype("<u2"))


def test_an_id_outside_the_vocabulary_is_named_when_its_batch_is_read(data, tmp_path):
    """A flipped high bit in a token of the first document trained on: the sizes and the index are intact."""
    loader = PackedLoader(open_variants(data), 16, seed=0)
    shard, j = loader.shards["cooldown"].locate(int(loader.permutation()[0]))  # one step: all cooldown
    start, _ = shard.span(j)
    path = shard.path
    del loader, shard  # release the maps before writing
    rewrite(path, "<u2", lambda tokens: tokens.__setitem__(start + 1, tokens[start + 1] | 0x8000))
    value = int(np.fromfile(path, "<u2")[start + 1])
    assert f"{path}: token {start + 1:,} is id {value:,}, outside the vocabulary of 61; the shard is damaged" in (
        train_fails(data, tmp_path / "out")
    )


def test_an_id_outside_the_vocabulary_in_the_validation_split_is_named(data, tmp_path):
    path = data / "val" / "cooldown" / "00000.ds"
    rewrite(path, "<u2", lambda tokens: tokens.__setitem__(0, 4000))
    assert f"{path}: token 0 is id 4,000, outside the vocabulary of 61" in train_fails(data, tmp_path / "out")


def test_verify_reports_a_missing_file_as_a_plain_run_does(data, tmp_path):
    missing = data / "cooldown" / "00001.ds.index"
    missing.unlink()
    message = f"Error: {missing}: missing (listed in the manifest)"
    assert message in train_fails(data, tmp_path / "a")
    assert message in train_fails(data, tmp_path / "b", "--verify")


@pytest.mark.parametrize("fmt", ["megatron", "olmo"])
def test_exports_refuse_a_damaged_source_naming_it(data, tmp_path, fmt):
    index = swap_index_entries(data, "cooldown", "val")
    assert f"Error: {index}: document 3 ends at token" in fails(
        "export-shards", data, tmp_path / "out", "--format", fmt
    )


# ----------------------------------------------------------------------------------------------------------
# a real prepared folder (cl100k_base): `meco inspect`, and a run used from another directory


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A C4-layout folder prepared by `meco prepare`, and a run trained with a relative --data."""
    root = tmp_path_factory.mktemp("real")
    data = prepare_c4(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        train_debug(Path("data"), Path("run"))
    return data, root / "run"


@pytest.mark.parametrize("split, variant", [("", "conditioned"), ("val", "cooldown"), ("val", "conditioned")])
def test_inspect_checks_every_split_and_variant_it_reports(real, tmp_path, split, variant):
    data = shutil.copytree(real[0], tmp_path / "data")
    assert CliRunner().invoke(main, ["inspect", str(data)]).exit_code == 0
    index = data / split / variant / "00000.ds.index"
    if np.fromfile(index, INDEX_DTYPE).size < 4:  # too few documents to swap: cut the loss mask instead
        loss = index.with_name("00000.ds.loss")
        loss.write_bytes(loss.read_bytes()[:-1])
        assert f"Error: {loss}: " in fails("inspect", data)
    else:
        swap_index_entries(data, variant, split)
        assert f"Error: {index}: document 3 ends at token" in fails("inspect", data)


def test_eval_and_generate_work_from_another_directory(real, tmp_path, monkeypatch):
    """The run was trained with `--data data` (relative); its checkpoints record the absolute folder."""
    data, run = real
    state = json.loads((run / "checkpoints" / "step-0000004" / "state.json").read_text())
    assert state["config"]["data"] == str(data.resolve())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["eval", str(run), "--max-docs=2"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["generate", str(run), "--max-new-tokens=3", "-m", "example.com"])
    assert result.exit_code == 0, result.output
