"""Exports: the bytes equal the source tokens and masks, and the real Megatron and OLMo-core readers agree."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from meco.cli import main
from meco.export.megatron import megatron_dtype, write_indexed_dataset
from meco.shards import Shards, variant_dir

SPLITS_VARIANTS = [(s, v) for s in ("train", "val") for v in ("conditioned", "cooldown")]


def read_mmidx(idx: Path) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """An independent reader of Megatron's published .idx layout: dtype code, lengths, pointers, doc indices."""
    data = idx.read_bytes()
    assert data[:9] == b"MMIDIDX\x00\x00"
    version, code, sequences, documents = struct.unpack("<QBQQ", data[9:34])
    assert version == 1
    lengths = np.frombuffer(data, "<i4", sequences, 34)
    pointers = np.frombuffer(data, "<i8", sequences, 34 + 4 * sequences)
    doc_indices = np.frombuffer(data, "<i8", documents, 34 + 12 * sequences)
    assert len(data) == 34 + 12 * sequences + 8 * documents
    return code, lengths, pointers, doc_indices


def megatron_dataset(prefix: Path):
    with warnings.catch_warnings():  # megatron warns that Transformer Engine and Apex are absent
        warnings.simplefilter("ignore")
        from megatron.core.datasets.indexed_dataset import IndexedDataset
    return IndexedDataset(str(prefix))


