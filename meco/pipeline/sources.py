"""Which corpus layout each input file is, and the datatrove reader that reads it.

Inputs are files, folders or fsspec URLs. Every file is classified once, at the start, and the lists are
saved in the output folder: a rerun reads exactly the same files in the same order, so it can resume.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

from datatrove.io import get_datafolder

from ..errors import MecoError
from .layouts import SOURCES, Source
from .readers import CheckedJsonlReader, CheckedParquetReader


class InputError(MecoError, ValueError):
    """An input that cannot be read: missing path, no matching files, unreadable file."""


@dataclass
class InputGroup:
    """Files of one source under one folder, paths relative to it."""

    folder: str
    source: Source
    files: list[str]

    def to_json(self) -> dict:
        return {"folder": self.folder, "source": self.source.name, "files": self.files}


def resolve_inputs(inputs: list[str], source: str = "auto") -> list[InputGroup]:
    """Classify every file under the inputs; raise InputError naming the first bad input."""
    groups: dict[tuple[str, str], InputGroup] = {}
    for spec in inputs:
        folder, files = _list(spec)
        for rel in files:
            src = _classify(folder, rel) if source == "auto" else _match(SOURCES[source], rel)
            if src is None:
                continue
            groups.setdefault((folder, src.name), InputGroup(folder, src, [])).files.append(rel)
        if not any(g.folder == folder for g in groups.values()):
            what = "a known corpus layout (DCLM, C4, RefinedWeb, jsonl, parquet)" if source == "auto" else source
            raise InputError(f"{spec}: no input files matching {what}")
    return list(groups.values())


def _list(spec: str) -> tuple[str, list[str]]:
    """(folder, files relative to it) for a file, folder or URL."""
    folder = get_datafolder(spec)
    fs, root = folder.fs, folder.path  # the real filesystem under datatrove's DirFileSystem
    try:
        if fs.isfile(root):
            parent = str(PurePosixPath(root).parent)
            return _url(spec, parent, fs), [PurePosixPath(root).name]
        if fs.isdir(root):
            return spec.rstrip("/"), folder.list_files(recursive=True)
    except (OSError, PermissionError) as e:
        raise InputError(f"{spec}: cannot be read ({e})") from e
    raise InputError(f"{spec}: no such file or folder")


def _url(spec: str, path: str, fs) -> str:
    """`path` written with the protocol of `spec`, so remote files keep their filesystem."""
    return path if "://" not in spec else fs.unstrip_protocol(path)


def _match(source: Source, rel: str) -> Source | None:
    name = PurePosixPath(rel).name
    return source if any(fnmatch.fnmatch(name, p) for p in source.patterns) else None


def _classify(folder: str, rel: str) -> Source | None:
    for name in ("c4", "dclm"):
        if found := _match(SOURCES[name], rel):
            return found
    if _match(SOURCES["parquet"], rel):
        return SOURCES["refinedweb"] if _parquet_columns(folder, rel) >= {"content", "url"} else SOURCES["parquet"]
    return _match(SOURCES["jsonl"], rel)


def _parquet_columns(folder: str, rel: str) -> set[str]:
    import pyarrow.parquet as pq

    try:
        with get_datafolder(folder).open(rel, "rb") as f:
            return set(pq.ParquetFile(f).schema_arrow.names)
    except Exception as e:  # pyarrow raises several unrelated types for a bad file
        raise InputError(f"{folder}/{rel}: not a readable parquet file ({e})") from e


def build_reader(
    group: InputGroup, paths_file: str, *, text_key: str | None, url_key: str | None, max_chars: int, rank_offset: int
):
    """The datatrove reader for one group; explicit --text-key/--url-key win over the source's fields."""
    cls = CheckedJsonlReader if group.source.reader == "jsonl" else CheckedParquetReader
    return cls(
        group.folder,
        paths_file=paths_file,
        text_key=text_key or group.source.text_key,
        url_key=url_key or group.source.url_key,
        max_chars=max_chars,
        rank_offset=rank_offset,
    )
