"""`meco export-shards`: a prepared folder in Megatron-LM's or OLMo-core's layout."""

from __future__ import annotations

import click

from ..errors import reported
from . import FORMATS, export

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.command("export-shards", context_settings=CONTEXT)
@click.argument("data", type=click.Path(file_okay=False))
@click.argument("out", type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="megatron: .bin/.idx indexed datasets (loss masks as <name>_loss); olmo: token arrays and label masks; "
    "offsets: .npy tokens, document offsets and loss masks.",
)
@click.option("--copy", is_flag=True, help="olmo: copy the shard files instead of symlinking them.")
@reported
def export_shards_command(data, out, fmt, copy):
    """Write the prepared folder DATA in another trainer's layout into the new folder OUT (no re-tokenizing)."""

    if copy and fmt != "olmo":
        raise click.UsageError("--copy applies to --format olmo only")
    click.echo(export(data, fmt, out, copy=copy))
