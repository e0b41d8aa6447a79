"""How well a model trained on appended metadata (`meco prepare --position suffix`) predicts it.

For each held-out document `[BOS] + D + S + [EOS]` and each value in its suffix S (`\\n\\nURL: en.wikipedia.org`:
the host), the model reads the document and the suffix's fixed text up to the value, and the value counts as
predicted when the greedy (teacher-forced argmax) token at every one of its positions is the true token. A
token that holds both fixed text and the start of the value (` en` after `URL:`) belongs to the value. Value
tokens are found from the decoded suffix and the template's spans, so the exact tokens trained on are scored.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from ..shards import PrefixTemplate


def value_tokens(ids: list[int], decode, template: PrefixTemplate) -> dict[str, tuple[int, int]]:
    """[first, end) token indices of each template value in the suffix `ids`."""
    ends = [len(decode(ids[: k + 1])) for k in range(len(ids))]  # characters decoded after each token
    found = {}
    for name, (start, stop) in template.spans(decode(ids)).items():
        first = next(k for k, e in enumerate(ends) if e > start)
        last = next(k for k, e in enumerate(ends) if e >= stop)
        found[name] = (first, last + 1)
    return found


class MetadataPrediction:
    """Counts, per template field, the suffix values a model (on `device`) predicts exactly; `add` one document
    at a time."""

    def __init__(self, model, decode, template: PrefixTemplate, context: int, device: torch.device | str = "cpu"):
        self.model, self.decode, self.template, self.context, self.device = model, decode, template, context, device
        self.scored, self.correct, self.without = Counter(), Counter(), 0

    @torch.no_grad()
    def add(self, tokens: np.ndarray, start: int, end: int) -> None:
        """Score the values of the suffix at tokens[start:end] of one conditioned document."""
        if start == end:
            self.without += 1
            return
        values = value_tokens(tokens[start:end].tolist(), self.decode, self.template)
        if not values:
            return
        stop = start + max(e for _, e in values.values())
        lo = max(0, stop - (self.context + 1))  # the window ends at the last value token
        window = torch.as_tensor(tokens[lo:stop].astype(np.int64), device=self.device)[None]
        predicted = self.model(window[:, :-1])[0].argmax(-1).cpu().numpy()  # predicted[j]: the token at lo + j + 1
        for name, (first, last) in values.items():
            at = np.arange(start + first, start + last)
            self.scored[name] += 1
            self.correct[name] += bool(np.array_equal(predicted[at - lo - 1], tokens[at]))

    def report(self) -> dict:
        return {
            "documents_without_metadata": self.without,
            "fields": {
                name: {"count": n, "correct": self.correct[name], "accuracy": self.correct[name] / n}
                for name, n in self.scored.items()
            },
        }
