#!/usr/bin/env python3
"""Write meco's sample data in the published layouts of DCLM-baseline, C4 and RefinedWeb.

    python data_samples/make_samples.py

Needs pyarrow and zstandard (no network). The texts and URLs come from texts/*.jsonlines (one JSON
record a line: url, text and, for RefinedWeb, image_urls); the other fields (dates, WARC headers,
scores, segments) are filler derived from a hash of each URL, so the output is deterministic: running
the script twice gives byte-identical files.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

HERE = Path(__file__).resolve().parent
# texts/*.jsonlines, not *.jsonl: `meco prepare data_samples` would read those as a fourth corpus.
TEXTS = HERE / "texts"

DCLM_PATH = HERE / "dclm/global-shard_01_of_10/local-shard_0_of_10/shard_00000000_processed.jsonl.zst"
C4_PATH = HERE / "c4/c4-train.00000-of-01024.json.gz"
REFINEDWEB_PATH = HERE / "refinedweb/data/train-00000-of-00001.parquet"

ZSTD_LEVEL = 3  # zstd's default level; one frame, content size in the header, no checksum
GZIP_LEVEL = 9


def read_texts(name: str) -> list[dict]:
    """The records of texts/NAME.jsonlines, in file order."""
    with open(TEXTS / f"{name}.jsonlines", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


# ---------------------------------------------------------------- deterministic filler


def _hash(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def _int(*parts: str) -> int:
    return int.from_bytes(_hash(*parts)[:8], "big")


def _frac(*parts: str) -> float:
    return _int(*parts) / 2**64


def _moment(start: str, days: int, *parts: str) -> dt.datetime:
    """A whole second in [start, start + days), picked by the hash of parts."""
    begin = dt.datetime.fromisoformat(start)
    return begin + dt.timedelta(seconds=_int(*parts) % (days * 86400))


def _urn(*parts: str) -> str:
    return f"<urn:uuid:{uuid.UUID(bytes=_hash(*parts)[:16], version=4)}>"


def _sha1_b32(data: bytes) -> str:
    """A WARC digest: base32 of a SHA-1, as Common Crawl writes them."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _host(url: str) -> str:
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    return netloc.rsplit("@", 1)[-1].lower()


def _ip(url: str) -> str:
    """One address per host, from the documentation ranges (RFC 5737), or the literal IPv6 host."""
    host = _host(url)
    if host.startswith("["):
        return host[1:].split("]")[0]
    n = _int("ip", host)
    net = ("192.0.2", "198.51.100", "203.0.113")[n % 3]
    return f"{net}.{(n >> 8) % 254 + 1}"


# ---------------------------------------------------------------- DCLM-baseline

DCLM_DUMP = "CC-MAIN-2023-06"
DCLM_WARCINFO = (
    "robots: checked via crawler-commons 1.4-SNAPSHOT (https://github.com/crawler-commons/crawler-commons)\r\n"
    f"isPartOf: {DCLM_DUMP}\r\n"
    "software: Apache Nutch 1.19 (modified, https://github.com/commoncrawl/nutch/)\r\n"
)


def dclm_record(url: str, text: str) -> dict:
    body = text.encode()
    warc_file = str(_int("warc-file", url) % 4)  # a few WARC files, so warcinfo ids repeat
    return {
        "bff_contained_ngram_count_before_dedupe": 0 if _int("bff", url) % 5 else 1 + _int("bff-n", url) % 30,
        "language_id_whole_page_fasttext": {"en": round(0.9 + 0.0999 * _frac("lang", url), 4)},
        "metadata": {
            "Content-Length": str(len(body) + 12000 + _int("length", url) % 60000),
            "Content-Type": "application/http; msgtype=response",
            "WARC-Block-Digest": _sha1_b32(b"HTTP/1.1 200 OK\r\n" + body),
            "WARC-Concurrent-To": _urn("request", url),
            "WARC-Date": _moment("2023-02-05", 5, "date", url).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "WARC-IP-Address": _ip(url),
            "WARC-Identified-Payload-Type": "text/html",
            "WARC-Payload-Digest": _sha1_b32(body),
            "WARC-Record-ID": _urn("response", url),
            "WARC-Target-URI": url,
            "WARC-Type": "response",
            "WARC-Warcinfo-ID": _urn("warcinfo", DCLM_DUMP, warc_file),
        },
        "previous_word_count": len(text.split()),
        "text": text,
        "url": url,
        "warcinfo": DCLM_WARCINFO,
        "fasttext_openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train_prob": round(
            0.02 + 0.97 * _frac("fasttext", url), 6
        ),
    }


