"""End to end: real layouts in, every document of both variants decoded and checked exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from meco.shards import Shards, sha256_file
from tests.conftest import DATA_SAMPLES, FASTTEXT_MODEL, prepare_folder
from tests.corpus import read_records


def expected_prefixes(records, template=lambda host: f"URL: {host}\n\n") -> dict[str, set[str]]:
    """text -> the prefixes its record(s) may carry, computed with urllib, not meco."""
    prefixes = defaultdict(set)
    for r in records:
        host = urlsplit(r["url"]).hostname if r.get("url") else None
        prefixes[r["text"]].add(template(host.rstrip(".")) if host else "")
    return prefixes


def check_variants(root: Path, tokenizer, prefixes: dict[str, set[str]]) -> int:
    """Both variants of both splits: exact tokens, masks and alignment; returns the documents seen."""
    seen = 0
    for split in ("train", "val"):
        cond, cool = Shards.open(root, "conditioned", split), Shards.open(root, "cooldown", split)
        assert len(cond) == len(cool)
        for i in range(len(cool)):
            ctoks, cmask = cond.document(i)
            dtoks, dmask = cool.document(i)
            assert dtoks[-1] == tokenizer.eos_id and ctoks[-1] == tokenizer.eos_id
            text = tokenizer.decode(dtoks[:-1].tolist())
            assert text in prefixes, f"document {i} of {split} is not an input text"
            assert list(dtoks[:-1]) == tokenizer.encode_batch([text])[0]
            plen = len(ctoks) - len(dtoks)
            prefix = tokenizer.decode(ctoks[:plen].tolist())
            assert prefix in prefixes[text]
            assert list(ctoks[:plen]) == (tokenizer.encode_batch([prefix])[0] if prefix else [])
            np.testing.assert_array_equal(ctoks[plen:], dtoks)
            assert dmask.all() and not cmask[:plen].any() and cmask[plen:].all()
            seen += 1
    return seen


def test_real_layouts_decode_exactly(prepared_shared, shared_data, tokenizer):
    records = read_records(shared_data)
    good = [r for r in records if r["text"].strip()]
    assert check_variants(prepared_shared, tokenizer, expected_prefixes(good)) == len(good)
    manifest = json.loads((prepared_shared / "manifest.json").read_text())
    assert manifest["documents"]["in"] == len(records) == 1730
    assert manifest["documents"]["skipped"] == {"empty_text": len(records) - len(good)}
    assert manifest["documents"]["without_metadata"] == {}
    assert (manifest["vocab_size"], manifest["token_size"], manifest["bos_id"], manifest["eos_id"]) == (
        100277,
        4,
        None,
        100257,
    )


def test_manifest_counts_and_checksums_match_the_files(prepared_shared):
    manifest = json.loads((prepared_shared / "manifest.json").read_text())
    for split, folder in (("train", prepared_shared), ("val", prepared_shared / "val")):
        for variant in ("conditioned", "cooldown"):
            entry = manifest["splits"][split][variant]
            assert entry["documents"] == sum(f["documents"] for f in entry["files"]) > 0
            for f in entry["files"]:
                base = folder / variant / f["name"]
                assert {k: sha256_file(str(base) + k[2:]) for k in f["sha256"]} == f["sha256"]
                tokens = np.fromfile(base, "<u4")
                loss = np.fromfile(str(base) + ".loss", np.uint8)
                assert (len(tokens), int(loss.sum())) == (f["tokens"], f["target_tokens"])
                assert np.fromfile(str(base) + ".index", "<u8")[-1] == len(tokens)
                assert (folder / variant / (f["name"] + ".metadata")).read_text().split("\n")[:2] == [
                    "cl100k_base|4",
                    str(len(tokens)),
                ]
    cond, cool = manifest["splits"]["train"]["conditioned"], manifest["splits"]["train"]["cooldown"]
    assert cond["target_tokens"] == cool["target_tokens"] == cool["tokens"] < cond["tokens"]
    assert not list(prepared_shared.rglob("*.partial"))


def test_datatrove_reads_the_shards(prepared_shared):
    from datatrove.utils.dataset import DatatroveFolderDataset

    for variant in ("conditioned", "cooldown"):
        ds = DatatroveFolderDataset(str(prepared_shared / variant), seq_len=64, token_size=4)
        shards = Shards.open(prepared_shared, variant)
        stream = np.concatenate([f.tokens for f in shards.files])
        assert len(ds) == sum(len(f.tokens) // 65 for f in shards.files)
        np.testing.assert_array_equal(np.asarray(ds[0]["input_ids"]), stream[:65])


def test_topic_metadata_with_the_real_fasttext_model(tmp_path, shared_data, tokenizer):
    import fasttext

    if not FASTTEXT_MODEL.is_file():
        pytest.skip("fastText model not in shared data")
    names = [
        "Company",
        "EducationalInstitution",
        "Artist",
        "Athlete",
        "OfficeHolder",
        "MeanOfTransportation",
        "Building",
        "NaturalPlace",
        "Village",
        "Animal",
        "Plant",
        "Album",
        "Film",
        "WrittenWork",
    ]
    labels = tmp_path / "labels.tsv"
    labels.write_text("".join(f"{i}\t{n}\n" for i, n in enumerate(names, 1)))
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    manifest = prepare_folder(
        tmp_path / "out",
        [c4],
        metadata=["host", "topic"],
        topic_model=str(FASTTEXT_MODEL),
        topic_threshold=0.6,
        topic_labels=str(labels),
        val_fraction=0.0,
    )
    model = fasttext.load_model(str(FASTTEXT_MODEL))
    prefixes = {}
    for r in read_records(c4):
        (label,), (p,) = model.predict(" ".join(r["text"][:20_000].split()).lower(), k=1)
        topic = f"Topic: {names[int(label.removeprefix('__label__')) - 1]}\n" if p >= 0.6 else ""
        prefixes[r["text"]] = f"URL: {urlsplit(r['url']).hostname}\n{topic}\n"
    cool, cond = Shards.open(tmp_path / "out", "cooldown"), Shards.open(tmp_path / "out", "conditioned")
    with_topic = 0
    for i in range(len(cool)):
        text = tokenizer.decode(cool.document(i)[0][:-1].tolist())
        assert tokenizer.decode(cond.document(i)[0][:-1].tolist()) == prefixes[text] + text
        with_topic += "Topic: " in prefixes[text]
    assert 0 < with_topic < len(cool) == 400
    assert manifest["documents"]["missing_value"] == {"topic": 400 - with_topic}
    assert manifest["metadata"] == {"kinds": ["host", "topic"], "template": "URL: {host}\nTopic: {topic}\n\n"}


def test_killed_multitask_run_resumes_to_identical_output(tmp_path, shared_data):
    inputs = [str(shared_data / "c4"), str(shared_data / "dclm"), str(shared_data / "refinedweb")]
    cmd = [sys.executable, "-m", "meco.cli", "prepare", *inputs, "--tasks", "4", "--workers", "1"]
    subprocess.run([*cmd, "-o", str(tmp_path / "straight")], check=True, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "-o", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_done = killed / "logs" / "tokenize" / "completions" / "00000"
    deadline = time.time() + 120
    while not first_done.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.005)
    proc.kill()
    proc.wait()
    assert (tmp_path / "straight" / "manifest.json").is_file()
    assert not (killed / "manifest.json").exists(), "the run finished before it could be killed"
    finished = {p.stem for p in (killed / "tasks").glob("*.json")}
    assert 1 <= len(finished) < 4
    for ds in killed.rglob("*.ds"):
        assert ds.name[:5] in finished, f"{ds} looks complete but its task did not finish"

    subprocess.run([*cmd, "-o", str(killed)], check=True, capture_output=True)
    compared = 0
    for path in (tmp_path / "straight").rglob("*"):
        rel = path.relative_to(tmp_path / "straight")
        if path.is_file() and rel.parts[0] not in ("logs", "tasks"):
            assert (killed / rel).read_bytes() == path.read_bytes(), rel
            compared += 1
    # the 4 input files go one to each task: 4 tasks x 2 splits x 2 variants x 4 files per shard, plus
    # manifest.json and prepare.json (which holds the input lists and the plan)
    assert compared == 4 * 2 * 2 * 4 + 2
    assert not list(killed.rglob("*.partial"))


def test_rerun_with_other_settings_is_refused(tmp_path, shared_data):
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    prepare_folder(tmp_path / "out", [c4], limit=5)
    with pytest.raises(ValueError, match="other settings.*metadata"):
        prepare_folder(tmp_path / "out", [c4], limit=5, metadata=["domain"])


def test_shipped_samples_decode_exactly(tmp_path, tokenizer):
    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    manifest = prepare_folder(tmp_path / "out", [DATA_SAMPLES], val_fraction=0.1)
    records = read_records(DATA_SAMPLES)
    assert (
        check_variants(tmp_path / "out", tokenizer, expected_prefixes(records))
        == len(records)
        == manifest["documents"]["written"]
    )
    assert manifest["splits"]["val"]["cooldown"]["documents"] > 0
    hosts = {p for ps in expected_prefixes(records).values() for p in ps}
    assert {"URL: www.example.org\n\n", "URL: 2001:db8::1\n\n", "URL: forum.example.net\n\n"} <= hosts


def test_fsspec_url_inputs_read_like_paths(tmp_path, shared_data):
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    by_url = prepare_folder(tmp_path / "url", [f"file://{c4}"], limit=20, val_fraction=0)
    by_path = prepare_folder(tmp_path / "path", [c4], limit=20, val_fraction=0)
    assert by_url["inputs"][0]["folder"].startswith("file://")
    assert by_url["inputs"][0]["files"] == by_path["inputs"][0]["files"] == [c4.name]
    for name in ("conditioned/00000.ds", "cooldown/00000.ds.loss"):
        assert (tmp_path / "url" / name).read_bytes() == (tmp_path / "path" / name).read_bytes()


def test_bos_is_added_and_masked_where_the_tokenizer_has_one(tmp_path, tokenizer_json, shared_data):
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_bytes(tokenizer_json.read_bytes())
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"bos_token": "<|fim_prefix|>", "eos_token": "<|endoftext|>"})
    )
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    manifest = prepare_folder(tmp_path / "out", [c4], tokenizer=str(folder), limit=10, val_fraction=0)
    assert (manifest["bos_id"], manifest["eos_id"], manifest["tokenizer"]["kind"]) == (100258, 100257, "huggingface")
    from meco.tokenizer import load_tokenizer

    tok = load_tokenizer(str(folder))
    cond, cool = Shards.open(tmp_path / "out", "conditioned"), Shards.open(tmp_path / "out", "cooldown")
    for i, record in enumerate(read_records(c4)[:10]):
        text_ids = tok.encode_batch([record["text"]])[0]
        prefix_ids = tok.encode_batch([f"URL: {urlsplit(record['url']).hostname}\n\n"])[0]
        assert cool.document(i)[0].tolist() == [100258, *text_ids, 100257]
        assert cool.document(i)[1].tolist() == [0] + [1] * (len(text_ids) + 1)
        assert cond.document(i)[0].tolist() == [100258, *prefix_ids, *text_ids, 100257]
        assert cond.document(i)[1].tolist() == [0] * (1 + len(prefix_ids)) + [1] * (len(text_ids) + 1)


def test_documents_without_metadata_are_kept_unprefixed_and_counted(tmp_path, tokenizer):
    records = [
        {"text": "has a url", "url": "https://EN.Wikipedia.org:443/wiki/A"},
        {"text": "no url field"},
        {"text": "null url", "url": None},
        {"text": "broken url", "url": "http://[::1"},
        {"text": "numeric url", "url": 7},
        {"text": "bad\x00 json next"},
    ]
    lines = [json.dumps(r) for r in records] + ['{"text": oops}']
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text("\n".join(lines) + "\n")
    manifest = prepare_folder(tmp_path / "out", [tmp_path / "in"], val_fraction=0)
    docs = manifest["documents"]
    assert docs["without_metadata"] == {"no_url": 3, "non_string_url": 1, "unparsable_url": 1}
    assert (docs["in"], docs["written"], docs["skipped"], docs["repaired"]) == (
        7,
        6,
        {"malformed_json": 1},
        {"nul_bytes_removed": 1},
    )
    cond, cool = Shards.open(tmp_path / "out", "conditioned"), Shards.open(tmp_path / "out", "cooldown")
    assert tokenizer.decode(cond.document(0)[0].tolist()) == "URL: en.wikipedia.org\n\nhas a url<|endoftext|>"
    for i in range(1, 6):
        np.testing.assert_array_equal(cond.document(i)[0], cool.document(i)[0])
        assert cond.document(i)[1].all()
    assert tokenizer.decode(cool.document(5)[0][:-1].tolist()) == "bad json next"


def test_files_of_several_inputs_are_dealt_to_all_tasks_and_limit_counts_per_task(tmp_path):
    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    manifest = prepare_folder(tmp_path / "spread", [DATA_SAMPLES], tasks=3, workers=1, val_fraction=0)
    files = manifest["splits"]["train"]["cooldown"]["files"]
    assert [(f["name"], f["documents"]) for f in files] == [("00000.ds", 36), ("00001.ds", 36), ("00002.ds", 36)]
    limited = prepare_folder(tmp_path / "limited", [DATA_SAMPLES], tasks=1, limit=5, val_fraction=0)
    assert limited["documents"]["in"] == limited["documents"]["written"] == 5


def test_batch_size_may_change_on_resume_and_output_is_the_same(tmp_path, shared_data):
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    prepare_folder(tmp_path / "a", [c4], batch_size=7)
    prepare_folder(tmp_path / "b", [c4], batch_size=1000)
    prepare_folder(tmp_path / "b", [c4], batch_size=3)  # a resume with another batch size is accepted
    for name in ("conditioned/00000.ds", "cooldown/00000.ds.loss", "val/conditioned/00000.ds.index"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_tokenizer_cache_budget_rebuilds_the_encoder_and_leaves_the_output_alone(tmp_path, shared_data, monkeypatch):
    """--tokenizer-cache-mib only trades memory for CPU: a 1 MiB budget rebuilds gigatoken's encoder again
    and again (counted in the task's stats), the shards stay byte-identical, and a resume may change it."""
    import itertools

    import meco.fast_tokenizer

    # the task runs in this process; its resident memory is made to grow by 512 KiB at every look, since how
    # the real one grows depends on what the allocator kept from earlier tests
    monkeypatch.setattr(meco.fast_tokenizer, "MIN_CHARS_PER_BUILD", 0)
    grows = itertools.count(0, 512 << 10)
    monkeypatch.setattr(meco.fast_tokenizer, "resident_bytes", lambda: next(grows))
    c4 = shared_data / "c4" / "c4-validation.00000-of-00008.json.gz"
    builds = {}
    for name, mib in (("small", 1), ("default", 64)):
        prepare_folder(tmp_path / name, [c4], batch_size=20, tokenizer_cache_mib=mib)
        stats = json.loads((tmp_path / name / "logs" / "tokenize" / "stats.json").read_text())
        count = next(s["stats"]["tokenizer_builds"] for s in stats if "tokenizer_builds" in s["stats"])
        builds[name] = count if isinstance(count, int) else count["total"]  # datatrove saves a lone 1 bare
    assert builds["default"] == 1 < builds["small"], builds
    for name in ("conditioned/00000.ds", "cooldown/00000.ds.loss", "val/conditioned/00000.ds.index"):
        assert (tmp_path / "small" / name).read_bytes() == (tmp_path / "default" / name).read_bytes()
    prepare_folder(tmp_path / "small", [c4], tokenizer_cache_mib=512)  # a resume with another budget


def test_tokenizer_cache_budget_below_one_is_refused(tmp_path):
    from meco.errors import OptionError
    from meco.pipeline import PrepareConfig, prepare

    with pytest.raises(OptionError, match="--tokenizer-cache-mib 0: must be at least 1"):
        prepare(PrepareConfig(inputs=[str(DATA_SAMPLES)], output=str(tmp_path / "out"), tokenizer_cache_mib=0))


def test_a_rerun_without_tasks_keeps_its_runs_count_on_a_machine_with_other_cpus(tmp_path, monkeypatch):
    """The default --tasks depends on the CPU count; a rerun of the same command on another machine resumes
    with the count its run recorded instead of being refused for changed settings."""
    import meco.pipeline.job as job

    if not (DATA_SAMPLES / "c4").is_dir():
        pytest.skip("data_samples/ not generated")
    monkeypatch.setattr(job.os, "cpu_count", lambda: 2)
    first = prepare_folder(tmp_path / "out", [DATA_SAMPLES], val_fraction=0)
    monkeypatch.setattr(job.os, "cpu_count", lambda: 1)
    again = prepare_folder(tmp_path / "out", [DATA_SAMPLES], val_fraction=0)
    assert again == first and len(first["splits"]["train"]["cooldown"]["files"]) == 2
