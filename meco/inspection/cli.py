"""`meco inspect`: click options onto the report. Imports no numpy, so `meco --help` stays fast."""

from __future__ import annotations

import json

import click

from ..errors import reported


@click.command("inspect", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
@reported
def inspect_command(data, sample, top, doc, show_tokens, as_json, plot_path):
    """Counts, tokenizer, top metadata values and a decoded sample of the prepared folder DATA."""

    from .report import format_report, inspect_data, plot

    report = inspect_data(data, sample=sample, top=top, doc=doc, show_tokens=show_tokens)
    try:
        if plot_path:
            plot(data, report, plot_path)
    except ImportError as e:
        raise click.ClickException(f"--plot needs matplotlib: pip install 'meco[plot]' ({e})") from e
    if as_json:
        report.get("sample", {}).pop("styled", None)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))
