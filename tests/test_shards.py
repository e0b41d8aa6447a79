"""The reader: documents, token ranges and windows read back exactly; a damaged or foreign folder is an error that names the file."""

import json
import shutil

import numpy as np
import pytest

from meco.shards import ShardFormatError, Shards


@pytest.fixture
def prepared_copy(tmp_path, prepared_shared):
    shutil.copytree(prepared_shared, tmp_path / "data")
    return tmp_path / "data"


def test_reader_lengths_match_the_manifest(prepared_shared):
    manifest = json.loads((prepared_shared / "manifest.json").read_text())
    for variant in ("conditioned", "cooldown"):
        shards = Shards.open(prepared_shared, variant, verify=True)
        entry = manifest["splits"]["train"][variant]
        assert (len(shards), shards.num_tokens, int(shards.lengths().sum())) == (
            entry["documents"],
            entry["tokens"],
            entry["tokens"],
        )
        last, j = shards.locate(len(shards) - 1)
        assert (last is shards.files[-1], j) == (True, len(last) - 1)


def test_truncated_shard_is_named(prepared_copy):
    ds = prepared_copy / "cooldown" / "00001.ds"
    ds.write_bytes(ds.read_bytes()[:-4])
    with pytest.raises(ShardFormatError, match=f"{ds}: .* bytes, the manifest says"):
        Shards.open(prepared_copy, "cooldown")


def test_checksum_failure_is_named_with_verify(prepared_copy):
    loss = prepared_copy / "conditioned" / "00000.ds.loss"
    data = bytearray(loss.read_bytes())
    data[0] ^= 1
    loss.write_bytes(bytes(data))
    Shards.open(prepared_copy, "conditioned")  # sizes still agree
    with pytest.raises(ShardFormatError, match=f"{loss}: sha256 does not match"):
        Shards.open(prepared_copy, "conditioned", verify=True)


def test_other_format_version_and_missing_folder(prepared_copy, tmp_path):
    manifest = json.loads((prepared_copy / "manifest.json").read_text())
    (prepared_copy / "manifest.json").write_text(json.dumps(manifest | {"version": 2}))
    with pytest.raises(ShardFormatError, match="version 2; this meco reads 'meco-shards' version 1"):
        Shards.open(prepared_copy, "cooldown")
    with pytest.raises(ShardFormatError, match="no such data folder"):
        Shards.open(tmp_path / "nowhere", "cooldown")
    with pytest.raises(ShardFormatError, match=r"s3://b/out: shards are read \(memory-mapped\) from a local folder"):
        Shards.open("s3://b/out", "cooldown")


def test_read_and_windows_follow_the_concatenated_stream(prepared_shared):
    shards = Shards.open(prepared_shared, "conditioned")
    assert len(shards.files) == 2  # so windows cross a shard boundary
    stream = np.concatenate([np.fromfile(f.path, "<u4") for f in shards.files])
    loss = np.concatenate([np.fromfile(str(f.path) + ".loss", np.uint8) for f in shards.files])
    boundary = len(shards.files[0].tokens)
    tokens, mask = shards.read(boundary - 3, boundary + 2)
    assert (tokens.tolist(), mask.tolist()) == (
        stream[boundary - 3 : boundary + 2].tolist(),
        loss[boundary - 3 : boundary + 2].tolist(),
    )
    windows = shards.windows(1000)
    assert len(windows) == (len(stream) - 1) // 1000
    for i in range(len(windows)):
        input_ids, target_ids, target_mask = windows[i]
        np.testing.assert_array_equal(input_ids, stream[i * 1000 : i * 1000 + 1000])
        np.testing.assert_array_equal(target_ids, stream[i * 1000 + 1 : i * 1000 + 1001])
        assert target_mask.dtype == bool
        np.testing.assert_array_equal(target_mask, loss[i * 1000 + 1 : i * 1000 + 1001] == 1)
    with pytest.raises(
        IndexError, match=f"window {len(windows)} out of range for {len(windows)} windows of 1000 tokens"
    ):
        windows[len(windows)]
    with pytest.raises(IndexError, match=f"tokens \\[0, {len(stream) + 1}\\) out of range for {len(stream)} tokens"):
        shards.read(0, len(stream) + 1)


def test_windows_as_a_torch_dataset(prepared_shared):
    """The README's example, run."""
    import torch

    class MecoDataset(torch.utils.data.Dataset):
        def __init__(self, root, variant, seq_len):
            self.windows = Shards.open(root, variant).windows(seq_len)

        def __len__(self):
            return len(self.windows)

        def __getitem__(self, i):
            input_ids, target_ids, target_mask = self.windows[i]
            labels = np.where(target_mask, target_ids.astype(np.int64), -100)  # -100: cross_entropy's ignore_index
            return torch.from_numpy(input_ids.astype(np.int64)), torch.from_numpy(labels)

    x, y = next(iter(torch.utils.data.DataLoader(MecoDataset(prepared_shared, "conditioned", 64), batch_size=4)))
    assert x.shape == y.shape == (4, 64)
    tokens, loss = Shards.open(prepared_shared, "conditioned").read(0, 65)
    assert y[0].tolist() == [int(t) if m else -100 for t, m in zip(tokens[1:], loss[1:], strict=True)]