def export(*args) -> str:
    result = CliRunner().invoke(main, ["export-shards", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def megatron_export(prepared_shared, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("megatron") / "out"
    return out, export(prepared_shared, out, "--format", "megatron")


def test_megatron_bytes_equal_the_shards(prepared_shared, megatron_export):
    out, printed = megatron_export
    for split, variant in SPLITS_VARIANTS:
        for source in sorted(variant_dir(prepared_shared, split, variant).glob("*.ds")):
            prefix = variant_dir(out, split, variant) / source.stem
            ends = np.fromfile(str(source) + ".index", "<u8").astype(np.int64)
            lengths = np.diff(ends, prepend=0)
            tokens = np.fromfile(source, "<u4")
            for suffix, code, itemsize, data in (
                ("", 4, 4, tokens.astype("<i4").tobytes()),
                ("_loss", 1, 1, Path(str(source) + ".loss").read_bytes()),
            ):
                assert Path(f"{prefix}{suffix}.bin").read_bytes() == data
                got_code, got_lengths, pointers, doc_indices = read_mmidx(Path(f"{prefix}{suffix}.idx"))
                assert got_code == code
                np.testing.assert_array_equal(got_lengths, lengths)
                np.testing.assert_array_equal(pointers, (ends - lengths) * itemsize)
                np.testing.assert_array_equal(doc_indices, np.arange(len(ends) + 1))
            assert str(prefix) in printed
    assert "--train-data-path" in printed and "--valid-data-path" in printed


def test_megatron_indexed_dataset_returns_every_document(prepared_shared, megatron_export):
    out, _ = megatron_export
    for split, variant in SPLITS_VARIANTS:
        shards = Shards.open(prepared_shared, variant, split)
        i = 0
        for shard in shards.files:
            prefix = variant_dir(out, split, variant) / Path(shard.path).stem
            tokens, loss = megatron_dataset(prefix), megatron_dataset(f"{prefix}_loss")
            assert len(tokens) == len(loss) == len(shard)
            for got_tokens, got_loss in zip(
                tokens[0 : len(shard)], loss[0 : len(shard)], strict=True
            ):  # one read per file
                want_tokens, want_loss = shards.document(i)
                assert (got_tokens.dtype, got_loss.dtype) == (np.int32, np.uint8)
                np.testing.assert_array_equal(got_tokens, want_tokens)
                np.testing.assert_array_equal(got_loss, want_loss)
                i += 1
            assert tokens[len(shard) - 1].tolist() == shards.document(i - 1)[0].tolist()  # and one by index
        assert i == len(shards)


def test_megatron_uint16_below_65500_ids(tmp_path):
    assert (megatron_dtype(65499), megatron_dtype(65500)) == (np.dtype("<u2"), np.dtype("<i4"))
    write_indexed_dataset(
        tmp_path / "small", np.array([5, 6, 7, 8, 65498], np.uint32), np.array([2, 5], np.uint64), megatron_dtype(50257)
    )
    assert (tmp_path / "small.bin").read_bytes() == np.array([5, 6, 7, 8, 65498], "<u2").tobytes()
    assert (tmp_path / "small.idx").read_bytes() == (
        b"MMIDIDX\x00\x00"
        + struct.pack("<QBQQ", 1, 8, 2, 3)
        + struct.pack("<2i", 2, 3)
        + struct.pack("<2q", 0, 4)
        + struct.pack("<3q", 0, 1, 2)
    )
    ds = megatron_dataset(tmp_path / "small")
    assert [ds[0].tolist(), ds[1].tolist(), ds[1].dtype] == [[5, 6], [7, 8, 65498], np.uint16]


def olmo_datasets(out: Path, sequence_length: int) -> dict:
    """Run the config file the export wrote, as a user would, at a test-sized sequence length."""
    source = (
        (out / "olmo_datasets.py").read_text().replace("SEQUENCE_LENGTH = 2048", f"SEQUENCE_LENGTH = {sequence_length}")
    )
    namespace: dict = {}
    exec(compile(source, str(out / "olmo_datasets.py"), "exec"), namespace)
    return namespace["datasets"]


def test_olmo_links_and_numpy_fsl_dataset_with_label_masks(prepared_shared, tmp_path):
    out = tmp_path / "olmo"
    printed = export(prepared_shared, out, "--format", "olmo")
    assert "NumpyFSLDatasetConfig(" in printed and "label_mask_paths=" in printed
    for split, variant in SPLITS_VARIANTS:
        for source in sorted(variant_dir(prepared_shared, split, variant).glob("*.ds")):
            tokens = variant_dir(out, split, variant) / (source.stem + ".npy")
            mask = variant_dir(out, split, variant) / (source.stem + ".label_mask.npy")
            assert tokens.is_symlink() and tokens.resolve() == source.resolve()
            assert mask.is_symlink() and mask.resolve() == Path(str(source) + ".loss").resolve()
    seq = 512
    for (split, variant), config in olmo_datasets(out, seq).items():
        dataset, shards = config.build(), Shards.open(prepared_shared, variant, split)
        windows = [(f, start) for f in shards.files for start in range(0, len(f.tokens) - seq + 1, seq)]  # per file
        assert len(dataset) == len(windows)
        for i, (shard, start) in enumerate(windows):
            item = dataset[i]
            np.testing.assert_array_equal(item["input_ids"].numpy(), shard.tokens[start : start + seq])
            np.testing.assert_array_equal(item["label_mask"].numpy(), shard.loss[start : start + seq].astype(bool))


def test_olmo_copy_makes_plain_files(prepared_shared, tmp_path):
    out = tmp_path / "olmo"
    assert "(copies)" in export(prepared_shared, out, "--format", "olmo", "--copy")
    source = prepared_shared / "conditioned" / "00000.ds"
    for name, src in (("00000.npy", source), ("00000.label_mask.npy", Path(str(source) + ".loss"))):
        copy = out / "conditioned" / name
        assert not copy.is_symlink() and copy.read_bytes() == src.read_bytes()


def test_export_refuses_a_non_empty_output_and_copy_for_megatron(prepared_shared, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.bin").write_bytes(b"")
    result = CliRunner().invoke(
        main, ["export-shards", str(prepared_shared), str(tmp_path / "out"), "--format", "olmo"]
    )
    assert result.exit_code == 1 and f"{tmp_path / 'out'}: exists and is not empty" in result.output
    result = CliRunner().invoke(
        main, ["export-shards", str(prepared_shared), str(tmp_path / "new"), "--format", "megatron", "--copy"]
    )
    assert result.exit_code == 2 and "--copy applies to --format olmo only" in result.output
    result = CliRunner().invoke(
        main, ["export-shards", str(tmp_path / "nowhere"), str(tmp_path / "new"), "--format", "megatron"]
    )
    assert result.exit_code == 1 and "no such data folder" in result.output


def test_offsets_export_holds_every_document_and_mask(prepared_shared, tmp_path):
    """Read as its documentation says: np.load the three files, document i = tokens[offsets[i]:offsets[i+1]]."""
    printed = export(str(prepared_shared), str(tmp_path / "o"), "--format", "offsets")
    assert "each PREFIX has PREFIX.tokens.npy, PREFIX.document_offsets.npy, PREFIX.loss_mask.npy" in printed
    for split, variant in SPLITS_VARIANTS:
        shards = Shards.open(prepared_shared, variant, split)
        documents = []
        for tokens_file in sorted(variant_dir(tmp_path / "o", split, variant).glob("*.tokens.npy")):
            stem = str(tokens_file)[: -len(".tokens.npy")]
            tokens = np.load(tokens_file, mmap_mode="r")
            offsets = np.load(stem + ".document_offsets.npy")
            mask = np.load(stem + ".loss_mask.npy", mmap_mode="r")
            assert offsets.dtype == np.int64 and offsets[0] == 0 and offsets[-1] == len(tokens) == len(mask)
            assert tokens.dtype == shards.manifest.token_dtype and mask.dtype == np.uint8
            documents += [(tokens[a:b], mask[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
        assert len(documents) == len(shards) > 0
        for i, (tokens, mask) in enumerate(documents):
            expected_tokens, expected_mask = shards.document(i)
            assert np.array_equal(tokens, expected_tokens) and np.array_equal(mask, expected_mask)
    assert not list((tmp_path / "o").rglob("*.partial"))
