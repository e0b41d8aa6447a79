"""Per-step metrics as JSON lines, and model FLOPs utilisation against the accelerator's peak."""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from pathlib import Path

import torch
from tqdm import tqdm

PEAK_BF16_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 125e12, "L4": 121e12}


def peak_flops(device: torch.device) -> float | None:
    """Dense bf16 peak of the GPU (per device), None on CPU or an unknown GPU."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((flops for key, flops in PEAK_BF16_FLOPS.items() if key in name), None)


def peak_memory(device: torch.device) -> float:
    """This process's peak memory in GiB: the CUDA allocator's peak allocation on GPU, the peak resident set
    (Linux's ru_maxrss, KiB) on CPU, which also counts the interpreter and libraries."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def mfu(flops_per_token: float, tokens_per_s: float, peak: float | None, world_size: int) -> float | None:
    """Achieved over peak FLOPs of all ranks; None where the peak is unknown (CPU)."""
    return flops_per_token * tokens_per_s / (peak * world_size) if peak else None


class MetricsLog:
    """OUT/metrics.jsonl, appended to so that a resumed run continues the same file. Each record is strict
    JSON: a non-finite number is written as null."""

    def __init__(self, path: Path, enabled: bool, resume_step: int, log=print):
        self.path, self.enabled = path, enabled
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            _rewrite(path, path, resume_step, log)

    def write(self, record: dict) -> None:
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps(finite(record), allow_nan=False) + "\n")


def finite(record: dict) -> dict:
    """`record` with NaN and infinities as None: JSON has no literal for them (json.dumps would write NaN)."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}


def write_json(path: Path, obj: dict) -> None:
    """Strict JSON, written to `path.partial` and renamed, so `path` is always complete."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(finite(obj), indent=2, allow_nan=False) + "\n")
    os.replace(partial, path)


def copy_history(source: Path, path: Path, step: int, log=print) -> None:
    """Start `path` with the records of `source` up to `step`: a run branched from another one's checkpoint
    carries the curve that led there."""
    if source.exists():
        _rewrite(source, path, step, log)


def _rewrite(source: Path, path: Path, step: int, log) -> None:
    """Write the records of `source` up to `step` to `path` (through `path.partial`, renamed: a crash leaves
    either file whole). Later records are dropped because those steps are about to be run again; a line that
    is not a JSON record (a write cut by a kill) is dropped with a warning."""
    if not source.exists():
        return
    kept, cut = [], []
    for number, line in enumerate(source.read_bytes().splitlines(), 1):
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("step", 0), int):
            if line.strip():
                cut.append(number)
            continue
        if record.get("step", 0) <= step:
            kept.append(line + b"\n")
    if cut:
        log(f"warning: {source}: dropped line {', '.join(map(str, cut))}, not a complete JSON record (a cut write)")
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"".join(kept))
    os.replace(partial, path)


class ProgressBar:
    """A step bar with phase and loss on rank 0 when stderr is a terminal; nothing otherwise (logs, CI)."""

    def __init__(self, total: int, initial: int, enabled: bool):
        show = enabled and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True) if show else None

    def update(self, record: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(phase=record["phase"], loss=_loss(record["loss"]), refresh=False)
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _loss(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def summary_line(summary: dict) -> str:
    """The end-of-run summary for people; summary.json has the same numbers for scripts."""
    val = ""
    if "val_loss_conditioned" in summary:
        val = (
            f", held-out loss {_loss(summary['val_loss_conditioned'])} with metadata / "
            f"{_loss(summary['val_loss_cooldown'])} without"
        )
    stream = ""
    if "target_tokens" in summary:
        share = summary["metadata_share"]
        stream = (
            f", {summary['target_tokens']:,} document tokens trained"
            f" ({'n/a' if share is None else f'{share:.0%}'} of documents with metadata,"
            f" {summary['tokens_dropped']:,} dropped by {summary['packing']} packing)"
        )
    return (
        f"summary: {summary['steps']:,} steps, {summary['tokens']:,} tokens (cooldown from step "
        f"{summary['switch_step']:,}), final loss {_loss(summary['final_loss'])}{val}{stream}, "
        f"{summary['tokens_per_s']:,.0f} tokens/s, {summary['wall_s']:.1f} s -> {summary['out']}/summary.json"
    )
