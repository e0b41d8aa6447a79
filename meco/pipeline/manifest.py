"""The last pipeline stage: gather what every task wrote and counted into `OUT/manifest.json`."""

from __future__ import annotations

import json
from collections import Counter

from datatrove.io import get_datafolder
from datatrove.pipeline.base import PipelineStep

from .. import __version__
from ..errors import MecoError
from ..shards import (
    INDEX_DTYPE,
    LOSS_DTYPE,
    MANIFEST,
    SPLITS,
    VARIANTS,
    DocumentCounts,
    Manifest,
    ShardEntry,
    TokenizerRecord,
    VariantEntry,
    token_dtype,
    variant_path,
    write_json_atomically,
)
from .writer import task_record_name

SETTINGS = "prepare.json"
STATS_DIR = "logs/tokenize/stats"
COMPLETIONS_DIR = "logs/tokenize/completions"  # datatrove's markers of finished tokenize tasks


class ManifestError(MecoError, ValueError):
    """The tokenize tasks' output is not complete enough to describe; the message names the task."""


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
        # finished: the task's record (its shards are whole) and datatrove's completion (its stats are written)
        missing = [r for r in range(tasks) if not (out.exists(task_record_name(r)) and out.exists(completion_name(r)))]
        if missing:
            raise ManifestError(
                f"{self.output_folder}: tasks {missing} of {tasks} have not finished; no manifest written. Rerunning "
                "`meco prepare` (or those tasks) finishes them"
            )
        records = [_load(out, task_record_name(r)) for r in range(tasks)]
        check_task_files(out, settings, records)
        counters = Counter()
        for name in out.list_files(STATS_DIR):
            for step in _load(out, name):
                for key, value in step["stats"].items():
                    counters[key] += value["total"] if isinstance(value, dict) else value
        write_json_atomically(out, MANIFEST, build_manifest(settings, records, counters).to_json())


def check_task_files(out, settings: dict, records: list[dict]) -> None:
    """Every shard file a task record lists exists with the size its counts give; a task whose files do not
    loses its completion and record (so a rerun redoes it) and the manifest is refused, naming it."""
    token_size = token_dtype(settings["tokenizer"]["vocab_size"]).itemsize
    problems = {}
    for record in records:
        for key, entry in record["files"].items():
            split, variant = key.split("/")
            base = f"{variant_path(split, variant)}/{entry['name']}"
            expected = {
                base: entry["tokens"] * token_size,
                base + ".index": entry["documents"] * INDEX_DTYPE.itemsize,
                base + ".loss": entry["tokens"] * LOSS_DTYPE.itemsize,
                base + ".metadata": None,  # text; only its presence is checked
            }
            for name, size in expected.items():
                if not out.exists(name):
                    problems.setdefault(record["rank"], f"{name} is missing")
                elif size is not None and (actual := out.size(name)) != size:
                    problems.setdefault(record["rank"], f"{name} has {actual:,} bytes, its record says {size:,}")
    if not problems:
        return
    for rank in problems:
        for name in (completion_name(rank), task_record_name(rank)):
            if out.exists(name):
                out.rm(name)
    (rank, problem), *more = problems.items()
    others = f" (and tasks {[r for r, _ in more]})" if more else ""
    raise ManifestError(
        f"task {rank}: {problem}{others}; no manifest written. The task's completion is withdrawn, so rerunning "
        "`meco prepare` redoes it"
    )


def completion_name(rank: int) -> str:
    return f"{COMPLETIONS_DIR}/{rank:05d}"


def _load(folder, name: str):
    with folder.open(name, "rt") as f:
        return json.load(f)


def build_manifest(settings: dict, records: list[dict], counters: Counter) -> Manifest:
    """The manifest of a finished run, from the saved settings, the task records and the summed stats."""
    splits = {
        split: {
            variant: VariantEntry.of(
                [ShardEntry(**r["files"][f"{split}/{variant}"]) for r in records if f"{split}/{variant}" in r["files"]]
            )
            for variant in VARIANTS
        }
        for split in SPLITS
    }

    def by_reason(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: int(v) for k, v in sorted(counters.items()) if k.startswith(prefix)}

    written = sum(splits[s]["cooldown"].documents for s in SPLITS)
    skipped = by_reason("skipped.")
    return Manifest(
        tokenizer=TokenizerRecord(**settings["tokenizer"]),
        kinds=tuple(settings["config"]["metadata"]),
        template=settings["template"],
        seed=settings["config"]["seed"],
        val_fraction=settings["config"]["val_fraction"],
        documents=DocumentCounts(
            read=written + sum(skipped.values()),
            written=written,
            without_metadata=by_reason("without_metadata."),
            missing_value=by_reason("missing."),
            skipped=skipped,
            repaired=by_reason("repaired."),
            field_values=by_reason("field_values."),
        ),
        document_tokens=sum(r["document_tokens"] for r in records),
        splits=splits,
        inputs=tuple(settings["inputs"]),
        created_by=f"meco {__version__}",
        position=settings["config"].get("position", "prefix"),
        fields=settings.get("fields", {}),
    )
