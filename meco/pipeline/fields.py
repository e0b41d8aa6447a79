"""Metadata from any record field (`-m field:NAME`): the value as written, a score in buckets, or a date.

`--bucket NAME=K` renders a score s in [0, 1] as floor(K * s), clamped to K - 1 so that 1.0 shares the top
bucket ("Beyond URLs" quality buckets); `--date NAME=year|month` renders an ISO 8601 string (C4's
`2019-04-25T12:57:54Z`) or a timestamp (RefinedWeb's parquet column) as `2019` or `2019-04`. A value that is
absent, null or blank is `missing`; one that cannot be rendered so (a score outside [0, 1], a date that does
not parse, a list or object) is `malformed`. Both are counted per field and leave the document without
that template line, never dropped.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from ..errors import OptionError
from ..shards import DATE_PRECISIONS, FIELD, placeholder

FIELDS_KEY = "meco_fields"  # Document.metadata key the readers fill with the requested record fields


class Malformed(ValueError):
    """A field value that cannot be rendered as asked."""


def field_names(kinds: list[str]) -> list[str]:
    """The record fields the `field:NAME` kinds read."""
    return [placeholder(k) for k in kinds if k.startswith(FIELD)]


def rendering(kinds: list[str], bucket: dict[str, int], dates: dict[str, str]) -> dict[str, dict]:
    """How each field is rendered (the manifest's `metadata.fields`); --bucket and --date must name fields
    read with `-m field:NAME`, at most one of them each, with K >= 1 and a known precision."""
    names = field_names(kinds)
    for option, given in (("--bucket", bucket), ("--date", dates)):
        if unknown := [n for n in given if n not in names]:
            raise OptionError(f"{option} {unknown}: not among the fields read (-m field:NAME gives {names})")
    if both := sorted(set(bucket) & set(dates)):
        raise OptionError(f"--bucket and --date both name {both}: a field is a score or a date, not both")
    if bad := {n: k for n, k in bucket.items() if not isinstance(k, int) or isinstance(k, bool) or k < 1}:
        raise OptionError(f"--bucket {bad}: K must be a whole number of buckets, at least 1")
    if bad := {n: p for n, p in dates.items() if p not in DATE_PRECISIONS}:
        raise OptionError(f"--date {bad}: choose from {', '.join(DATE_PRECISIONS)}")
    return {n: {"bucket": bucket[n]} if n in bucket else {"date": dates[n]} if n in dates else {} for n in names}


def render(value, how: dict) -> str | None:
    """The text of one field value, None when it is missing; raises Malformed when it cannot be rendered."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if "bucket" in how:
        return str(bucket(value, how["bucket"]))
    if "date" in how:
        d = as_date(value)
        return f"{d.year:04d}" if how["date"] == "year" else f"{d.year:04d}-{d.month:02d}"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Malformed(f"{type(value).__name__} {value!r} is no text or number")
    return str(value)


def bucket(score, k: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:  # NaN fails too
        raise Malformed(f"score {score!r} is not a number in [0, 1]")
    return min(math.floor(k * score), k - 1)


def as_date(value) -> date:
    if isinstance(value, date):  # datetime too: a parquet timestamp column reads as datetime
        return value
    if not isinstance(value, str):
        raise Malformed(f"{type(value).__name__} {value!r} is no date")
    text = value.strip()
    if text[-1:] in ("Z", "z"):  # UTC as C4 writes it; Python before 3.11 reads only "+00:00"
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise Malformed(f"{value!r} is no ISO 8601 date") from e


def field_values(record_fields: dict, fields: dict[str, dict]) -> tuple[dict[str, str], dict[str, str]]:
    """(rendered values, problem per field: `missing` or `malformed`) of one document's record fields."""
    values, problems = {}, {}
    for name, how in fields.items():
        try:
            text = render(record_fields.get(name), how)
        except Malformed:
            problems[name] = "malformed"
            continue
        if text is None:
            problems[name] = "missing"
        else:
            values[name] = text
    return values, problems
