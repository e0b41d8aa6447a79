"""`meco prepare`: click options onto PrepareConfig. Imports no datatrove, so `meco --help` stays fast."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from ..errors import reported
from ..shards import DATE_PRECISIONS, FIELD, KINDS, POSITIONS
from .config import PrepareConfig
from .layouts import SOURCES

if TYPE_CHECKING:
    from ..shards import Manifest

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
D = PrepareConfig()  # defaults shown in --help come from the dataclass


def _kinds(ctx, param, values) -> list[str]:
    """--metadata host,topic and --metadata host --metadata topic both work."""
    kinds = [k.strip() for v in values for k in v.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS and not k.startswith(FIELD)]
    if bad:
        raise click.BadParameter(f"{bad}: choose from {', '.join(KINDS)} or field:NAME")
    return kinds or D.metadata


def _assignments(convert):
    """`--bucket NAME=K` / `--date NAME=year`, repeatable, into {NAME: value}."""

    def callback(ctx, param, values) -> dict:
        parsed = {}
        for v in values:
            name, sep, value = v.partition("=")
            if not sep or not name:
                raise click.BadParameter(f"{v!r}: expected NAME=VALUE")
            try:
                parsed[name] = convert(value)
            except ValueError as e:
                raise click.BadParameter(f"{v!r}: {e}") from e
        return parsed

    return callback


def _unescape(ctx, param, value):
    """Let `--template 'URL: {host}\\n\\n'` mean real newlines, as users type it in a shell."""
    return value.replace("\\n", "\n").replace("\\t", "\t") if value else value


@click.command("prepare", context_settings=CONTEXT)
@click.argument("inputs", nargs=-1)
@click.option("--output", "-o", default=D.output, show_default=True, help="Output folder (local or fsspec URL).")
@click.option(
    "--source",
    type=click.Choice(["auto", *SOURCES]),
    default=D.source,
    show_default=True,
    help="Input layout; auto classifies each file by name (and parquet columns).",
)
@click.option("--text-key", help="Field holding the text (default: text; RefinedWeb: content).")
@click.option("--url-key", help="Field holding the URL (default: url).")
@click.option(
    "--metadata",
    "-m",
    multiple=True,
    callback=_kinds,
    help=f"Metadata kinds, repeatable or comma-separated: {', '.join(KINDS)}, or field:NAME for the value of "
    f"the input records' field NAME (template placeholder {{NAME}}). [default: {D.metadata[0]}]",
)
@click.option(
    "--bucket",
    multiple=True,
    callback=_assignments(int),
    metavar="NAME=K",
    help="Render field NAME, a score in [0, 1], as floor(K * score) (1.0 is bucket K-1). Repeatable.",
)
@click.option(
    "--date",
    multiple=True,
    callback=_assignments(str),
    metavar="NAME=PRECISION",
    help=f"Render field NAME, an ISO 8601 date or timestamp, as {' or '.join(DATE_PRECISIONS)} "
    "(2019, 2019-04). Repeatable.",
)
@click.option(
    "--position",
    type=click.Choice(POSITIONS),
    default=D.position,
    show_default=True,
    help="prefix: metadata before the document, untrained (MeCo). suffix: after it, trained "
    r"(default template '\n\nURL: {host}').",
)
@click.option(
    "--template",
    callback=_unescape,
    help=r"Prefix template over the kinds, e.g. 'URL: {host}\nTopic: {topic}\n\n'. "
    "Lines whose value is missing are left out.",
)
@click.option("--hash-salt", default=D.hash_salt, help="Key of the `hash` kind's BLAKE2b (at most 64 bytes).")
@click.option("--topic-model", type=click.Path(), help="fastText classifier for the `topic` kind.")
@click.option(
    "--topic-threshold",
    type=float,
    default=D.topic_threshold,
    show_default=True,
    help="Minimum probability; below it the document gets no topic.",
)
@click.option("--topic-labels", type=click.Path(), help="File mapping raw labels to names: `label<TAB>name` lines.")
@click.option(
    "--tokenizer",
    default=D.tokenizer,
    show_default=True,
    help="tokenizer.json path, Hugging Face name, or tiktoken encoding.",
)
@click.option("--tasks", type=int, help="datatrove tasks. [default: number of input files, at most the CPU count]")
@click.option("--workers", type=int, help="Tasks run at once. [default: min(tasks, CPU count)]")
@click.option(
    "--limit", type=int, default=D.limit, help="Read at most this many documents per task (datatrove's limit)."
)
@click.option("--seed", type=int, default=D.seed, show_default=True, help="Seed of the validation split choice.")
@click.option(
    "--val-fraction",
    type=float,
    default=D.val_fraction,
    show_default=True,
    help="Fraction of documents held out into OUT/val/.",
)
@click.option(
    "--max-doc-chars",
    type=int,
    default=D.max_doc_chars,
    show_default=True,
    help="Longer documents are skipped and counted.",
)
@click.option("--batch-size", type=int, default=D.batch_size, show_default=True, help="Documents per tokenizer call.")
@click.option(
    "--tokenizer-cache-mib",
    type=int,
    default=D.tokenizer_cache_mib,
    show_default=True,
    help="Memory gigatoken's encode cache may add to a worker before the encoder is rebuilt (more: less CPU).",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False),
    help="Local folder where tasks write a remote output's shards before uploading them. [default: system temp]",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "slurm", "ray"]),
    default="local",
    show_default=True,
    help="local processes, a Slurm job array (then the manifest job runs after it), or Ray tasks.",
)
@click.option(
    "--ray-address",
    help="Ray cluster to run on (HOST:PORT as `ray start` prints it, or `auto` for this machine's); "
    "without it a local Ray is started for the run and stopped after it.",
)
@click.option("--ray-cpus-per-task", type=int, default=1, show_default=True, help="CPUs Ray reserves per task.")
@click.option(
    "--ray-mem-per-cpu-gb", type=float, default=2.0, show_default=True, help="Memory Ray reserves per task CPU."
)
@click.option(
    "--finalize",
    metavar="OUT",
    help="Only write OUT's manifest, for tasks that ran elsewhere (settings from OUT/prepare.json).",
)
@click.option("--slurm-partition", help="Slurm partition (required with --executor slurm).")
@click.option("--slurm-time", default="24:00:00", show_default=True, help="Slurm time limit per task.")
@click.option("--slurm-cpus-per-task", type=int, default=2, show_default=True)
@click.option("--slurm-mem-per-cpu-gb", type=int, default=2, show_default=True)
@click.option("--slurm-qos", default="normal", show_default=True)
@reported
def prepare_command(
    inputs,
    executor,
    ray_address,
    ray_cpus_per_task,
    ray_mem_per_cpu_gb,
    finalize,
    slurm_partition,
    slurm_time,
    slurm_cpus_per_task,
    slurm_mem_per_cpu_gb,
    slurm_qos,
    **options,
):
    """Tokenize INPUTS (files, folders, fsspec URLs; default: the shipped data_samples/) into
    aligned conditioned/cooldown shards. Rerunning with the same --output resumes."""
    if finalize:
        return finalize_command(finalize)
    from .job import prepare, submit_to_slurm

    config = PrepareConfig(**options, **({"inputs": list(inputs)} if inputs else {}))
    started = time.time()
    if executor == "slurm":
        if not slurm_partition:
            raise click.UsageError("--executor slurm needs --slurm-partition")
        job = submit_to_slurm(
            config,
            partition=slurm_partition,
            time=slurm_time,
            qos=slurm_qos,
            cpus_per_task=slurm_cpus_per_task,
            mem_per_cpu_gb=slurm_mem_per_cpu_gb,
        )
        click.echo(f"submitted to Slurm; job {job} writes {config.output}/manifest.json when every task is done")
        return
    runs_on = {}  # local processes
    if executor == "ray":
        from .ray_executor import RayExecutor, check_reachable, require_ray

        require_ray()
        check_reachable(ray_address)  # before any work; RayExecutor checks again for users who drive it from Python
        for name, value in (("--ray-cpus-per-task", ray_cpus_per_task), ("--ray-mem-per-cpu-gb", ray_mem_per_cpu_gb)):
            if value <= 0:
                raise click.UsageError(f"{name} {value}: must be above 0")
        runs_on = dict(
            executor_class=RayExecutor,
            address=ray_address,
            cpus_per_task=ray_cpus_per_task,
            mem_per_cpu_gb=ray_mem_per_cpu_gb,
        )
    manifest = prepare(config, **runs_on)
    click.echo(prepare_summary(manifest, config.output, time.time() - started))


def finalize_command(output: str) -> None:
    """`--finalize OUT` takes every setting from OUT/prepare.json: any other option would be ignored, so it is
    refused."""
    from click.core import ParameterSource

    from .finalize import finalize

    ctx = click.get_current_context()
    others = [
        f"--{name.replace('_', '-')}" if name != "inputs" else "INPUTS"
        for name in ctx.params
        if name != "finalize" and ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    ]
    if others:
        raise click.UsageError(f"--finalize takes its settings from OUT/prepare.json; leave out {', '.join(others)}")
    click.echo(prepare_summary(finalize(output), output))


def prepare_summary(manifest: Manifest, output: str, seconds: float | None = None) -> str:
    docs = manifest.documents
    lines = [f"\nmeco prepare: {output}", f"  documents in       {docs.read:>12,}"]
    for split, variants in manifest.splits.items():
        for variant, v in variants.items():
            lines.append(
                f"  {split + '/' + variant:<18} {v.documents:>12,} docs {v.tokens:>14,} tokens "
                f"{v.target_tokens:>14,} targets"
            )
    for title, counts in (
        ("without metadata", docs.without_metadata),
        ("skipped", docs.skipped),
        ("repaired", docs.repaired),
        *((("field values", docs.field_values),) if docs.field_values else ()),  # NAME.missing, NAME.malformed
    ):
        total = sum(counts.values())
        detail = ", ".join(f"{reason} {n:,}" for reason, n in counts.items())
        lines.append(f"  {title:<18} {total:>12,}" + (f"  ({detail})" if detail else ""))
    lines.append(f"  tokenizer          {manifest.tokenizer.name} ({manifest.token_dtype.name})")
    if seconds is not None:
        lines.append(
            f"  throughput         {manifest.document_tokens / max(seconds, 1e-9):>12,.0f} tokens/s "
            f"({seconds:.1f} s wall, resumed tasks included)"
        )
    return "\n".join(lines)