def write_dclm(path: Path, docs: list[dict]) -> int:
    # DCLM-baseline shards are sorted by URL; JSON as Python's json.dumps writes it, raw UTF-8.
    records = sorted((dclm_record(d["url"], d["text"]) for d in docs), key=lambda r: r["url"])
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data))
    return len(records)


# ---------------------------------------------------------------- C4 (allenai/c4 en)


def c4_record(url: str, text: str) -> dict:
    # C4 en comes from the April 2019 crawl (CC-MAIN-2019-18).
    return {"text": text, "timestamp": _moment("2019-04-18", 9, "c4", url).strftime("%Y-%m-%dT%H:%M:%SZ"), "url": url}


def write_c4(path: Path, docs: list[dict]) -> int:
    lines = "".join(json.dumps(c4_record(d["url"], d["text"]), ensure_ascii=False) + "\n" for d in docs)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed gzip header: no file name, mtime 0, OS byte 255 ("unknown") as in the published files.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=buffer, mtime=0) as gz:
        gz.write(lines.encode())
    path.write_bytes(buffer.getvalue())
    return len(docs)


# ---------------------------------------------------------------- RefinedWeb (tiiuae/falcon-refinedweb)

# dump -> (first day of the crawl, segment-id prefix: the crawl's start in epoch milliseconds)
REFINEDWEB_DUMPS = {
    "CC-MAIN-2022-40": ("2022-09-25", 1664030000000),
    "CC-MAIN-2022-49": ("2022-11-27", 1669446000000),
    "CC-MAIN-2023-06": ("2023-01-27", 1674764000000),
}

# The arrow schema the published files were written from: timestamp[s] and list<item: ...>.
# Parquet stores the timestamp as milliseconds, so readers see timestamp[ms] (and, with current
# pyarrow, list<element: ...>), exactly as they do for the published shards.
REFINEDWEB_SCHEMA = pa.schema(
    [
        ("content", pa.string()),
        ("url", pa.string()),
        ("timestamp", pa.timestamp("s")),
        ("dump", pa.string()),
        ("segment", pa.string()),
        ("image_urls", pa.list_(pa.list_(pa.string()))),
    ]
)


def refinedweb_row(url: str, image_urls: list, text: str) -> dict:
    dumps = sorted(REFINEDWEB_DUMPS)
    dump = dumps[_int("dump", url) % len(dumps)]
    first_day, segment_base = REFINEDWEB_DUMPS[dump]
    segment = f"{segment_base + _int('segment', url) % 5_000_000}.{_int('segment-n', url) % 100:02d}"
    return {
        "content": text,
        "url": url,
        "timestamp": _moment(first_day, 12, "refinedweb", url),
        "dump": dump,
        "segment": segment,
        "image_urls": image_urls,
    }


def write_refinedweb(path: Path, docs: list[dict]) -> int:
    rows = [refinedweb_row(d["url"], d["image_urls"], d["text"]) for d in docs]
    table = pa.Table.from_pylist(rows, schema=REFINEDWEB_SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    # pyarrow's defaults, spelled out: one row group, snappy, dictionaries, statistics, format 2.6.
    pq.write_table(
        table,
        path,
        row_group_size=len(rows),
        compression="snappy",
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
        data_page_version="1.0",
        store_schema=True,
    )
    return len(rows)


# ---------------------------------------------------------------- checks and main


def check_documents(texts: dict[str, list[dict]]) -> None:
    docs = [d for records in texts.values() for d in records]
    urls = [d["url"] for d in docs]
    assert len(urls) == len(set(urls)), "duplicate URL"
    for d in docs:
        words = len(d["text"].split())
        assert 80 <= words <= 400, (d["url"], words)
    for d in texts["c4"]:  # C4's line filters: no braces, every line ends in punctuation
        assert "{" not in d["text"] and "\n\n" not in d["text"], d["url"]
        assert all(line.rstrip()[-1] in '.!?"' for line in d["text"].split("\n")), d["url"]
    assert sum("\u2028" in d["text"] for d in texts["dclm"]) == 1


def main() -> None:
    texts = {name: read_texts(name) for name in ("dclm", "c4", "refinedweb")}
    check_documents(texts)
    for name, write, docs, path in (
        ("DCLM-baseline", write_dclm, texts["dclm"], DCLM_PATH),
        ("C4", write_c4, texts["c4"], C4_PATH),
        ("RefinedWeb", write_refinedweb, texts["refinedweb"], REFINEDWEB_PATH),
    ):
        count = write(path, docs)
        print(f"{name:14} {count:3} documents  {path.stat().st_size:7} bytes  {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
