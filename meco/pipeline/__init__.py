"""`meco prepare`: a datatrove pipeline from web corpora to aligned conditioned/cooldown shards.

The names below load on first use, so that `meco --help` (which imports the command line, not the pipeline)
never pays for importing datatrove.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "PrepareConfig": ".config",
    "RayExecutor": ".ray_executor",
    "build_executors": ".job",
    "finalize": ".finalize",
    "plan": ".job",
    "prepare": ".job",
    "save_or_check_settings": ".job",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
