"""Which corpus layout each input file is, and the datatrove reader that reads it.

Inputs are files, folders or fsspec URLs. Every file is classified once, at the start, and the lists are
saved in the output folder: a rerun reads exactly the same files in the same order, so it can resume.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from datatrove.io import get_datafolder
from datatrove.utils.logging import logger

from ..errors import MecoError
from ..shards import PARTIAL_SUFFIX
from .layouts import SOURCES, Source
from .readers import CheckedJsonlReader, CheckedParquetReader

BOOKKEEPING_MARKERS = ("prepare.json", "executor.json")  # a meco prepare output; a datatrove logging folder


class InputError(MecoError, ValueError):
    """An input that cannot be read: missing path, no matching files, unreadable file."""


@dataclass
class InputGroup:
    """Files of one source under one folder, paths relative to it."""

    folder: str
    source: Source
    files: list[str]
    # per file, the byte sizes of the pieces it can be read in: the whole file for JSON lines, each row group
    # for parquet (what meco.pipeline.split deals to tasks); not saved with the inputs, the plan is
    sizes: list[list[int]] = field(default_factory=list, compare=False)

    def to_json(self) -> dict:
        return {"folder": self.folder, "source": self.source.name, "files": self.files}


def normalize_input(spec: str) -> str:
    """One spelling per input, so a resume does not depend on it: local paths absolute without a trailing slash
    (`data`, `data/`, `./data` and `/abs/data` are the same input), URLs without a trailing slash."""
    if "://" in spec:
        stripped = spec.rstrip("/")
        return stripped if not stripped.endswith(":") else spec
    return os.path.abspath(os.path.expanduser(spec))


def resolve_inputs(
    inputs: list[str], source: str = "auto", output: str | None = None, text_key: str | None = None
) -> list[InputGroup]:
    """Classify every file under the inputs, each real file once; raise InputError naming the first bad input.
    Nothing under `output` (an output folder inside an input folder) and no bookkeeping file of a meco or
    datatrove run is ever taken for data. A parquet file must have the text column (`text_key`, else its
    layout's)."""
    groups: dict[tuple[str, str], InputGroup] = {}
    seen: set[str] = set()
    for spec in inputs:
        folder, files, special = _list(spec, output)
        for rel, kind in special:
            if _classify_by_name(rel, source) is not None:
                raise InputError(f"{_join(folder, rel)}: {kind}, not a regular file; only regular files are read")
        matched = False
        for rel in files:
            src, footer = _classify(folder, rel, source)
            matched = matched or src is not None
            if src is None or (real := _real(folder, rel)) in seen:
                continue
            if footer is not None and (text_key or src.text_key) not in footer.columns:
                raise InputError(
                    f"{_join(folder, rel)}: no {text_key or src.text_key!r} column "
                    f"(columns: {sorted(footer.columns)}); set --text-key"
                )
            seen.add(real)
            group = groups.setdefault((folder, src.name), InputGroup(folder, src, []))
            group.files.append(rel)
            group.sizes.append(list(footer.row_group_bytes) if footer else None)
        if not matched:
            what = "a known corpus layout (DCLM, C4, RefinedWeb, jsonl, parquet)" if source == "auto" else source
            raise InputError(f"{spec}: no input files matching {what}")
    for group in groups.values():  # JSON lines sizes in one call per folder: concurrent requests on S3
        unsized = [i for i, sizes in enumerate(group.sizes) if sizes is None]
        found = get_datafolder(group.folder).sizes([group.files[i] for i in unsized]) if unsized else []
        for i, size in zip(unsized, found, strict=True):
            group.sizes[i] = [size]
    return list(groups.values())


def _list(spec: str, output: str | None) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(folder, regular files relative to it, special files as (relative path, kind)) for a file, folder or
    URL; bookkeeping and the output folder left out."""
    if _is_local(spec):
        folder, files, special = _list_local(_local_path(spec), output)
        return ("file://" if "://" in spec else "") + folder, _without_bookkeeping(files), special
    folder = get_datafolder(spec)
    fs, root = folder.fs, folder.path  # the real filesystem under datatrove's DirFileSystem
    try:
        if fs.isfile(root):
            parent = str(PurePosixPath(root).parent)
            return _url(spec, parent, fs), [PurePosixPath(root).name], []
        if fs.isdir(root):
            files = folder.list_files(recursive=True)
            if output is not None and output.startswith(spec.rstrip("/") + "/"):
                inside = output[len(spec.rstrip("/")) + 1 :].rstrip("/") + "/"
                files = [f for f in files if not f.startswith(inside)]
            return spec.rstrip("/"), _without_bookkeeping(files), []
    except (OSError, PermissionError) as e:
        raise InputError(f"{spec}: cannot be read ({e})") from e
    raise InputError(f"{spec}: no such file or folder")


def _list_local(root: str, output: str | None) -> tuple[str, list[str], list[tuple[str, str]]]:
    """A local file or folder, walked with symbolic links followed (each real folder once, so a link cycle
    ends); a dangling link fails here, naming it, rather than in a task."""
    try:
        mode = os.stat(root).st_mode
    except FileNotFoundError:
        what = "a dangling symbolic link" if os.path.islink(root) else "no such file or folder"
        raise InputError(f"{root}: {what}") from None
    except OSError as e:
        raise InputError(f"{root}: cannot be read ({e})") from e
    if not stat.S_ISDIR(mode):
        parent, name = os.path.split(root)
        kind = _special_kind(mode)
        if kind:
            raise InputError(f"{root}: {kind}, not a regular file; only regular files are read")
        return parent, [name], []
    skip = os.path.realpath(_local_path(output)) if output is not None and _is_local(output) else None
    if skip == os.path.realpath(root):
        raise InputError(f"{root}: is also the output folder; give another --output")
    files, special, walked = [], [], set()

    def fail(error: OSError):
        raise InputError(f"{error.filename}: cannot be read ({error.strerror})") from error

    for here, dirs, names in os.walk(root, followlinks=True, onerror=fail):
        real = os.path.realpath(here)
        if real in walked or real == skip:
            dirs[:] = []
            continue
        walked.add(real)
        dirs.sort()
        rel_here = os.path.relpath(here, root)
        for name in names:
            path, rel = os.path.join(here, name), os.path.normpath(os.path.join(rel_here, name))
            try:
                mode = os.stat(path).st_mode
            except FileNotFoundError:
                raise InputError(f"{path}: a dangling symbolic link (to {os.readlink(path)})") from None
            if kind := _special_kind(mode):
                special.append((rel, kind))
            else:
                files.append(rel)
    return root, sorted(files), special


def _special_kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device or other special file"


def _without_bookkeeping(files: list[str]) -> list[str]:
    """`files` without what meco and datatrove write beside data: a folder holding `prepare.json` is a meco
    output (settings, task records, logs, manifest), one holding `executor.json` a datatrove
    logging folder (stats, completions); `*.partial` files are writes in progress."""
    marked = [f[: -len(name)] for f in files for name in BOOKKEEPING_MARKERS if f == name or f.endswith("/" + name)]
    if marked:
        logger.warning(f"not reading the meco/datatrove bookkeeping folders {sorted(m or './' for m in marked)}")
    return [f for f in files if not f.endswith(PARTIAL_SUFFIX) and not any(f.startswith(m) for m in marked)]


def _is_local(spec: str) -> bool:
    return "://" not in spec or spec.startswith("file://")


def _local_path(spec: str) -> str:
    return os.path.abspath(os.path.expanduser(spec.removeprefix("file://")))


def _real(folder: str, rel: str) -> str:
    """The file's identity: its real path where local, else its URL."""
    return os.path.realpath(os.path.join(_local_path(folder), rel)) if _is_local(folder) else _join(folder, rel)


def _join(folder: str, rel: str) -> str:
    return f"{folder.rstrip('/')}/{rel}"


def _url(spec: str, path: str, fs) -> str:
    """`path` written with the protocol of `spec`, so remote files keep their filesystem."""
    return path if "://" not in spec else fs.unstrip_protocol(path)


def _match(source: Source, rel: str) -> Source | None:
    name = PurePosixPath(rel).name
    return source if any(fnmatch.fnmatch(name, p) for p in source.patterns) else None


def _classify_by_name(rel: str, source: str) -> Source | None:
    """The layout the file name alone says (parquet files counted as parquet)."""
    names = ("c4", "dclm", "parquet", "jsonl") if source == "auto" else (source,)
    return next((found for name in names if (found := _match(SOURCES[name], rel))), None)


@dataclass(frozen=True)
class ParquetFooter:
    """What planning needs of a parquet file: its columns and the compressed bytes of each row group."""

    columns: frozenset[str]
    row_group_bytes: tuple[int, ...]


def _classify(folder: str, rel: str, source: str) -> tuple[Source | None, ParquetFooter | None]:
    """The file's layout, and its footer where it is parquet (read once)."""
    if source != "auto":
        src = _match(SOURCES[source], rel)
        return src, _parquet_footer(folder, rel) if src is not None and src.reader == "parquet" else None
    for name in ("c4", "dclm"):
        if found := _match(SOURCES[name], rel):
            return found, None
    if _match(SOURCES["parquet"], rel):
        footer = _parquet_footer(folder, rel)
        return SOURCES["refinedweb"] if footer.columns >= {"content", "url"} else SOURCES["parquet"], footer
    return _match(SOURCES["jsonl"], rel), None


def _parquet_footer(folder: str, rel: str) -> ParquetFooter:
    import pyarrow.parquet as pq

    try:
        with get_datafolder(folder).open(rel, "rb") as f:
            parquet = pq.ParquetFile(f)
            groups = [parquet.metadata.row_group(i) for i in range(parquet.metadata.num_row_groups)]
            return ParquetFooter(
                frozenset(parquet.schema_arrow.names),
                tuple(sum(g.column(c).total_compressed_size for c in range(g.num_columns)) for g in groups),
            )
    except Exception as e:  # pyarrow raises several unrelated types for a bad file
        raise InputError(f"{folder}/{rel}: not a readable parquet file ({e})") from e


def build_reader(
    group: InputGroup,
    parts: list[list],
    *,
    text_key: str | None,
    url_key: str | None,
    max_chars: int,
    fields: tuple[str, ...] = (),
):
    """The datatrove reader for one group, reading `parts[rank]` ((file, row groups or None) pairs) in task
    `rank`; explicit --text-key/--url-key win over the source's fields; `fields` are the record fields that
    `-m field:NAME` reads."""
    cls = CheckedJsonlReader if group.source.reader == "jsonl" else CheckedParquetReader
    return cls(
        group.folder,
        parts=parts,
        text_key=text_key or group.source.text_key,
        url_key=url_key or group.source.url_key,
        max_chars=max_chars,
        fields=fields,
    )
