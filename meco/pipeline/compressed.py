"""The lines of a plain, gzip or zstd file, with damage found and described instead of raised.

gzip checks each member against its CRC32, zstd each frame against its XXH64, only at the member's end, after
inflating through any damage. Streaming readers (Python's `gzip`, zstandard's `stream_reader`) have by then
handed on the garbled lines. So a compressed file is read twice: first every member is inflated into nothing
and checked, then the lines of the members that passed are read (memory stays bounded; inflating costs far
less than tokenizing the same text). Hand-written over `zlib.decompressobj` / zstandard's `decompressobj`
because the libraries' stream readers also lose what they inflated in the read that fails, stop at garbage
after an intact member (`zcat` reads everything before it), and in zstandard's case read only the first
frame unless told otherwise.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

CHUNK = 1 << 18  # compressed bytes per read: at most ~270 MB inflated even for a gzip bomb (ratio 1032)
TRAILER_SLACK = 1 << 20  # how far a damaged gzip member's inflated size may be from its recorded one


@dataclass(frozen=True)
class Codec:
    """A member-by-member decompressor: `new()` gives an object with decompress(), eof and unused_data."""

    name: str
    new: Callable
    starts_member: Callable[[bytes], bool]  # on at least 4 bytes
    error: type[Exception] | tuple[type[Exception], ...]
    zero_padding: bool  # gzip(1) ignores zeros after the last member


def _gzip() -> Codec:
    return Codec(
        "gzip", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS), lambda b: b[:2] == b"\x1f\x8b", zlib.error, True
    )


def _zstd() -> Codec:
    import zstandard

    def starts(b: bytes) -> bool:  # a frame, or a skippable frame (magic 0x184D2A5?)
        return b[:4] == b"\x28\xb5\x2f\xfd" or (b[1:4] == b"\x2a\x4d\x18" and b[0] & 0xF0 == 0x50)

    return Codec("zstd", lambda: zstandard.ZstdDecompressor().decompressobj(), starts, zstandard.ZstdError, False)


CODECS = {"gzip": _gzip, "zstd": _zstd}
SUFFIXES = {".gz": "gzip", ".zst": "zstd"}


def codec_for(path: str, compression: str | None = "infer") -> Codec | None:
    """The codec of `compression`, or for "infer" the one the file name's suffix says (None: plain)."""
    if compression == "infer":
        compression = next((name for suffix, name in SUFFIXES.items() if path.endswith(suffix)), None)
    return CODECS[compression]() if compression else None


@dataclass
class Damage(Exception):
    """Where and how a compressed file stops being readable.

    kind: `truncated` (ends inside a member: what was inflated before the end is kept, though no checksum
    vouches for it; a flipped bit can make a member look cut, and then its last lines may be garbled: for gzip
    the trailer's size tells most such cases apart, see `check`),
    `corrupt` (a member fails its check or cannot be inflated: none of it is used, nor anything after it) or
    `trailing_garbage` (bytes after the last intact member that start no member)."""

    kind: str
    member: int
    offset: int  # compressed byte offset where that member (or the garbage) starts
    detail: str
    lines: int = 0  # about how many lines of the member are lost (as far as it could be inflated), at least 1

    def describe(self, codec: Codec) -> str:
        what = {
            "truncated": f"ends inside {codec.name} member {self.member}"
            + (f": {self.detail}" if self.detail else "; the lines inflated before the end are kept, unverified"),
            "corrupt": f"{codec.name} member {self.member} is damaged ({self.detail}); its ~{self.lines:,} lines "
            "are held back and the rest of the file is not read",
            "trailing_garbage": f"has {self.detail} after its last intact {codec.name} member, not read",
        }[self.kind]
        return f"{what} (byte {self.offset:,})"


