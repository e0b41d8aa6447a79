"""Means with 95% intervals over seeds, and paired differences (the same seed in both arms).

Student's t: with 5 seeds the normal 1.96 would understate the interval by 30%. Two-sided 97.5% quantiles
for 1 to 30 degrees of freedom are written out (from any t table) rather than taking on scipy for them;
beyond 30 the normal quantile is within 2%.
"""

from __future__ import annotations

import math
import statistics

T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip


def t975(df: int) -> float:
    return T975[df - 1] if df <= len(T975) else 1.96


def interval(values: list[float]) -> dict:
    """Mean, the half-width of its 95% t interval (None for a single value), the bounds and n."""
    n = len(values)
    mean = statistics.fmean(values)
    half = t975(n - 1) * statistics.stdev(values) / math.sqrt(n) if n > 1 else None
    low, high = (mean - half, mean + half) if half is not None else (None, None)
    return {"mean": mean, "half": half, "low": low, "high": high, "n": n}


def paired(a: dict[int, float], b: dict[int, float]) -> dict:
    """The interval of a - b over the seeds both have, and how many of them have a < b."""
    seeds = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in seeds]
    return interval(diffs) | {"below": sum(d < 0 for d in diffs)}


def verdict(stat: dict, lower_is_better: bool) -> str:
    """'better', 'worse' or 'no difference shown' for a paired difference a - b, by its 95% interval."""
    if stat["half"] is None:
        return "one seed: no interval"
    if stat["high"] < 0:
        return "better" if lower_is_better else "worse"
    if stat["low"] > 0:
        return "worse" if lower_is_better else "better"
    return "no difference shown"
