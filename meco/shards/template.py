"""The metadata prefix: its kinds, the template that renders them, and where a prefix lies in a document.

The template is part of the format: `meco prepare` renders prefixes with it, and inference renders the
prefixes it conditions on with the very same template, read back from the manifest.
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


def default_template(kinds: list[str]) -> str:
    return "\n".join(DEFAULT_LINES[k] for k in kinds) + "\n\n"


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
        unknown = [f for f in self.fields if f not in kinds]
        if unknown:
            raise MetadataError(f"template {self.text!r} names {unknown}, which are not among --metadata {kinds}")
        if not self.fields:
            raise MetadataError(f"template {self.text!r} names no metadata field such as {{host}}")
        try:
            self.render(dict.fromkeys(kinds, "x"))
        except (IndexError, KeyError, ValueError) as e:
            raise MetadataError(f"template {self.text!r} cannot be rendered: {type(e).__name__}: {e}") from e

    def render(self, values: dict[str, str]) -> str:
        """The prefix for these values; "" when none of the template's fields has a value."""
        if not any(values.get(f) for f in self.fields):
            return ""
        kept = []
        for line in self.text.split("\n"):
            names = _field_names(line)
            if all(values.get(n) for n in names):
                kept.append(line.format(**values) if names else line)
        return "\n".join(kept)

    def parse(self, prefix: str) -> dict[str, str]:
        """The values a rendered prefix holds, read back through the template's lines in order
        (`URL: en.wikipedia.org\\n\\n` -> {"host": "en.wikipedia.org"}); lines left out for a missing value
        are skipped."""
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
        values, next_pattern = {}, 0
        for line in prefix.split("\n"):
            for i in range(next_pattern, len(patterns)):
                if m := patterns[i].fullmatch(line):
                    values.update(m.groupdict())
                    next_pattern = i + 1
                    break
        return values


def _field_names(line: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(line) if name]


def prefix_span(tokens: np.ndarray, loss: np.ndarray, bos_id: int | None) -> tuple[int, int]:
    """(start, end) of the metadata prefix of a conditioned document: its leading untrained tokens, BOS left out.

    Every document token and EOS is trained, so the first trained token is where the document begins; a
    document without metadata gives an empty span."""
    end = int(loss.argmax()) if loss.any() else len(loss)
    start = 1 if bos_id is not None and end and tokens[0] == bos_id else 0
    return start, end
