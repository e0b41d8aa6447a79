"""Exports of a prepared folder into the layouts other trainers read: no re-tokenizing, shard by shard."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MecoError, OptionError
from ..shards import ShardFile, read_manifest, variant_dir

FORMATS = ("megatron", "olmo")


class ExportError(MecoError, ValueError):
    """A prepared folder that cannot be written in the chosen layout."""


class OutputExists(MecoError, FileExistsError):
    """The output folder already holds files; exports never mix with or overwrite earlier ones."""


@dataclass
class SourceShard:
    """One `.ds` shard of a prepared folder and where its export goes."""

    split: str
    variant: str
    shard: ShardFile
    out_dir: Path
    stem: str  # "00000" for "00000.ds"


def source_shards(root: str | os.PathLike, out: str | os.PathLike) -> tuple[dict, list[SourceShard]]:
    """Every non-empty shard the manifest lists, in manifest order, each checked against its entry.
    Empty shards are left out: neither Megatron nor OLMo-core can map an empty file."""
    manifest = read_manifest(root)
    dtype = np.dtype(manifest["token_dtype"])
    shards = []
    for split, variants in manifest["splits"].items():
        for variant, entry in variants.items():
            for f in entry["files"]:
                if f["documents"]:
                    shard = ShardFile.open(variant_dir(root, split, variant) / f["name"], dtype, f)
                    shards.append(
                        SourceShard(split, variant, shard, variant_dir(out, split, variant), Path(f["name"]).stem)
                    )
    return manifest, shards


def empty_output(out: str | os.PathLike) -> Path:
    """The output folder, created; an existing non-empty one is refused so no stale file survives."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExists(f"{out}: exists and is not empty; export into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def export(root: str | os.PathLike, fmt: str, out: str | os.PathLike, copy: bool = False) -> str:
    """Write the `fmt` export of the prepared folder `root` into `out`; return what to tell the user."""
    if fmt == "megatron":
        from .megatron import export_megatron

        return export_megatron(root, out)
    if fmt == "olmo":
        from .olmo import export_olmo

        return export_olmo(root, out, copy=copy)
    raise OptionError(f"format must be one of {FORMATS}, not {fmt!r}")
