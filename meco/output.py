"""Output folders that must start empty, so an export never mixes with or overwrites earlier files."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import MecoError


class OutputExists(MecoError, FileExistsError):
    """The output folder already holds files."""


def empty_output(out: str | os.PathLike) -> Path:
    """The output folder, created; an existing non-empty one is refused so no stale file survives."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExists(f"{out}: exists and is not empty; export into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    return out
