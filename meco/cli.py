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
@click.option("--source", type=click.Choice(["auto", *SOURCES]), default="auto", show_default=True,
              help="Input layout; auto classifies each file by name (and parquet columns).")
@click.option("--text-key", help="Field holding the text (default: text; RefinedWeb: content).")
@click.option("--url-key", help="Field holding the URL (default: url).")
@click.option("--metadata", "-m", multiple=True, callback=_kinds,
              help=f"Metadata kinds, repeatable or comma-separated: {', '.join(KINDS)}. [default: host]")
@click.option("--template", callback=_unescape,
              help=r"Prefix template over the kinds, e.g. 'URL: {host}\nTopic: {topic}\n\n'. "
                   "Lines whose value is missing are left out.")
@click.option("--hash-salt", default="", help="Key of the `hash` kind's BLAKE2b (at most 64 bytes).")
@click.option("--topic-model", type=click.Path(), help="fastText classifier for the `topic` kind.")
@click.option("--topic-threshold", type=float, default=0.0, show_default=True,
              help="Minimum probability; below it the document gets no topic.")
@click.option("--topic-labels", type=click.Path(), help="File mapping raw labels to names: `label<TAB>name` lines.")
@click.option("--tokenizer", default=DEFAULT_TOKENIZER, show_default=True,
              help="tokenizer.json path, Hugging Face name, or tiktoken encoding.")
@click.option("--tasks", type=int, help="datatrove tasks. [default: number of input files, at most the CPU count]")
@click.option("--workers", type=int, help="Tasks run at once. [default: min(tasks, CPU count)]")
@click.option("--limit", type=int, default=-1, help="Read at most this many documents per task (datatrove's limit).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the validation split choice.")
@click.option("--val-fraction", type=float, default=0.01, show_default=True,
              help="Fraction of documents held out into OUT/val/.")
@click.option("--max-doc-chars", type=int, default=10_000_000, show_default=True,
              help="Longer documents are skipped and counted.")
@click.option("--batch-size", type=int, default=1000, show_default=True, help="Documents per tokenizer call.")
def prepare(inputs, **options):  # fmt: skip
    """Tokenize INPUTS (files, folders, fsspec URLs; default: the shipped data_samples/) into
    aligned conditioned/cooldown shards. Rerunning with the same --output resumes."""
    from .pipeline import PrepareConfig, prepare as run_prepare

    config = PrepareConfig(**options, **({"inputs": list(inputs)} if inputs else {}))
    started = time.time()
    try:
        manifest = run_prepare(config)
    except (ValueError, OSError) as e:
        raise click.ClickException(str(e)) from e
    click.echo(prepare_summary(manifest, config.output, time.time() - started))


def prepare_summary(manifest: dict, output: str, seconds: float) -> str:
    docs = manifest["documents"]
    lines = [f"\nmeco prepare: {output}", f"  documents in       {docs['in']:>12,}"]
    for split, variants in manifest["splits"].items():
        for variant, v in variants.items():
            lines.append(f"  {split + '/' + variant:<18} {v['documents']:>12,} docs {v['tokens']:>14,} tokens "
                         f"{v['target_tokens']:>14,} targets")  # fmt: skip
    for title, counts in (("without metadata", docs["without_metadata"]), ("skipped", docs["skipped"]),
                          ("repaired", docs["repaired"])):  # fmt: skip
        total = sum(counts.values())
        detail = ", ".join(f"{reason} {n:,}" for reason, n in counts.items())
        lines.append(f"  {title:<18} {total:>12,}" + (f"  ({detail})" if detail else ""))
    lines.append(f"  tokenizer          {manifest['tokenizer']['name']} ({manifest['token_dtype']})")
    lines.append(f"  throughput         {manifest['document_tokens'] / max(seconds, 1e-9):>12,.0f} tokens/s "
                 f"({seconds:.1f} s wall, resumed tasks included)")  # fmt: skip
    return "\n".join(lines)


from .trainer.cli import train_command  # noqa: E402  (registered last: the trainer CLI is its own module)

main.add_command(train_command)
