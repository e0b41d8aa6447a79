"""datatrove readers for JSON lines and parquet that count every record they skip, by reason.

datatrove's own `JsonlReader` decodes files as text (one bad byte ends the whole file), and both readers
drop empty or odd records silently; meco must lose nothing unseen, so these subclasses read lines as bytes,
check each record and count the ones they skip under `skipped.<reason>` in datatrove's stats.
"""

from __future__ import annotations

import json
import unicodedata
from itertools import islice

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.logging import logger

from .compressed import check, codec_for, read_lines
from .fields import FIELDS_KEY

WARNINGS_PER_REASON = 5  # per task: the first few of each reason are logged, all are counted
BOM = b"\xef\xbb\xbf"
JSON_WHITESPACE = b" \t\r\n"  # what JSON allows around a value; bytes.strip() would also take \f and \v


class CheckedRecords(BaseDiskReader):
    """Turns raw records into Documents holding only text, id, URL and the `fields` asked for by
    `-m field:NAME` (under `metadata["meco_fields"]`), skipping and counting bad ones.

    `parts[rank]` lists what task `rank` reads, as (file, row groups [first, end) or None for all) pairs:
    meco's plan (meco.pipeline.split), not datatrove's round-robin by name. Without `parts` the reader lists
    its folder and deals the files as datatrove does.
    """

    def __init__(
        self,
        data_folder,
        *,
        url_key: str = "url",
        max_chars: int = 10_000_000,
        parts: list[list[tuple[str, tuple[int, int] | None]]] | None = None,
        fields: tuple[str, ...] = (),
        **kwargs,
    ):
        super().__init__(data_folder, **kwargs)
        self.url_key, self.max_chars, self.parts, self.fields = url_key, max_chars, parts, tuple(fields)
        self._warned: dict[str, int] = {}

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if self.parts is None:
            yield from super().run(data, rank, world_size)
            return
        if len(self.parts) != world_size:
            raise ValueError(f"the plan has {len(self.parts)} tasks, the executor {world_size}")
        if data:
            yield from data
        for filepath, row_groups in self.parts[rank]:
            self.stat_update("input_files")
            where = f", row groups {row_groups[0]} to {row_groups[1] - 1}" if row_groups else ""
            logger.info(f"Reading input file {filepath}{where}")
            for document in self.read_file(filepath, row_groups) if row_groups else self.read_file(filepath):
                self.update_doc_stats(document)
                yield document

    def reject(self, reason: str, where: str, detail: str = "") -> None:
        self.stat_update(f"skipped.{reason}")
        seen = self._warned[reason] = self._warned.get(reason, 0) + 1
        if seen <= WARNINGS_PER_REASON:
            more = " (further ones are counted, not logged)" if seen == WARNINGS_PER_REASON else ""
            logger.warning(f"skipped record {where}: {reason}{': ' + detail if detail else ''}{more}")

    def damaged(self, reason: str, filepath: str, detail: str, records: int) -> None:
        """A damaged part of a file: its records are counted under `skipped.<reason>` and it is always logged."""
        self.stat_update(f"skipped.{reason}", value=records)
        logger.warning(f"damaged input {self.data_folder.resolve_paths(filepath)}: {detail}")

    def document(self, record, path: str, index: int) -> Document | None:
        where = f"{path}:{index + 1}"
        if not isinstance(record, dict):
            return self.reject("not_an_object", where, type(record).__name__)
        text = record.get(self.text_key)
        if text is None:
            return self.reject("missing_text", where, f"no {self.text_key!r} field")
        if not isinstance(text, str):
            return self.reject("non_string_text", where, type(text).__name__)
        if "\x00" in text:
            text = text.replace("\x00", "")
            self.stat_update("repaired.nul_bytes_removed")
        if _is_blank(text):
            return self.reject("empty_text", where)
        if len(text) > self.max_chars:
            return self.reject("too_long", where, f"{len(text):,} characters > --max-doc-chars {self.max_chars:,}")
        if not _is_encodable(text):  # only the json fallback lets "\ud800" through; no tokenizer takes it
            text = _without_surrogates(text)
            self.stat_update("repaired.lone_surrogates_replaced")
        doc_id, url = record.get(self.id_key), record.get(self.url_key)
        metadata = {"url": _without_surrogates(url) if isinstance(url, str) else url}
        if self.fields:
            metadata[FIELDS_KEY] = {
                name: _without_surrogates(v) if isinstance(v := record.get(name), str) else v for name in self.fields
            }
        return Document(
            text=text,
            id=_without_surrogates(str(doc_id)) if doc_id is not None else f"{path}/{index}",
            metadata=metadata,
        )


