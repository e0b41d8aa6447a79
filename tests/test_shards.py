"""The reader's checks: a damaged or foreign folder is an error that names the file."""

import json
import shutil

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
        assert (len(shards), shards.num_tokens, int(shards.lengths().sum())) == (entry["documents"], entry["tokens"], entry["tokens"])
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
