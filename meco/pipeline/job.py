"""`meco prepare`: check everything, then run the datatrove pipeline and write the manifest.

    readers (one per input layout) -> AttachMetadataPrefix -> MecoShardWriter      N tasks
    ManifestWriter                                                                   1 task, after them

Both stages run on a datatrove executor, so the same pipeline runs on local processes, Slurm or Ray.
Everything that shapes the output is saved in OUT/prepare.json; a rerun with the same settings skips
the finished tasks (datatrove completions) and produces byte-identical shards.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.io import get_datafolder
from datatrove.utils.logging import logger

from ..errors import MecoError, OptionError
from ..shards import (
    MANIFEST,
    PARTIAL_SUFFIX,
    POSITIONS,
    SPLITS,
    VARIANTS,
    Manifest,
    MetadataError,
    PrefixTemplate,
    TokenizerRecord,
    check_kind,
    default_template,
    variant_path,
    write_json_atomically,
)
from ..tokenizer import load_tokenizer
from .config import DEFAULT_INPUT, PrepareConfig
from .executor import TaskFailed, WatchedLocalExecutor
from .fields import field_names, rendering
from .lock import output_lock
from .manifest import COMPLETIONS_DIR, SETTINGS, STATS_DIR, ManifestWriter
from .prefix import AttachMetadataPrefix
from .readers import DocumentLimit
from .sources import SOURCES, InputError, InputGroup, build_reader, normalize_input, resolve_inputs
from .split import Part, most_tasks, split_work
from .topic import TopicClassifier
from .writer import TASKS_DIR, MecoShardWriter


class SettingsMismatch(MecoError, ValueError):
    """OUT already holds output prepared with other settings."""


@dataclass
class PreparePlan:
    """The checked, resolved job: what the executors get."""

    config: PrepareConfig
    groups: list[InputGroup]
    tokenizer: dict
    template: str
    fields: dict[str, dict]  # field:NAME kinds -> how each renders (the manifest's metadata.fields)
    parts: list[list[Part]]  # per task, what it reads (meco.pipeline.split)


def plan(config: PrepareConfig) -> PreparePlan:
    """Check every option and input, failing with a clear message before any work starts."""
    if config.inputs == [DEFAULT_INPUT] and not Path(DEFAULT_INPUT).exists():
        raise InputError(
            f"no INPUT given and ./{DEFAULT_INPUT} (the shipped samples, read when run in the meco checkout) is not "
            "here; name the corpus files or folders to prepare"
        )
    kinds = list(dict.fromkeys(config.metadata))
    if not kinds:
        raise MetadataError("--metadata: name at least one kind")
    for kind in kinds:
        check_kind(kind)
    config.metadata = kinds
    if config.position not in POSITIONS:
        raise OptionError(f"--position {config.position!r}: choose from {', '.join(POSITIONS)}")
    fields = rendering(kinds, config.bucket, config.date)
    template = config.template or default_template(kinds, config.position)
    PrefixTemplate(template).check(kinds)
    edge, side = (template[-1:], "end") if config.position == "prefix" else (template[:1], "start")
    if not edge.isspace():
        logger.warning(
            f"--template {template!r} does not {side} in a space or newline: the metadata runs straight into the "
            "document's text (add \\n\\n as the default template does)"
        )
    for name in ("tasks", "workers", "batch_size", "max_doc_chars", "tokenizer_cache_mib"):
        if getattr(config, name) is not None and getattr(config, name) < 1:
            raise OptionError(f"--{name.replace('_', '-')} {getattr(config, name)}: must be at least 1")
    if config.limit == 0 or config.limit < -1:
        raise OptionError(f"--limit {config.limit}: a positive number of documents per task, or -1 for all")
    if config.hash_salt and "hash" not in kinds:
        raise OptionError("--hash-salt is the key of the `hash` kind; add -m hash, or leave the salt out")
    if not 0 <= config.topic_threshold <= 1:
        raise OptionError(f"--topic-threshold {config.topic_threshold}: a probability, in [0, 1]")
    if len(config.hash_salt.encode()) > 64:
        raise MetadataError(f"--hash-salt is {len(config.hash_salt.encode())} bytes; BLAKE2b keys hold at most 64")
    if ("topic" in kinds) != bool(config.topic_model):
        raise MetadataError("--metadata topic and --topic-model go together: give both or neither")
    if config.topic_model:
        TopicClassifier(config.topic_model, config.topic_threshold, config.topic_labels).check()
    if config.source not in ("auto", *SOURCES):
        raise OptionError(f"--source {config.source!r}: choose from auto, {', '.join(SOURCES)}")
    if config.work_dir is not None and ("://" in config.work_dir or not os.path.isdir(config.work_dir)):
        raise OptionError(f"--work-dir {config.work_dir}: not an existing local folder")
    if not 0 <= config.val_fraction < 1:
        raise OptionError(f"--val-fraction {config.val_fraction}: must be in [0, 1)")
    tokenizer = TokenizerRecord.of(load_tokenizer(config.tokenizer)).to_json()
    config.inputs = list(dict.fromkeys(normalize_input(spec) for spec in config.inputs))
    groups = resolve_inputs(config.inputs, config.source, output=config.output, text_key=config.text_key)
    if config.tasks is None:  # a rerun keeps its run's count (on a machine with other CPUs too), else as many as
        # there are pieces to read (files, parquet row groups), at most a task per CPU
        config.tasks = saved_tasks(config.output) or max(1, min(most_tasks(groups), os.cpu_count() or 1))
    if config.workers is None:
        config.workers = min(config.tasks, os.cpu_count() or 1)
    parts = split_work(groups, config.tasks)
    return PreparePlan(config, groups, tokenizer, template, fields, parts)


def saved_settings(out) -> dict | None:
    """What an earlier run on this output recorded in OUT/prepare.json, if any."""
    if not out.exists(SETTINGS):
        return None
    with out.open(SETTINGS, "rt") as f:
        return json.load(f)


def saved_tasks(output: str) -> int | None:
    """The task count an earlier run on `output` recorded, if any."""
    return (saved_settings(get_datafolder(output)) or {}).get("config", {}).get("tasks")


def save_or_check_settings(p: PreparePlan) -> None:
    """Record the settings and the input file lists in OUT/prepare.json. They bind once a task has written a
    document: then a rerun must use the same ones. Before that (a first run that failed, or wrote nothing)
    other settings replace them, and what the earlier run left is cleared."""
    out = get_datafolder(p.config.output)
    settings = {
        "config": p.config.shaping(),
        "inputs": [g.to_json() for g in p.groups],
        "tokenizer": p.tokenizer,
        "template": p.template,
        "fields": p.fields,
        "plan": [[part.to_json() for part in task] for task in p.parts],
    }
    if (saved := saved_settings(out)) is not None:
        if saved == settings:
            return
        changed = {k for k in settings["config"] if saved.get("config", {}).get(k) != settings["config"][k]}
        changed |= {k for k in ("inputs", "tokenizer", "template", "plan") if saved.get(k) != settings[k]}
        changed = ", ".join(sorted(changed))
        if documents_written(out):
            raise SettingsMismatch(
                f"{p.config.output} was prepared with other settings ({changed} differ); "
                "use another --output, or delete the folder to start over"
            )
        logger.warning(f"{p.config.output}: an earlier run wrote no document; its settings ({changed}) are replaced")
        _clear_run(out)
    write_json_atomically(out, SETTINGS, settings)


def documents_written(out) -> bool:
    """Whether a finished task of this output has written a document (its task record says so)."""
    for name in out.list_files(TASKS_DIR):
        with out.open(name, "rt") as f:
            if any(entry["documents"] for entry in json.load(f)["files"].values()):
                return True
    return False


def _clear_run(out) -> None:
    """Everything a run that wrote no document leaves that a rerun would take for its own: task records,
    completions, stats, input lists (of older meco), shards (of tasks killed before their record) and partial files.
    The task logs stay, for reading."""
    for name in (TASKS_DIR, "inputs", COMPLETIONS_DIR, STATS_DIR, "logs/manifest", MANIFEST):
        if out.exists(name):
            out.rm(name, recursive=True)
    for folder in {variant_path(split, variant) for split in SPLITS for variant in VARIANTS}:
        if out.exists(folder):
            out.rm(folder, recursive=True)
    for name in out.list_files(recursive=True):
        if name.endswith(PARTIAL_SUFFIX):
            out.rm(name)


def build_executors(p: PreparePlan, executor_class=WatchedLocalExecutor, **executor_kwargs):
    """(tokenize executor, manifest executor), the second depending on the first."""
    c = p.config
    out = get_datafolder(c.output)
    readers = [
        build_reader(
            group,
            [[(part.file, part.row_groups) for part in task if part.group == i] for task in p.parts],
            text_key=c.text_key,
            url_key=c.url_key,
            max_chars=c.max_doc_chars,
            fields=tuple(field_names(c.metadata)),
        )
        for i, group in enumerate(p.groups)
    ]
    topic = TopicClassifier(c.topic_model, c.topic_threshold, c.topic_labels) if c.topic_model else None
    pipeline = [
        *readers,
        *([DocumentLimit(c.limit)] if c.limit >= 0 else []),
        AttachMetadataPrefix(c.metadata, p.template, c.hash_salt, topic, p.fields),
        MecoShardWriter(
            c.output, c.tokenizer, c.val_fraction, c.seed, c.batch_size, c.position, c.work_dir, c.tokenizer_cache_mib
        ),
    ]
    if issubclass(executor_class, LocalPipelineExecutor):
        executor_kwargs.setdefault("workers", c.workers)
    tokenize = executor_class(
        pipeline, tasks=c.tasks, logging_dir=out.resolve_paths("logs/tokenize"), **executor_kwargs
    )
    manifest = executor_class(
        [ManifestWriter(c.output)],
        tasks=1,
        logging_dir=out.resolve_paths("logs/manifest"),
        depends=tokenize,
        **{k: v for k, v in executor_kwargs.items() if k != "workers"},
    )
    return tokenize, manifest


def prepare(config: PrepareConfig, executor_class=WatchedLocalExecutor, **executor_kwargs) -> Manifest:
    """Run `meco prepare` to the end on an executor that waits for its tasks (local processes, Ray); returns the
    manifest."""
    p = plan(config)
    with output_lock(config.output):
        save_or_check_settings(p)
        _, manifest_executor = build_executors(p, executor_class, **executor_kwargs)
        try:
            manifest_executor.run()
        except TaskFailed as e:
            raise TaskFailed(f"{e}\nfinished tasks are kept, so rerunning the same command resumes") from e
    out = get_datafolder(config.output)
    with out.open(MANIFEST, "rt") as f:
        return Manifest.from_json(json.load(f), out.resolve_paths(MANIFEST))


def submit_to_slurm(config: PrepareConfig, **slurm_options) -> str:
    """Submit the tokenize job array and the manifest job after it; returns the manifest job's id.
    `slurm_options` go to datatrove's SlurmPipelineExecutor (partition, time, cpus_per_task, qos, ...)."""
    from datatrove.executor import SlurmPipelineExecutor

    p = plan(config)
    in_venv = sys.prefix != sys.base_prefix  # the jobs run in the same virtual environment as this command
    slurm_options.setdefault("venv_path", f"{sys.prefix}/bin/activate" if in_venv else None)
    if "://" not in config.output:
        slurm_options.setdefault("slurm_logs_folder", str(Path(config.output) / "logs" / "slurm"))
    with output_lock(config.output):  # while submitting: the jobs themselves run later, elsewhere
        save_or_check_settings(p)
        _, manifest_executor = build_executors(p, SlurmPipelineExecutor, job_name="meco-prepare", **slurm_options)
        manifest_executor.run()
    return manifest_executor.job_id
