"""Independent readers of the three real layouts, used to check what meco wrote."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import zstandard


def read_records(root: Path) -> list[dict]:
    """Every record (text, url) of C4, DCLM and RefinedWeb files at or under root, in file order."""
    records = []
    for path in [root] if root.is_file() else sorted(root.rglob("*")):
        if path.name.endswith(".json.gz"):
            lines = gzip.open(path, "rb").read().split(b"\n")
        elif path.name.endswith(".jsonl.zst"):
            lines = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"))).read().split(b"\n")
        elif path.suffix == ".parquet":
            table = pq.read_table(path, columns=["content", "url"]).to_pylist()
            records += [{"text": r["content"], "url": r["url"]} for r in table]
            continue
        else:
            continue
        records += [json.loads(line) for line in lines if line.strip()]
    return records


def read_texts(root: Path) -> list[str]:
    return [r["text"] for r in read_records(root)]
