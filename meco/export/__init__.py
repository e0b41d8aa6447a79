"""Exports of a prepared folder into the layouts other trainers read: no re-tokenizing, shard by shard."""

from __future__ import annotations

import os

from ..errors import MecoError, OptionError

FORMATS = ("megatron", "olmo", "offsets")


class ExportError(MecoError, ValueError):
    """A prepared folder that cannot be written in the chosen layout."""


def export(root: str | os.PathLike, fmt: str, out: str | os.PathLike, copy: bool = False) -> str:
    """Write the `fmt` export of the prepared folder `root` into `out`; return what to tell the user."""
    if fmt == "megatron":
        from .megatron import export_megatron

        return export_megatron(root, out)
    if fmt == "olmo":
        from .olmo import export_olmo

        return export_olmo(root, out, copy=copy)
    if fmt == "offsets":
        from .offsets import export_offsets

        return export_offsets(root, out)
    raise OptionError(f"format must be one of {FORMATS}, not {fmt!r}")
