"""The learning rate as a pure function of the step, so a resumed run needs only the step to continue it.

One schedule spans the whole run, across MeCo's switch from conditioned to cooldown data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import OptionError


@dataclass(frozen=True, kw_only=True)
class Schedule:
    lr: float
    steps: int
    warmup: float = 0.05  # fraction of steps (the paper: 5%)
    warmup_steps: int | None = None  # in steps, overriding `warmup`: then budgets share the schedule up to a decay
    min_lr_ratio: float = 0.1  # the paper decays to 10% of the peak
    kind: str = "cosine"  # or "wsd": warmup, stable, then linear decay over the last `decay` fraction
    decay: float = 0.2  # wsd only (Hägele et al. 2024, arXiv:2405.18392)

    def __post_init__(self):
        if self.kind not in ("cosine", "wsd"):
            raise OptionError(f"schedule {self.kind!r}: choose cosine or wsd")

    def __call__(self, step: int) -> float:
        """Learning rate of optimizer step `step` (0-based)."""
        warmup = self.warmup_steps if self.warmup_steps is not None else round(self.warmup * self.steps)
        if step < warmup:
            return self.lr * (step + 1) / warmup
        floor = self.lr * self.min_lr_ratio
        if self.kind == "cosine":
            progress = (step - warmup) / max(1, self.steps - warmup)
            return floor + (self.lr - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        decay_steps = round(self.decay * self.steps)
        into_decay = step - (self.steps - decay_steps)
        if into_decay < 0:
            return self.lr
        return self.lr - (self.lr - floor) * (into_decay + 1) / decay_steps