class CheckedJsonlReader(CheckedRecords):
    """JSON lines, plain or compressed (zstd, gzip), split on b"\\n" only: a raw U+2028 inside a text is text."""

    name = "🐿 Jsonl (checked)"
    _requires_dependencies = ["orjson"]

    def __init__(self, data_folder, *, compression: str | None = "infer", **kwargs):
        super().__init__(data_folder, **kwargs)
        self.compression = compression

    def read_file(self, filepath: str):
        import orjson

        codec = codec_for(filepath, self.compression)
        damage = None
        if codec is not None:  # a first pass checks every member, so a damaged one never reaches the shards
            with self.data_folder.open(filepath, "rb") as f:
                damage = check(f, codec)
        with self.data_folder.open(filepath, "rb") as f:
            for index, line in enumerate(read_lines(f, codec, damage)):
                with self.track_time():
                    line = line.removeprefix(BOM)  # a UTF-8 BOM (usually the file's first bytes) is no JSON
                    if not line.strip(JSON_WHITESPACE):  # a blank line holds no record; a form feed is not blank
                        continue
                    try:
                        record = orjson.loads(line)
                    except orjson.JSONDecodeError as e:
                        record = _loads_leniently(line)
                        if record is None:
                            reason = "invalid_utf8" if not _is_utf8(line) else "malformed_json"
                            self.reject(reason, f"{filepath}:{index + 1}", str(e))
                            continue
                    document = self.document(record, filepath, index)
                if document is not None:
                    yield document
        if damage is not None:
            reason, records = (
                ("corrupt_member", damage.lines) if damage.kind == "corrupt" else ("unreadable_file_rest", 1)
            )
            self.damaged(reason, filepath, damage.describe(codec), records)


class CheckedParquetReader(CheckedRecords):
    """Parquet files read by record batches, only the text, URL and id columns and the fields asked for."""

    name = "📒 Parquet (checked)"
    _requires_dependencies = ["pyarrow"]

    def __init__(self, data_folder, *, batch_size: int = 1000, **kwargs):
        super().__init__(data_folder, **kwargs)
        self.batch_size = batch_size

    def read_file(self, filepath: str, row_groups: tuple[int, int] | None = None):
        """Rows of row groups [first, end) (all by default), numbered from the file's first row."""
        import pyarrow.parquet as pq

        # page checksums, where the writer stored them, catch flipped bits that would otherwise decode as text
        with self.data_folder.open(filepath, "rb") as f, pq.ParquetFile(f, page_checksum_verification=True) as pqf:
            present = set(pqf.schema_arrow.names)
            if self.text_key not in present:
                raise ValueError(
                    f"{filepath}: no {self.text_key!r} column (columns: {sorted(present)}); set --text-key"
                )
            columns = [
                c for c in dict.fromkeys((self.text_key, self.url_key, self.id_key, *self.fields)) if c in present
            ]
            first, end = row_groups or (0, pqf.num_row_groups)
            index = sum(pqf.metadata.row_group(g).num_rows for g in range(first))
            for group in range(first, end):
                rows, read = pqf.metadata.row_group(group).num_rows, 0
                try:
                    for batch in pqf.iter_batches(batch_size=self.batch_size, row_groups=[group], columns=columns):
                        with self.track_time("batch"):
                            records = batch.to_pylist()
                            documents = [self.document(r, filepath, index + read + i) for i, r in enumerate(records)]
                        read += batch.num_rows
                        yield from (d for d in documents if d is not None)
                except (OSError, ValueError) as e:  # pyarrow's errors subclass these; the next group may be fine
                    detail = f"row group {group}: {type(e).__name__}: {e}; its {rows - read:,} unread rows skipped"
                    self.damaged("unreadable_row_group", filepath, detail, rows - read)
                else:
                    if read < rows:  # a flipped bit in a page header can end a column early without an error
                        detail = f"row group {group}: {read:,} rows read of the {rows:,} its metadata lists"
                        self.damaged("unreadable_row_group", filepath, detail, rows - read)
                index += rows


class DocumentLimit(PipelineStep):
    """At most `limit` documents per task, whatever the number of readers before it (datatrove's reader
    `limit` counts per reader). Stops pulling, so the readers stop reading too."""

    name = "✂️ Limit"
    type = "📖 - READER"

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        yield from islice(data, self.limit)


def _loads_leniently(line: bytes):
    """The record as Python's json reads it, or None. orjson refuses numbers beyond 64-bit integers and doubles
    (1e400) and lone surrogate escapes, which may sit in fields meco never reads; the record is still good."""
    try:
        return json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def _is_blank(text: str) -> bool:
    """Nothing but whitespace and invisible format characters (BOM, zero-width space and joiners, ...).
    Stops at the first visible character, so a long text costs nothing."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _without_surrogates(text: str) -> str:
    """Lone surrogates (which no UTF-8 text holds) as U+FFFD."""
    return text if _is_encodable(text) else "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
