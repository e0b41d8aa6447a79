"""`meco prepare --finalize OUT`: the manifest of tokenize tasks that ran elsewhere.

A user who runs the tasks on an executor of their own (a Slurm array they launch, a Ray job driven from Python,
see `build_executors`) writes the manifest afterwards with the same step a normal run ends with, in this
process: the settings come from OUT/prepare.json, the counts from the tasks' records and stats. The step
refuses, naming them, while tasks are unfinished or their files incomplete, and writes atomically, so
finalizing is safe to repeat.
"""

from __future__ import annotations

import json

from datatrove.io import get_datafolder

from ..shards import MANIFEST, Manifest
from .lock import output_lock
from .manifest import SETTINGS, ManifestError, ManifestWriter


def finalize(output: str) -> Manifest:
    """Write OUT/manifest.json from the finished tasks; returns the manifest."""
    out = get_datafolder(output)
    if not out.exists(SETTINGS):
        raise ManifestError(f"{output}: no {SETTINGS}, so not the output of `meco prepare` (or of build_executors)")
    with output_lock(output):
        ManifestWriter(output).run()
    with out.open(MANIFEST, "rt") as f:
        return Manifest.from_json(json.load(f), out.resolve_paths(MANIFEST))
