"""The `meco` command: a thin click layer over meco.pipeline (and, later, meco.trainer)."""

from __future__ import annotations

import time

import click

from .pipeline.metadata import KINDS
from .pipeline.sources import SOURCES
from .tokenizer import DEFAULT_TOKENIZER


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="meco")
def main():
    """MeCo: metadata conditioning then cooldown for language-model pre-training."""


def _kinds(ctx, param, values) -> list[str]:
    """--metadata host,topic and --metadata host --metadata topic both work."""
    kinds = [k.strip() for v in values for k in v.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise click.BadParameter(f"{bad}: choose from {', '.join(KINDS)}")
    return kinds or ["host"]


def _unescape(ctx, param, value):
    """Let `--template 'URL: {host}\\n\\n'` mean real newlines, as users type it in a shell."""
    return value.replace("\\n", "\n").replace("\\t", "\t") if value else value


@main.command()
@click.argument("inputs", nargs=-1)
@click.option("--output", "-o", default="meco-data", show_default=True, help="Output folder (local or fsspec URL).")
@click.option(
    "--source",
    type=click.Choice(["auto", *SOURCES]),
    default="auto",
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
    help=f"Metadata kinds, repeatable or comma-separated: {', '.join(KINDS)}. [default: host]",
)
@click.option(
    "--template",
    callback=_unescape,
    help=r"Prefix template over the kinds, e.g. 'URL: {host}\nTopic: {topic}\n\n'. "
    "Lines whose value is missing are left out.",
)
@click.option("--hash-salt", default="", help="Key of the `hash` kind's BLAKE2b (at most 64 bytes).")
@click.option("--topic-model", type=click.Path(), help="fastText classifier for the `topic` kind.")
@click.option(
    "--topic-threshold",
    type=float,
    default=0.0,
    show_default=True,
    help="Minimum probability; below it the document gets no topic.",
)
@click.option("--topic-labels", type=click.Path(), help="File mapping raw labels to names: `label<TAB>name` lines.")
@click.option(
    "--tokenizer",
    default=DEFAULT_TOKENIZER,
    show_default=True,
    help="tokenizer.json path, Hugging Face name, or tiktoken encoding.",
)
@click.option("--tasks", type=int, help="datatrove tasks. [default: number of input files, at most the CPU count]")
@click.option("--workers", type=int, help="Tasks run at once. [default: min(tasks, CPU count)]")
@click.option("--limit", type=int, default=-1, help="Read at most this many documents per task (datatrove's limit).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the validation split choice.")
@click.option(
    "--val-fraction", type=float, default=0.01, show_default=True, help="Fraction of documents held out into OUT/val/."
)
@click.option(
    "--max-doc-chars", type=int, default=10_000_000, show_default=True, help="Longer documents are skipped and counted."
)
@click.option("--batch-size", type=int, default=1000, show_default=True, help="Documents per tokenizer call.")
@click.option(
    "--executor",
    type=click.Choice(["local", "slurm"]),
    default="local",
    show_default=True,
    help="local processes, or a Slurm job array (then the manifest job runs after it).",
)
@click.option("--slurm-partition", help="Slurm partition (required with --executor slurm).")
@click.option("--slurm-time", default="24:00:00", show_default=True, help="Slurm time limit per task.")
@click.option("--slurm-cpus-per-task", type=int, default=2, show_default=True)
@click.option("--slurm-mem-per-cpu-gb", type=int, default=2, show_default=True)
@click.option("--slurm-qos", default="normal", show_default=True)
def prepare(
    inputs, executor, slurm_partition, slurm_time, slurm_cpus_per_task, slurm_mem_per_cpu_gb, slurm_qos, **options
):
    """Tokenize INPUTS (files, folders, fsspec URLs; default: the shipped data_samples/) into
    aligned conditioned/cooldown shards. Rerunning with the same --output resumes."""
    from .pipeline import PrepareConfig
    from .pipeline import prepare as run_prepare
    from .pipeline.prepare import submit_to_slurm

    config = PrepareConfig(**options, **({"inputs": list(inputs)} if inputs else {}))
    started = time.time()
    try:
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
        manifest = run_prepare(config)
    except (ValueError, OSError, RuntimeError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(prepare_summary(manifest, config.output, time.time() - started))


def prepare_summary(manifest: dict, output: str, seconds: float) -> str:
    docs = manifest["documents"]
    lines = [f"\nmeco prepare: {output}", f"  documents in       {docs['in']:>12,}"]
    for split, variants in manifest["splits"].items():
        for variant, v in variants.items():
            lines.append(
                f"  {split + '/' + variant:<18} {v['documents']:>12,} docs {v['tokens']:>14,} tokens "
                f"{v['target_tokens']:>14,} targets"
            )
    for title, counts in (
        ("without metadata", docs["without_metadata"]),
        ("skipped", docs["skipped"]),
        ("repaired", docs["repaired"]),
    ):
        total = sum(counts.values())
        detail = ", ".join(f"{reason} {n:,}" for reason, n in counts.items())
        lines.append(f"  {title:<18} {total:>12,}" + (f"  ({detail})" if detail else ""))
    lines.append(f"  tokenizer          {manifest['tokenizer']['name']} ({manifest['token_dtype']})")
    lines.append(
        f"  throughput         {manifest['document_tokens'] / max(seconds, 1e-9):>12,.0f} tokens/s "
        f"({seconds:.1f} s wall, resumed tasks included)"
    )
    return "\n".join(lines)


@main.command("export-shards")
@click.argument("data", type=click.Path(file_okay=False))
@click.argument("out", type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["megatron", "olmo"]),
    required=True,
    help="megatron: .bin/.idx indexed datasets (loss masks as <name>_loss); olmo: token arrays and label masks.",
)
@click.option("--copy", is_flag=True, help="olmo: copy the shard files instead of symlinking them.")
def export_shards(data, out, fmt, copy):
    """Write the prepared folder DATA in another trainer's layout into the new folder OUT (no re-tokenizing)."""
    from .export import export

    if copy and fmt != "olmo":
        raise click.UsageError("--copy applies to --format olmo only")
    try:
        click.echo(export(data, fmt, out, copy=copy))
    except (ValueError, OSError) as e:
        raise click.ClickException(str(e)) from e


@main.command("inspect")
@click.argument("data", type=click.Path(file_okay=False))
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Conditioned documents (spread evenly) whose prefixes are decoded for the metadata counts.",
)
@click.option(
    "--top", type=click.IntRange(min=0), default=10, show_default=True, help="Metadata values listed per key (0: all)."
)
@click.option(
    "--doc",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The train/conditioned document shown decoded.",
)
@click.option(
    "--show-tokens", type=click.IntRange(min=1), default=200, show_default=True, help="Tokens of that document shown."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    help="Also save document lengths and top metadata values as a PNG (needs the `plot` extra).",
)
def inspect_command(data, sample, top, doc, show_tokens, as_json, plot_path):
    """Counts, tokenizer, top metadata values and a decoded sample of the prepared folder DATA."""
    import json

    from .inspection import format_report, inspect_data, plot

    try:
        report = inspect_data(data, sample=sample, top=top, doc=doc, show_tokens=show_tokens)
        if plot_path:
            plot(data, report, plot_path)
    except (ValueError, OSError) as e:
        raise click.ClickException(str(e)) from e
    except ImportError as e:
        raise click.ClickException(f"--plot needs matplotlib: pip install 'meco[plot]' ({e})") from e
    if as_json:
        report.get("sample", {}).pop("styled", None)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))


from .trainer.cli import train_command  # noqa: E402  (the trainer's options live beside the trainer)

main.add_command(train_command)

from .inference.cli import eval_command, export_model_command, generate_command  # noqa: E402

main.add_command(generate_command)
main.add_command(eval_command)
main.add_command(export_model_command)


if __name__ == "__main__":
    main()
