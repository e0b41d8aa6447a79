"""`meco prepare`: a datatrove pipeline from web corpora to aligned conditioned/cooldown shards.

The names below load on first use, so that `meco --help` (which imports the command line, not the pipeline)
never pays for importing datatrove.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "PrepareConfig": ".config",
    "RayExecutor": ".ray_executor",
    "build_executors": ".job",
    "finalize": ".finalize",
    "plan": ".job",
    "prepare": ".job",
    "save_or_check_settings": ".job",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