def check(f, codec: Codec) -> Damage | None:
    """Inflate every member into nothing; the first damage found, or None for an intact file."""
    trailer = _gzip_trailer_size(f) if codec.name == "gzip" else None
    lines, member, size = 0, 0, 0
    try:
        for m, chunk in _inflate(f, codec):
            if m != member:
                lines, member, size = 0, m, 0
            if chunk is not None:
                lines += chunk.count(b"\n")
                size += len(chunk)
    except Damage as damage:
        # about the member's lines: those inflated before the check failed, and the one the damage cut
        damage.lines = (lines if damage.member == member else 0) + 1
        if damage.kind == "truncated" and trailer is not None and _near(trailer, size, TRAILER_SLACK):
            # A cut file ends in deflate data; this one ends in about the size of what was inflated: it was not
            # cut, a flipped bit (in the last block, say) made the inflater run on through the trailer, and what
            # it inflated after the flip is garbage. (A cut file's last 4 bytes are this close by chance with
            # probability 2 MiB / 4 GiB; it then loses this member's lines, counted.)
            damage.kind, damage.detail = "corrupt", "not cut: its trailer records about the size inflated"
        return damage
    return None


def _near(isize: int, size: int, slack: int) -> bool:
    """Whether `size` is within `slack` of the gzip ISIZE field (the size modulo 2**32)."""
    gap = (isize - size) % (1 << 32)
    return min(gap, (1 << 32) - gap) <= slack


def _gzip_trailer_size(f) -> int | None:
    """ISIZE of the last gzip member if the file is whole: its last 4 bytes. The file is left at its start."""
    try:
        f.seek(-4, 2)
        size = int.from_bytes(f.read(4), "little")
        f.seek(0)
    except (OSError, ValueError):  # shorter than 4 bytes, or not seekable
        f.seek(0)
        return None
    return size


def read_lines(f, codec: Codec | None, damage: Damage | None = None) -> Iterator[bytes]:
    """The file's lines, split on b"\\n" only, without it. With the `damage` that `check` found: the lines of
    the members before a corrupt one, or every complete line before a truncation or trailing garbage."""
    if codec is None:
        chunks = iter(lambda: f.read(CHUNK), b"")
    else:
        usable = damage.member if damage is not None and damage.kind == "corrupt" else None
        chunks = (c for m, c in _inflate_until(f, codec, usable) if c)
    cut = damage is not None and damage.kind in ("truncated", "corrupt")
    tail = b""
    for chunk in chunks:
        pieces = (tail + chunk).split(b"\n")
        tail = pieces.pop()
        yield from pieces
    if tail and not cut:  # a last line without b"\n" is a line, unless the damage cut it
        yield tail


def _inflate_until(f, codec: Codec, stop_member: int | None):
    """_inflate's chunks of the members before `stop_member`, swallowing the damage `check` already found."""
    try:
        for member, chunk in _inflate(f, codec):
            if member == stop_member:
                return
            yield member, chunk
    except Damage:
        return


def _inflate(f, codec: Codec) -> Iterator[tuple[int, bytes | None]]:
    """(member, inflated chunk) in order, and (member, None) once a member has passed its check.
    Raises Damage at the first problem."""
    member, offset, start, pending, d = 0, 0, 0, b"", None
    while True:
        if d is None:  # between members: the next one, padding, garbage or the end
            pending = _fill(f, pending, 4)
            while codec.zero_padding and pending[:1] == b"\0":
                kept = pending.lstrip(b"\0")
                offset += len(pending) - len(kept)
                pending = _fill(f, kept, 4)
            if not pending:
                if offset == 0:  # not even a header: an empty .gz or .zst is a cut file
                    raise Damage("truncated", member, 0, "the file is empty")
                return
            if not codec.starts_member(pending):
                raise Damage("trailing_garbage", member, offset, f"{_rest_size(f, pending):,} bytes of garbage")
            d, start = codec.new(), offset
        elif not pending:
            pending = f.read(CHUNK)
            if not pending:
                raise Damage("truncated", member, start, "")
        try:
            out = d.decompress(pending)
        except codec.error as e:
            raise Damage("corrupt", member, start, str(e)) from None
        if out:
            yield member, out
        if d.eof:
            offset += len(pending) - len(d.unused_data)
            pending, d = d.unused_data, None
            yield member, None
            member += 1
        else:
            offset += len(pending)
            pending = b""


def _fill(f, data: bytes, size: int) -> bytes:
    """`data` with more read until it holds at least `size` bytes or the file ends."""
    while len(data) < size and (more := f.read(CHUNK)):
        data += more
    return data


def _rest_size(f, pending: bytes) -> int:
    return len(pending) + sum(len(c) for c in iter(lambda: f.read(CHUNK), b""))
