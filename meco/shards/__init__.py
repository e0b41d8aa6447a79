"""The meco shard format (version 1): the one place that defines, writes and reads it.

A prepared folder holds two document-aligned variants of the same documents::

    OUT/manifest.json                  format, version, tokenizer, counts and sha256 of every file
    OUT/conditioned/<name>.ds          token ids, little-endian uint16 (vocab <= 65536) or uint32
    OUT/conditioned/<name>.ds.index    little-endian uint64: cumulative end offset of each document, in tokens
    OUT/conditioned/<name>.ds.loss     uint8 per token: 1 = training target, 0 = not
    OUT/conditioned/<name>.ds.metadata datatrove's sidecar: "tokenizer|token_size", token count, humanized count
    OUT/cooldown/...                   the same names, the same documents in the same order
    OUT/val/{conditioned,cooldown}/... the held-out split, same layout

`manifest.json` also records the metadata template the prefixes were rendered with, its kinds, and whether
the metadata goes before the document (prefix, untrained) or after it (suffix, trained) (`Manifest`,
`PrefixTemplate`). This is datatrove's tokenized layout (`DocumentTokenizer` with `save_loss_metadata`), so datatrove's
`DatatroveFolderDataset` and OLMo-core's label masks read it as is. This package needs numpy only, so
any trainer can import it without pulling in the pipeline; it is the one seam between `meco prepare`, the
trainer, inference and the exports.

Names load on first use (PEP 562), so that a command's `--help` can read the metadata kinds without importing
numpy.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "FORMAT": ".layout",
    "INDEX_DTYPE": ".layout",
    "LOSS_DTYPE": ".layout",
    "MANIFEST": ".layout",
    "PARTIAL_SUFFIX": ".layout",
    "SHARD_SUFFIXES": ".layout",
    "SPLITS": ".layout",
    "VARIANTS": ".layout",
    "VERSION": ".layout",
    "ShardFormatError": ".layout",
    "sha256_file": ".layout",
    "token_dtype": ".layout",
    "variant_dir": ".layout",
    "variant_path": ".layout",
    "DocumentCounts": ".manifest",
    "Manifest": ".manifest",
    "ShardEntry": ".manifest",
    "TokenizerRecord": ".manifest",
    "VariantEntry": ".manifest",
    "ShardFile": ".reader",
    "Shards": ".reader",
    "TokenWindows": ".reader",
    "DATE_PRECISIONS": ".template",
    "FIELD": ".template",
    "KINDS": ".template",
    "POSITIONS": ".template",
    "check_kind": ".template",
    "placeholder": ".template",
    "suffix_span": ".template",
    "MetadataError": ".template",
    "PrefixTemplate": ".template",
    "default_template": ".template",
    "prefix_span": ".template",
    "ShardWriter": ".writer",
    "datatrove_metadata": ".writer",
    "write_json_atomically": ".writer",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
