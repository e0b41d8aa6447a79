"""Bad input fails before training with a message that names the file."""

import json
import shutil

import pytest
import torch
from click.testing import CliRunner

from meco.trainer.cli import train_command
from tests.train_helpers import make_prepared

ARGS = ["--model=debug", "--seq-len=16", "--batch-tokens=32", "--micro-batch=2", "--steps=1", "--val-tokens=50"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return make_prepared(tmp_path_factory.mktemp("data"))


@pytest.fixture
def data(pristine, tmp_path):
    return shutil.copytree(pristine, tmp_path / "data")


def fails(data, out, *extra) -> str:
    result = CliRunner().invoke(train_command, [f"--data={data}", f"--out={out}", *ARGS, *extra])
    assert result.exit_code == 1, result.output
    assert not (out / "metrics.jsonl").exists()  # nothing was trained
    return result.output


def test_missing_data_folder(tmp_path):
    assert f"Error: {tmp_path / 'nope'}: no such data folder (run `meco prepare` first)" in fails(
        tmp_path / "nope", tmp_path / "out"
    )


def test_data_on_object_storage_asks_for_a_local_copy(tmp_path):
    assert "s3://bucket/out: shards are read (memory-mapped) from a local folder; copy" in fails(
        "s3://bucket/out", tmp_path / "out"
    )


def test_manifest_of_another_version(data, tmp_path):
    manifest = json.loads((data / "manifest.json").read_text())
    (data / "manifest.json").write_text(json.dumps({**manifest, "version": 2}))
    assert (
        f"{data / 'manifest.json'}: format 'meco-shards' version 2; this meco reads 'meco-shards' version 1"
        in fails(data, tmp_path / "out")
    )


def test_shard_size_mismatch(data, tmp_path):
    loss = data / "conditioned/00000.ds.loss"
    size = loss.stat().st_size
    loss.write_bytes(loss.read_bytes()[:-1])
    assert f"{loss}: {size - 1} bytes, the manifest says {size}; the folder is damaged" in fails(data, tmp_path / "out")


def test_checksum_failure_with_verify(data, tmp_path):
    shard = data / "cooldown/00001.ds"
    raw = bytearray(shard.read_bytes())
    raw[10] ^= 1
    shard.write_bytes(bytes(raw))
    assert f"{shard}: sha256 does not match the manifest" in fails(data, tmp_path / "out", "--verify")


def test_vocabulary_larger_than_the_embedding(data, tmp_path):
    assert (
        f"{data / 'manifest.json'}: the tokenizer has 61 ids but the model's embedding holds 32 (--vocab-size); "
        "use at least 61" in fails(data, tmp_path / "out", "--vocab-size=32")
    )


def test_checkpoint_of_another_model_shape(data, tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(train_command, [f"--data={data}", f"--out={out}", *ARGS]).exit_code == 0
    (out / "metrics.jsonl").unlink()
    state = out / "checkpoints/step-0000001/state.json"
    message = fails(data, out, "--resume", "--vocab-size=256")
    assert f"{state}: saved for another model shape (saved, now): {{'vocab_size': (128, 256)}}" in message
    assert f"{out / 'checkpoints/step-0000001'}: {out} already holds a run; pass --resume or another --out" in fails(
        data, out
    )


def test_help_lists_the_options():
    result = CliRunner().invoke(train_command, ["--help"])
    assert result.exit_code == 0
    for option in (
        "--tokens",
        "--steps",
        "--batch-tokens",
        "--micro-batch",
        "--mode",
        "--cooldown-fraction",
        "--doc-mask",
        "--resume",
        "--save-every",
        "--compile",
        "--verify",
        "--schedule",
    ):
        assert option in result.output


def test_bad_option_values(pristine, tmp_path):
    assert "cooldown_fraction 1.5: must lie in [0, 1)" in fails(pristine, tmp_path / "out", "--cooldown-fraction=1.5")
    assert "give --tokens or --steps, not both" in fails(pristine, tmp_path / "out", "--tokens=100")
    assert "Error: --seq-len 0: must be at least 1" in fails(pristine, tmp_path / "out", "--seq-len=0")


@pytest.mark.parametrize(
    "option, message",
    [
        ("--lr=inf", "--lr inf: must be a positive finite learning rate"),
        ("--lr=nan", "--lr nan: must be a positive finite learning rate"),
        ("--lr=0", "--lr 0.0: must be a positive finite learning rate"),
        ("--grad-clip=-1", "--grad-clip -1.0: must be a positive gradient norm (inf: no clipping)"),
        ("--warmup=5", "--warmup 5.0: must be a fraction of the steps, in [0, 1)"),
        ("--min-lr-ratio=2", "--min-lr-ratio 2.0: must be a fraction of --lr, in [0, 1]"),
        ("--beta2=1", "--beta2 1.0: must be in [0, 1)"),
        ("--weight-decay=-0.1", "--weight-decay -0.1: must be 0 or more"),
        ("--save-every=-1", "--save-every -1: must be 0 or more"),
        ("--eval-every=-5", "--eval-every -5: must be 0 or more"),
        ("--skip-nonfinite=-1", "--skip-nonfinite -1: must be 0 or more"),
        ("--stop-after=-1", "--stop-after -1: must be at least 1"),
        ("--stop-after=0", "--stop-after 0: must be at least 1"),
        ("--warmup-steps=-1", "--warmup-steps -1: must be 0 or more"),
        ("--warmup-steps=1000", "--warmup-steps 1000: more than the run's"),
        ("--device=nonsense", "--device nonsense: not a torch device (auto, cpu, cuda, cuda:1, ...)"),
        ("--device=meta", "--device meta: holds no weights; choose auto, cpu or cuda"),
        ("--save-at=5,0", "--save-at 0: steps must be at least 1"),
    ],
)
def test_options_out_of_range_are_refused_naming_the_option(pristine, tmp_path, option, message):
    assert f"Error: {message}" in fails(pristine, tmp_path / "out", option)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_cuda_without_a_gpu_is_one_line(pristine, tmp_path):
    assert "Error: --device cuda: no CUDA device is available" in fails(pristine, tmp_path / "out", "--device=cuda")
    assert not (tmp_path / "out").exists()


def test_save_at_that_is_not_a_list_of_steps(pristine, tmp_path):
    result = CliRunner().invoke(train_command, [f"--data={pristine}", f"--out={tmp_path}", *ARGS, "--save-at=5,x"])
    assert result.exit_code == 2 and "Invalid value for '--save-at': 5,x: give steps separated by commas" in (
        result.output
    )
    assert not (tmp_path / "metrics.jsonl").exists()


def test_bad_shape_and_thread_options(pristine, tmp_path):
    assert "Error: --layers 0: must be at least 1" in fails(pristine, tmp_path / "out", "--layers=0")
    assert "Error: --kv-heads -1: must be at least 1" in fails(pristine, tmp_path / "out", "--kv-heads=-1")
    assert "Error: --threads -2: must be 0 (torch's default) or more" in fails(
        pristine, tmp_path / "out", "--threads=-2"
    )
    assert (
        "Error: --model debug --heads 3: dim 32, n_heads 3, n_kv_heads 2: dim must split into an even head size"
        in fails(pristine, tmp_path / "out", "--heads=3")
    )
