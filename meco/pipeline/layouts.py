"""The corpus layouts meco reads: file name patterns, reader format and field names. Imports nothing heavy,
so the command line can list them without loading datatrove."""

from __future__ import annotations

from dataclasses import dataclass

JSONL_PATTERNS = ("*.jsonl", "*.jsonl.gz", "*.jsonl.zst", "*.json.gz", "*.json.zst", "*.json", "*.ndjson")


@dataclass(frozen=True)
class Source:
    """A corpus layout: its file names, the reader format and the text/URL fields."""

    name: str
    patterns: tuple[str, ...]
    reader: str  # "jsonl" or "parquet"
    text_key: str = "text"
    url_key: str = "url"


SOURCES = {
    # DCLM-baseline: global-shard_*/local-shard_*/shard_*_processed.jsonl.zst, fields text, url, metadata{WARC...}
    "dclm": Source("dclm", ("*.jsonl.zst",), "jsonl"),
    # allenai/c4: c4-train.00000-of-01024.json.gz, fields text, timestamp, url
    "c4": Source("c4", ("c4-*.json.gz", "c4-*.json"), "jsonl"),
    # tiiuae/falcon-refinedweb: data/train-*.parquet, columns content, url, timestamp, dump, segment, image_urls
    "refinedweb": Source("refinedweb", ("*.parquet",), "parquet", text_key="content"),
    "jsonl": Source("jsonl", JSONL_PATTERNS, "jsonl"),
    "parquet": Source("parquet", ("*.parquet",), "parquet"),
}
