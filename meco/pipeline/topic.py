"""Topic labels from a fastText classifier (`--topic-model`), e.g. fastText's DBpedia model."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from ..errors import MecoError

_WHITESPACE = re.compile(r"\s+")


class TopicModelError(MecoError, ValueError):
    """The topic model or its label file cannot be used; raised before any work starts."""


def read_label_names(path: str | None) -> dict[str, str]:
    """A labels file maps raw labels to names, one `raw<TAB>name` (or `raw name`) per line;
    `__label__` may be left off the raw label."""
    if path is None:
        return {}
    names = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t", 1) if "\t" in line else line.split(None, 1)
        if len(parts) != 2 or not parts[1].strip():
            raise TopicModelError(f"{path}:{n}: expected `label<TAB>name`, got {line!r}")
        raw = parts[0].strip()
        names[raw if raw.startswith("__label__") else "__label__" + raw] = parts[1].strip()
    return names


class TopicClassifier:
    """Top fastText label of a document's text, or None below `threshold`.

    The model loads lazily (fastText objects do not pickle, and datatrove ships steps to worker processes);
    `check()` loads it once up front so a bad path fails before any work.
    """

    def __init__(
        self,
        model_path: str,
        threshold: float = 0.0,
        labels_path: str | None = None,
        lowercase: bool = True,
        max_chars: int = 20_000,
    ):
        self.model_path, self.threshold, self.lowercase, self.max_chars = model_path, threshold, lowercase, max_chars
        self.names = read_label_names(labels_path)

    @cached_property
    def model(self):
        import fasttext

        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load-time deprecation notice
        try:
            return fasttext.load_model(str(self.model_path))
        except (ValueError, OSError) as e:
            raise TopicModelError(f"topic model {self.model_path}: cannot be loaded by fastText ({e})") from e

    def check(self) -> None:
        if not Path(self.model_path).is_file():
            raise TopicModelError(f"topic model {self.model_path}: no such file")
        unknown = set(self.names) - set(self.model.get_labels())
        if unknown:
            raise TopicModelError(f"labels file names {sorted(unknown)}, which the topic model does not have")

    def topic(self, text: str) -> str | None:
        # fastText predicts on one line; the first max_chars characters are plenty to pick a topic
        line = _WHITESPACE.sub(" ", text[: self.max_chars]).strip()
        labels, probs = self.model.predict(line.lower() if self.lowercase else line, k=1)
        if not labels or probs[0] < self.threshold:
            return None
        return self.names.get(labels[0], labels[0].removeprefix("__label__"))
