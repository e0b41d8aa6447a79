"""The last pipeline stage: gather what every task wrote and counted into `OUT/manifest.json`."""

from __future__ import annotations

import json
from collections import Counter

from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from .. import __version__
from ..shards import FORMAT, MANIFEST, SPLITS, VARIANTS, VERSION, token_dtype, write_json_atomically
from .writer import task_record_name

SETTINGS = "prepare.json"
STATS_DIR = "logs/tokenize/stats"
COUNTED = ("skipped.", "repaired.", "without_metadata.", "missing.")


class ManifestWriter(PipelineStep):
    """Runs once, after all tokenize tasks (datatrove `depends`), and writes the manifest atomically."""

    name = "📜 MeCo manifest"
    type = "📜 - MANIFEST"

    def __init__(self, output_folder: str):
        super().__init__()
        self.output_folder = output_folder

    def run(self, data=None, rank: int = 0, world_size: int = 1) -> None:
        """A terminal step: it returns instead of yielding documents (datatrove's executor accepts both)."""
        out = get_datafolder(self.output_folder)
        settings = _load(out, SETTINGS)
        tasks = settings["config"]["tasks"]
        missing = [r for r in range(tasks) if not out.exists(task_record_name(r))]
        if missing:
            raise RuntimeError(f"{self.output_folder}: tasks {missing} have not finished; rerun `meco prepare`")
        records = [_load(out, task_record_name(r)) for r in range(tasks)]
        counters = Counter()
        for name in out.list_files(STATS_DIR):
            for step in _load(out, name):
                for key, value in step["stats"].items():
                    counters[key] += value["total"] if isinstance(value, dict) else value
        write_json_atomically(out, MANIFEST, build_manifest(settings, records, counters))


def _load(folder, name: str):
    with folder.open(name, "rt") as f:
        return json.load(f)


def build_manifest(settings: dict, records: list[dict], counters: Counter) -> dict:
    tok = settings["tokenizer"]
    dtype = token_dtype(tok["vocab_size"])
    splits = {}
    for split in SPLITS:
        for variant in VARIANTS:
            files = [r["files"][f"{split}/{variant}"] for r in records if f"{split}/{variant}" in r["files"]]
            splits.setdefault(split, {})[variant] = {
                "documents": sum(f["documents"] for f in files),
                "tokens": sum(f["tokens"] for f in files),
                "target_tokens": sum(f["target_tokens"] for f in files),
                "files": files,
            }

    def by_reason(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: int(v) for k, v in sorted(counters.items()) if k.startswith(prefix)}

    written = sum(splits[s]["cooldown"]["documents"] for s in SPLITS)
    skipped = by_reason("skipped.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_by": f"meco {__version__}",
        "tokenizer": tok,
        "vocab_size": tok["vocab_size"],
        "token_size": dtype.itemsize,
        "token_dtype": dtype.name,
        "bos_id": tok["bos_id"],
        "eos_id": tok["eos_id"],
        "metadata": {"kinds": settings["config"]["metadata"], "template": settings["template"]},
        "seed": settings["config"]["seed"],
        "val_fraction": settings["config"]["val_fraction"],
        "documents": {
            "in": written + sum(skipped.values()),
            "written": written,
            "without_metadata": by_reason("without_metadata."),
            "missing_value": by_reason("missing."),
            "skipped": skipped,
            "repaired": by_reason("repaired."),
        },
        "document_tokens": sum(r["document_tokens"] for r in records),
        "splits": splits,
        "inputs": settings["inputs"],
    }
