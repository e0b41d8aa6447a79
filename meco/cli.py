"""The `meco` command: assembles the commands that each part of meco defines beside its code.

Command modules import only click and light modules at the top; datatrove and torch load inside the commands,
so `meco --help` and `meco <command> --help` stay fast.
"""

from __future__ import annotations

import click

from .export.cli import export_shards_command
from .inference.cli import eval_command, export_model_command, generate_command
from .inspection.cli import inspect_command
from .pipeline.cli import prepare_command
from .trainer.cli import train_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="meco")
def main():
    """MeCo: metadata conditioning then cooldown for language-model pre-training."""


for command in (
    prepare_command,
    train_command,
    inspect_command,
    export_shards_command,
    generate_command,
    eval_command,
    export_model_command,
):
    main.add_command(command)


if __name__ == "__main__":
    main()
