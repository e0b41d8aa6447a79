"""The shards of a prepared folder to export, each checked against its manifest entry."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..shards import Manifest, ShardFile, variant_dir


@dataclass
class SourceShard:
    """One `.ds` shard of a prepared folder and where its export goes."""

    split: str
    variant: str
    shard: ShardFile
    out_dir: Path
    stem: str  # "00000" for "00000.ds"


def source_shards(root: str | os.PathLike, out: str | os.PathLike) -> tuple[Manifest, list[SourceShard]]:
    """Every non-empty shard the manifest lists, in manifest order, each checked against its entry.
    Empty shards are left out: neither Megatron nor OLMo-core can map an empty file."""
    manifest = Manifest.read(root)
    shards = []
    for split, variants in manifest.splits.items():
        for variant, entry in variants.items():
            for f in entry.files:
                if f.documents:
                    shard = ShardFile.open(variant_dir(root, split, variant) / f.name, manifest.token_dtype, f)
                    shards.append(
                        SourceShard(split, variant, shard, variant_dir(out, split, variant), Path(f.name).stem)
                    )
    return manifest, shards
