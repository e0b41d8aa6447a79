"""The manifest schema: read back exactly as written, and every damaged field named in one error, in every
command that reads a prepared folder."""

import copy
import json

import pytest
from click.testing import CliRunner

from meco.cli import main
from meco.shards import Manifest, ShardFormatError
from tests.train_helpers import make_prepared


@pytest.fixture
def data(tmp_path):
    return make_prepared(tmp_path / "data")


def test_round_trip_is_exact(prepared_shared):
    written = json.loads((prepared_shared / "manifest.json").read_text())
    manifest = Manifest.read(prepared_shared)
    assert manifest.to_json() == written
    assert json.dumps(manifest.to_json()) == json.dumps(written)  # the same key order too
    assert manifest.vocab_size == written["vocab_size"] and manifest.token_dtype.name == written["token_dtype"]
    assert manifest.variant("val", "cooldown").documents == written["splits"]["val"]["cooldown"]["documents"]


def damage(obj: dict, change) -> dict:
    obj = copy.deepcopy(obj)
    change(obj)
    return obj


DAMAGE = {
    "splits": (lambda m: m.pop("splits"), "field splits: missing"),
    "vocab_size": (lambda m: m.update(vocab_size="61"), "field vocab_size: '61' disagrees"),
    "tokenizer.vocab_size": (
        lambda m: m["tokenizer"].update(vocab_size="61"),
        "field tokenizer.vocab_size: '61' is not int",
    ),
    "bool count": (lambda m: m["documents"].update(written=True), "field documents.written: True is not int"),
    "negative": (lambda m: m.update(document_tokens=-1), "field document_tokens: -1 is negative"),
    "eos": (lambda m: m["tokenizer"].update(eos_id=99), "field tokenizer.eos_id: 99 is not below the vocabulary"),
    "kinds": (lambda m: m["metadata"].update(kinds=["colour"]), "field metadata.kinds: ['colour'] is not a list of"),
    "template": (lambda m: m["metadata"].pop("template"), "field metadata.template: missing"),
    "position": (lambda m: m["metadata"].update(position="middle"), "field metadata.position: 'middle' is not one of"),
    "field kind": (lambda m: m["metadata"].update(kinds=["field:host"]), "field metadata.kinds: ['field:host'] is not"),
    "fields": (lambda m: m["metadata"].update(fields={"q": {}}), "field metadata.fields: names ['q'], but the field"),
    "bucket": (
        lambda m: m["metadata"].update(kinds=["host", "field:q"], fields={"q": {"bucket": 0}}),
        "field metadata.fields.q.bucket: must be at least 1",
    ),
    "date": (
        lambda m: m["metadata"].update(kinds=["field:q"], fields={"q": {"date": "day"}}),
        "field metadata.fields.q.date: 'day' is not one of",
    ),
    "field values": (
        lambda m: m["documents"].update(field_values={"q.missing": -1}),
        "field documents.field_values.q.missing: -1 is negative",
    ),
    "a variant": (lambda m: m["splits"]["train"].pop("cooldown"), "field splits.train: holds ['conditioned']"),
    "alignment": (
        lambda m: m["splits"]["val"]["cooldown"]["files"].clear(),
        "field splits.val.cooldown.documents: 8 is not the sum over its files, 0",
    ),
    "file name": (
        lambda m: m["splits"]["train"]["cooldown"]["files"][0].update(name="../x.ds"),
        "field splits.train.cooldown.files[0].name: '../x.ds' is not a shard file name",
    ),
    "digest": (
        lambda m: m["splits"]["train"]["cooldown"]["files"][0]["sha256"].pop("ds.loss"),
        "field splits.train.cooldown.files[0].sha256: keys",
    ),
    "not an object": (lambda m: m.update(splits=[]), "field splits: [] is not dict"),
}


@pytest.mark.parametrize("what", DAMAGE)
def test_a_damaged_field_is_one_error_naming_file_and_field(data, what):
    change, message = DAMAGE[what]
    path = data / "manifest.json"
    path.write_text(json.dumps(damage(json.loads(path.read_text()), change)))
    with pytest.raises(ShardFormatError) as e:
        Manifest.read(data)
    assert str(e.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    "command",
    [["train", "--model", "debug", "--steps", "1"], ["inspect"], ["export-shards", "--format", "olmo"]],
)
def test_every_command_names_the_damaged_field(data, tmp_path, command):
    path = data / "manifest.json"
    path.write_text(json.dumps(damage(json.loads(path.read_text()), DAMAGE["splits"][0])))
    args = [command[0], str(data), *command[1:]] if command[0] != "train" else [*command, "--data", str(data)]
    if command[0] == "export-shards":
        args.insert(2, str(tmp_path / "export"))
    if command[0] == "train":
        args += ["--out", str(tmp_path / "run")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and not isinstance(result.exception, (KeyError, TypeError))
    assert result.output.strip() == f"Error: {path}: field splits: missing; the manifest is damaged or not meco's"
