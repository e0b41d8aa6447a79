"""The metadata text: its kinds, the template that renders them, and where it lies in a document.

The template is part of the format: `meco prepare` renders the metadata with it, and inference renders the
prefixes it conditions on with the very same template, read back from the manifest.

Kinds are the built-in ones (`KINDS`, drawn from the URL or the text) and `field:NAME`, a value taken from
the input record's field NAME; a template names a kind by its placeholder, `{host}` or `{NAME}`. The
metadata goes before the document (`prefix`, untrained: MeCo) or after it (`suffix`, trained: "Beyond URLs").
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ..errors import MecoError

if TYPE_CHECKING:
    import numpy as np

KINDS = ("host", "domain", "suffix", "url", "hash", "topic")
FIELD = "field:"  # `field:NAME`: the value of the input record's field NAME
POSITIONS = ("prefix", "suffix")
DATE_PRECISIONS = ("year", "month")
DEFAULT_LINES = {
    "host": "URL: {host}",
    "domain": "Domain: {domain}",
    "suffix": "Suffix: {suffix}",
    "url": "URL: {url}",
    "hash": "Hash: {hash}",
    "topic": "Topic: {topic}",
}


class MetadataError(MecoError, ValueError):
    """Bad metadata options (unknown kind, template naming a kind not asked for)."""


def placeholder(kind: str) -> str:
    """The template field of a kind: `host` for host, `dump` for `field:dump`."""
    return kind.removeprefix(FIELD)


def check_kind(kind: str) -> None:
    """A built-in kind, or `field:NAME` with NAME an identifier that is no built-in kind (so placeholders
    stay unique and `str.format` can render them)."""
    if kind in KINDS:
        return
    name = placeholder(kind)
    if not kind.startswith(FIELD):
        raise MetadataError(f"--metadata {kind!r}: choose from {', '.join(KINDS)} or field:NAME")
    if not name.isidentifier() or name in KINDS:
        raise MetadataError(
            f"--metadata {kind!r}: NAME must be an identifier (letters, digits, _) and not a built-in kind "
            f"({', '.join(KINDS)}), as it is the template's placeholder {{NAME}}"
        )


def default_template(kinds: list[str], position: str = "prefix") -> str:
    """One line per kind (`URL: {host}`; `NAME: {NAME}` for a field), then a blank line before the document
    (prefix), or a blank line after it and then the lines (suffix)."""
    lines = "\n".join(DEFAULT_LINES.get(k) or f"{placeholder(k)}: {{{placeholder(k)}}}" for k in kinds)
    return "\n\n" + lines if position == "suffix" else lines + "\n\n"


@dataclass
class PrefixTemplate:
    """A `str.format` template over metadata kinds, rendered line by line: a line whose value is missing
    is left out, so `URL: {host}\\nTopic: {topic}\\n\\n` degrades to `URL: ...\\n\\n` without a topic."""

    text: str

    @cached_property
    def fields(self) -> list[str]:
        return _field_names(self.text)

    def check(self, kinds: list[str]) -> None:
        """Every field a chosen kind, and the template renders (no positional `{}`, no bad format spec)."""
        names = [placeholder(k) for k in kinds]
        unknown = [f for f in self.fields if f not in names]
        if unknown:
            raise MetadataError(f"template {self.text!r} names {unknown}, which are not among --metadata {kinds}")
        if not self.fields:
            raise MetadataError(f"template {self.text!r} names no metadata field such as {{host}}")
        try:
            self.render(dict.fromkeys(names, "x"))
        except (IndexError, KeyError, ValueError) as e:
            raise MetadataError(f"template {self.text!r} cannot be rendered: {type(e).__name__}: {e}") from e

    @cached_property
    def _lines(self) -> list[tuple[str, list[str]]]:
        """Each line with the fields it names, parsed once: `render` runs once per document."""
        return [(line, _field_names(line)) for line in self.text.split("\n")]

    def render(self, values: dict[str, str]) -> str:
        """The prefix for these values; "" when none of the template's fields has a value."""
        if not any(values.get(f) for f in self.fields):
            return ""
        kept = []
        for line, names in self._lines:
            if all(values.get(n) for n in names):
                kept.append(line.format(**values) if names else line)
        return "\n".join(kept)

    def parse(self, prefix: str) -> dict[str, str]:
        """The values a rendered prefix holds, read back through the template's lines in order
        (`URL: en.wikipedia.org\\n\\n` -> {"host": "en.wikipedia.org"}); lines left out for a missing value
        are skipped."""
        return {name: prefix[start:end] for name, (start, end) in self.spans(prefix).items()}

    def spans(self, prefix: str) -> dict[str, tuple[int, int]]:
        """Where each value of a rendered prefix (or suffix) lies in it: (start, end) character offsets."""
        patterns = [
            re.compile(
                "".join(
                    re.escape(literal) + (f"(?P<{name}>.+)" if name else "")
                    for literal, name, _, _ in string.Formatter().parse(line)
                )
            )
            for line in self.text.split("\n")
            if _field_names(line)
        ]
        spans, next_pattern, line_start = {}, 0, 0
        for line in prefix.split("\n"):
            for i in range(next_pattern, len(patterns)):
                if m := patterns[i].fullmatch(line):
                    spans.update(
                        {name: (line_start + m.start(name), line_start + m.end(name)) for name in m.groupdict()}
                    )
                    next_pattern = i + 1
                    break
            line_start += len(line) + 1
        return spans


def _field_names(line: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(line) if name]


def prefix_span(tokens: np.ndarray, loss: np.ndarray, bos_id: int | None) -> tuple[int, int]:
    """(start, end) of the metadata prefix of a conditioned document: its leading untrained tokens, BOS left out.

    Every document token and EOS is trained, so the first trained token is where the document begins; a
    document without metadata gives an empty span."""
    end = int(loss.argmax()) if loss.any() else len(loss)
    start = 1 if bos_id is not None and end and tokens[0] == bos_id else 0
    return start, end


def suffix_span(conditioned_length: int, cooldown_length: int) -> tuple[int, int]:
    """(start, end) of the metadata suffix of a conditioned document, `[BOS] + D + S + [EOS]`, from the length of
    its aligned cooldown version `[BOS] + D + [EOS]` (every suffix token is trained, so the mask cannot tell)."""
    return cooldown_length - 1, conditioned_length - 1
