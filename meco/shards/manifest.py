"""`manifest.json`, the one description of a prepared folder: read and checked here, field by field.

The manifest is written by `meco prepare` (`Manifest.to_json`) and read by everything else through
`Manifest.read`, which checks every field's type and the fields that must agree with each other, so a
damaged or hand-edited manifest is one error naming the file and the field, never a KeyError later on.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .layout import FORMAT, MANIFEST, SHARD_SUFFIXES, SPLITS, VARIANTS, VERSION, ShardFormatError, token_dtype
from .template import DATE_PRECISIONS, FIELD, KINDS, POSITIONS, MetadataError, PrefixTemplate, check_kind, placeholder


@dataclass(frozen=True)
class TokenizerRecord:
    """The tokenizer the shards were written with; `sha256` pins its vocabulary file where it has one."""

    name: str
    kind: str  # "tiktoken" or "huggingface"
    vocab_size: int
    bos_id: int | None
    eos_id: int
    sha256: str | None

    @classmethod
    def of(cls, tokenizer) -> TokenizerRecord:
        """The record of a loaded tokenizer (`meco.tokenizer.TextTokenizer`, read by attribute: this package
        imports no tokenizer)."""
        return cls(**{f.name: getattr(tokenizer, f.name) for f in fields(cls)})

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ShardEntry:
    """One `<name>.ds` shard: counts and the sha256 of its three arrays, keyed `ds`, `ds.index`, `ds.loss`."""

    name: str
    documents: int
    tokens: int
    target_tokens: int
    sha256: dict[str, str]

    def sha256_by_suffix(self) -> dict[str, str]:
        """The digests keyed by the suffix on `<name>` ("", ".index", ".loss")."""
        return {key[2:]: digest for key, digest in self.sha256.items()}

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "documents": self.documents,
            "tokens": self.tokens,
            "target_tokens": self.target_tokens,
            "sha256": dict(self.sha256),
        }


@dataclass(frozen=True)
class VariantEntry:
    """One variant of one split: totals and its shards in order."""

    documents: int = 0
    tokens: int = 0
    target_tokens: int = 0
    files: tuple[ShardEntry, ...] = ()

    @classmethod
    def of(cls, files: list[ShardEntry]) -> VariantEntry:
        return cls(
            sum(f.documents for f in files),
            sum(f.tokens for f in files),
            sum(f.target_tokens for f in files),
            tuple(files),
        )

    def to_json(self) -> dict:
        return {
            "documents": self.documents,
            "tokens": self.tokens,
            "target_tokens": self.target_tokens,
            "files": [f.to_json() for f in self.files],
        }


@dataclass(frozen=True)
class DocumentCounts:
    """What happened to the input records: `written` + sum(`skipped`) = `read`; the other counts are of
    written documents (without a prefix, missing one template value, repaired)."""

    read: int  # "in" in the JSON
    written: int
    without_metadata: dict[str, int] = field(default_factory=dict)
    missing_value: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    field_values: dict[str, int] = field(default_factory=dict)  # "NAME.missing"/"NAME.malformed": field:NAME values

    def to_json(self) -> dict:
        return {
            "in": self.read,
            "written": self.written,
            "without_metadata": dict(self.without_metadata),
            "missing_value": dict(self.missing_value),
            "skipped": dict(self.skipped),
            "repaired": dict(self.repaired),
        } | ({"field_values": dict(self.field_values)} if self.field_values else {})


@dataclass(frozen=True)
class Manifest:
    """A finished prepared folder: tokenizer, metadata template, counts, and every shard of every split."""

    tokenizer: TokenizerRecord
    kinds: tuple[str, ...]  # the metadata kinds, in the order `--metadata` values fill them
    template: str
    seed: int
    val_fraction: float
    documents: DocumentCounts
    document_tokens: int  # tokens of the documents themselves (no BOS, prefix or EOS)
    splits: dict[str, dict[str, VariantEntry]]
    inputs: tuple[dict, ...]  # the input groups read: {"folder", "source", "files"}
    created_by: str = ""
    position: str = "prefix"  # metadata before the document (untrained) or after it (`suffix`, trained)
    fields: dict[str, dict] = field(default_factory=dict)  # field:NAME -> {} or {"bucket": K} or {"date": "year"}
    path: Path | None = field(default=None, compare=False)  # the file it was read from, for messages

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def bos_id(self) -> int | None:
        return self.tokenizer.bos_id

    @property
    def eos_id(self) -> int:
        return self.tokenizer.eos_id

    @property
    def token_dtype(self) -> np.dtype:
        return token_dtype(self.vocab_size)

    @property
    def prefix_template(self) -> PrefixTemplate:
        return PrefixTemplate(self.template)

    def variant(self, split: str, variant: str) -> VariantEntry:
        """The entry of `split`/`variant`; an empty one where the split holds no shards."""
        return self.splits.get(split, {}).get(variant, VariantEntry())

    def describe(self) -> str:
        return str(self.path) if self.path else MANIFEST

    def to_json(self) -> dict:
        """The version 1 layout, key for key."""
        dtype = self.token_dtype
        return {
            "format": FORMAT,
            "version": VERSION,
            "created_by": self.created_by,
            "tokenizer": self.tokenizer.to_json(),
            "vocab_size": self.vocab_size,
            "token_size": dtype.itemsize,
            "token_dtype": dtype.name,
            "bos_id": self.bos_id,
            "eos_id": self.eos_id,
            "metadata": self.metadata_json(),
            "seed": self.seed,
            "val_fraction": self.val_fraction,
            "documents": self.documents.to_json(),
            "document_tokens": self.document_tokens,
            "splits": {s: {v: e.to_json() for v, e in variants.items()} for s, variants in self.splits.items()},
            "inputs": [dict(i) for i in self.inputs],
        }

    def metadata_json(self) -> dict:
        """`metadata`: kinds and template, plus `position` and `fields` only where they say something (a
        suffix, field kinds), so a prefix-only manifest reads as before them."""
        return (
            {"kinds": list(self.kinds), "template": self.template}
            | ({"position": self.position} if self.position != "prefix" else {})
            | ({"fields": {name: dict(how) for name, how in self.fields.items()}} if self.fields else {})
        )

    @classmethod
    def read(cls, root: str | os.PathLike) -> Manifest:
        """Load and check `root/manifest.json`, with errors that say which folder and what is wrong."""
        if "://" in str(root):  # Path() would fold s3://b/x into s3:/b/x and call it missing
            raise ShardFormatError(
                f"{root}: shards are read (memory-mapped) from a local folder; copy the prepared folder here "
                f"first (e.g. `aws s3 sync {root} DIR`) and give DIR"
            )
        root = Path(root)
        path = root / MANIFEST
        if not root.is_dir():
            raise ShardFormatError(f"{root}: no such data folder (run `meco prepare` first)")
        if not path.is_file():
            raise ShardFormatError(f"{path}: missing; {root} is not a finished `meco prepare` output")
        try:
            obj = json.loads(path.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ShardFormatError(f"{path}: not valid JSON ({e})") from e
        return cls.from_json(obj, path)

    @classmethod
    def from_json(cls, obj, path: str | os.PathLike) -> Manifest:
        """Check every field of a parsed manifest; the first problem is a ShardFormatError naming the field."""
        return _Checker(Path(path)).manifest(obj)


class _Checker:
    """Reads a parsed manifest field by field; `at` is the dotted path of the field being read."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, at: str, problem: str):
        raise ShardFormatError(f"{self.path}: field {at}: {problem}; the manifest is damaged or not meco's")

    def get(self, obj: dict, key: str, at: str, kinds: tuple[type, ...], optional: bool = False):
        where = f"{at}.{key}" if at else key
        if key not in obj:
            self.fail(where, "missing")
        value = obj[key]
        if value is None and optional:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds) + (" or null" if optional else "")
            self.fail(where, f"{value!r} is not {names}")
        return value

    def count(self, obj: dict, key: str, at: str, optional: bool = False) -> int | None:
        value = self.get(obj, key, at, (int,), optional)
        if value is not None and value < 0:
            self.fail(f"{at}.{key}" if at else key, f"{value} is negative")
        return value

    def object(self, obj, at: str) -> dict:
        if not isinstance(obj, dict):
            self.fail(at or "(top)", f"expected an object, got {type(obj).__name__}")
        return obj

    def counts(self, obj: dict, key: str, at: str) -> dict[str, int]:
        where = f"{at}.{key}"
        value = self.object(self.get(obj, key, at, (dict,)), where)
        for reason in value:
            self.count(value, reason, where)
        return dict(value)

    def manifest(self, obj) -> Manifest:
        obj = self.object(obj, "")
        if obj.get("format") != FORMAT or obj.get("version") != VERSION:
            raise ShardFormatError(
                f"{self.path}: format {obj.get('format')!r} version {obj.get('version')!r}; "
                f"this meco reads {FORMAT!r} version {VERSION}"
            )
        tokenizer = self.tokenizer(self.object(self.get(obj, "tokenizer", "", (dict,)), "tokenizer"))
        dtype = token_dtype(tokenizer.vocab_size)
        for key, expected in (
            ("vocab_size", tokenizer.vocab_size),
            ("bos_id", tokenizer.bos_id),
            ("eos_id", tokenizer.eos_id),
            ("token_size", dtype.itemsize),
            ("token_dtype", dtype.name),
        ):
            if key not in obj:
                self.fail(key, "missing")
            if obj[key] != expected or isinstance(obj[key], bool):
                self.fail(key, f"{obj[key]!r} disagrees with the tokenizer's {expected!r}")
        metadata = self.object(self.get(obj, "metadata", "", (dict,)), "metadata")
        kinds = self.get(metadata, "kinds", "metadata", (list,))
        try:
            if not kinds or not all(isinstance(k, str) for k in kinds):
                raise MetadataError("empty, or not strings")
            for kind in kinds:
                check_kind(kind)
        except MetadataError:
            self.fail("metadata.kinds", f"{kinds!r} is not a list of {list(KINDS)} or field:NAME (NAME an identifier)")
        template = self.get(metadata, "template", "metadata", (str,))
        position = metadata.get("position", "prefix")  # absent in manifests written before suffixes
        if position not in POSITIONS:
            self.fail("metadata.position", f"{position!r} is not one of {list(POSITIONS)}")
        fields = self.fields(metadata, [placeholder(k) for k in kinds if k.startswith(FIELD)])
        documents = self.object(self.get(obj, "documents", "", (dict,)), "documents")
        val_fraction = self.get(obj, "val_fraction", "", (int, float))
        if not 0 <= val_fraction < 1:
            self.fail("val_fraction", f"{val_fraction} is not in [0, 1)")
        return Manifest(
            tokenizer=tokenizer,
            kinds=tuple(kinds),
            template=template,
            seed=self.get(obj, "seed", "", (int,)),
            val_fraction=val_fraction,
            documents=DocumentCounts(
                read=self.count(documents, "in", "documents"),
                written=self.count(documents, "written", "documents"),
                **{
                    k: self.counts(documents, k, "documents")
                    for k in ("without_metadata", "missing_value", "skipped", "repaired")
                },
                field_values=self.counts(documents, "field_values", "documents") if "field_values" in documents else {},
            ),
            document_tokens=self.count(obj, "document_tokens", ""),
            position=position,
            fields=fields,
            splits=self.splits(self.object(self.get(obj, "splits", "", (dict,)), "splits")),
            inputs=tuple(self.get(obj, "inputs", "", (list,))),
            created_by=self.get(obj, "created_by", "", (str,)),
            path=self.path,
        )

    def fields(self, metadata: dict, names: list[str]) -> dict[str, dict]:
        """`metadata.fields` (absent in older manifests): how each field kind is rendered, as is (`{}`, also
        where it is left out), in `bucket` K >= 1 buckets, or as a `date` of a known precision."""
        fields = self.object(metadata.get("fields", {}), "metadata.fields")
        if set(fields) - set(names):
            self.fail("metadata.fields", f"names {sorted(fields)}, but the field kinds are {sorted(names)}")
        checked = {}
        for name in names:
            how = self.object(fields.get(name, {}), f"metadata.fields.{name}")
            at = f"metadata.fields.{name}"
            if set(how) - {"bucket", "date"} or len(how) > 1:
                self.fail(at, f"{how!r}: expected {{}}, {{'bucket': K}} or {{'date': 'year'|'month'}}")
            if "bucket" in how and self.count(how, "bucket", at) < 1:
                self.fail(f"{at}.bucket", "must be at least 1")
            if "date" in how and how["date"] not in DATE_PRECISIONS:
                self.fail(f"{at}.date", f"{how['date']!r} is not one of {list(DATE_PRECISIONS)}")
            checked[name] = dict(how)
        return checked

    def tokenizer(self, obj: dict) -> TokenizerRecord:
        at = "tokenizer"
        record = TokenizerRecord(
            name=self.get(obj, "name", at, (str,)),
            kind=self.get(obj, "kind", at, (str,)),
            vocab_size=self.count(obj, "vocab_size", at),
            bos_id=self.count(obj, "bos_id", at, optional=True),
            eos_id=self.count(obj, "eos_id", at),
            sha256=self.get(obj, "sha256", at, (str,), optional=True),
        )
        if record.vocab_size < 1:
            self.fail(f"{at}.vocab_size", "must be at least 1")
        for key in ("bos_id", "eos_id"):
            if (i := getattr(record, key)) is not None and i >= record.vocab_size:
                self.fail(f"{at}.{key}", f"{i} is not below the vocabulary size {record.vocab_size}")
        return record

    def splits(self, obj: dict) -> dict[str, dict[str, VariantEntry]]:
        splits = {}
        for split, variants in obj.items():
            if split not in SPLITS:
                self.fail(f"splits.{split}", f"unknown split; expected {list(SPLITS)}")
            variants = self.object(variants, f"splits.{split}")
            splits[split] = {}
            for variant, entry in variants.items():
                at = f"splits.{split}.{variant}"
                if variant not in VARIANTS:
                    self.fail(at, f"unknown variant; expected {list(VARIANTS)}")
                splits[split][variant] = self.variant(self.object(entry, at), at)
            if set(splits[split]) != set(VARIANTS):
                self.fail(f"splits.{split}", f"holds {sorted(splits[split])}, not both variants {list(VARIANTS)}")
            counts = {v: e.documents for v, e in splits[split].items()}
            if len(set(counts.values())) != 1:
                self.fail(f"splits.{split}", f"the variants are not document-aligned ({counts} documents)")
        return splits

    def variant(self, obj: dict, at: str) -> VariantEntry:
        files = [
            self.shard(self.object(f, f"{at}.files[{i}]"), f"{at}.files[{i}]")
            for i, f in enumerate(self.get(obj, "files", at, (list,)))
        ]
        entry = VariantEntry.of(files)
        for key in ("documents", "tokens", "target_tokens"):
            if self.count(obj, key, at) != getattr(entry, key):
                self.fail(f"{at}.{key}", f"{obj[key]} is not the sum over its files, {getattr(entry, key)}")
        return entry

    def shard(self, obj: dict, at: str) -> ShardEntry:
        name = self.get(obj, "name", at, (str,))
        if not name or "/" in name or "\\" in name or name.startswith("."):
            self.fail(f"{at}.name", f"{name!r} is not a shard file name")
        digests = self.object(self.get(obj, "sha256", at, (dict,)), f"{at}.sha256")
        expected = {"ds" + suffix for suffix in SHARD_SUFFIXES}
        if set(digests) != expected:
            self.fail(f"{at}.sha256", f"keys {sorted(digests)}, expected {sorted(expected)}")
        for key in expected:
            self.get(digests, key, f"{at}.sha256", (str,))
        entry = ShardEntry(
            name,
            self.count(obj, "documents", at),
            self.count(obj, "tokens", at),
            self.count(obj, "target_tokens", at),
            dict(digests),
        )
        if entry.target_tokens > entry.tokens or entry.documents > entry.tokens:
            self.fail(at, f"{entry.documents} documents, {entry.tokens} tokens, {entry.target_tokens} targets")
        return entry
