"""OLMo-core's numpy layout: raw token arrays and `label_mask_paths` (raw `np.bool_` arrays, one byte per token).

A meco `.ds` already is such a token array (uint16 below 65536 ids, else uint32: OLMo-core's own choice from
the vocabulary size) and `.ds.loss` (uint8 0/1) such a mask, so the export links (or copies) the files under
OLMo-style names and writes the `NumpyFSLDatasetConfig`s that read them.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict

from ..output import empty_output
from ..shards import Manifest
from .source import source_shards

TOKENS_SUFFIX = ".npy"  # raw arrays, as OLMo-core's own token files: np.memmap, not np.load
MASK_SUFFIX = ".label_mask.npy"
CONFIG_FILE = "olmo_datasets.py"


def export_olmo(root, out, copy: bool = False) -> str:
    manifest, shards = source_shards(root, out)  # a bad source fails before OUT is created
    out = empty_output(out)
    place = shutil.copyfile if copy else (lambda src, dst: os.symlink(os.path.abspath(src), dst))
    paths = defaultdict(lambda: ([], []))
    for s in shards:
        s.out_dir.mkdir(parents=True, exist_ok=True)
        tokens, mask = s.out_dir / (s.stem + TOKENS_SUFFIX), s.out_dir / (s.stem + MASK_SUFFIX)
        place(s.shard.path, tokens)
        place(str(s.shard.path) + ".loss", mask)
        paths[s.split, s.variant][0].append(str(tokens.absolute()))
        paths[s.split, s.variant][1].append(str(mask.absolute()))
    config = olmo_config(manifest, paths, work_dir=str((out / "olmo-work").absolute()))
    (out / CONFIG_FILE).write_text(config)
    return f"OLMo-core numpy datasets in {out} ({'copies' if copy else 'symlinks'}); {out / CONFIG_FILE}:\n\n{config}"


def olmo_config(manifest: Manifest, paths: dict, work_dir: str, sequence_length: int = 2048) -> str:
    """Python source defining `datasets[(split, variant)]` as `NumpyFSLDatasetConfig`s over the export."""
    tokenizer = (
        f"TokenizerConfig(vocab_size={manifest.vocab_size}, eos_token_id={manifest.eos_id}, "
        f"pad_token_id={manifest.eos_id}, bos_token_id={manifest.bos_id}, "
        f"identifier={manifest.tokenizer.name!r})"
    )
    lines = [
        "from olmo_core.data import NumpyDatasetDType, NumpyFSLDatasetConfig, TokenizerConfig",
        "",
        f"SEQUENCE_LENGTH = {sequence_length}",
        f"TOKENIZER = {tokenizer}",
        "datasets = {",
    ]
    for (split, variant), (tokens, masks) in paths.items():
        lines += [
            f"    ({split!r}, {variant!r}): NumpyFSLDatasetConfig(",
            f"        paths={tokens!r},",
            f"        label_mask_paths={masks!r},",
            f"        dtype=NumpyDatasetDType.{manifest.token_dtype.name},",
            "        sequence_length=SEQUENCE_LENGTH,",
            "        tokenizer=TOKENIZER,",
            f"        work_dir={work_dir!r},",
            "    ),",
        ]
    return "\n".join(lines + ["}", ""])
