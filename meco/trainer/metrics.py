"""Per-step metrics as JSON lines, and model FLOPs utilisation against the accelerator's peak."""

from __future__ import annotations

import json
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


def mfu(flops_per_token: float, tokens_per_s: float, peak: float | None, world_size: int) -> float | None:
    """Achieved over peak FLOPs of all ranks; None where the peak is unknown (CPU)."""
    return flops_per_token * tokens_per_s / (peak * world_size) if peak else None


class MetricsLog:
    """OUT/metrics.jsonl, appended to so that a resumed run continues the same file."""

    def __init__(self, path: Path, enabled: bool, resume_step: int):
        self.path, self.enabled = path, enabled
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            _truncate_after(path, resume_step)

    def write(self, record: dict) -> None:
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps(record) + "\n")


def _truncate_after(path: Path, step: int) -> None:
    """Drop lines past the checkpoint we resume from: those steps are about to be run again."""
    if not path.exists():
        return
    lines = [line for line in path.read_text().splitlines() if line and json.loads(line).get("step", 0) <= step]
    path.write_text("".join(line + "\n" for line in lines))


class ProgressBar:
    """A step bar with phase and loss on rank 0 when stderr is a terminal; nothing otherwise (logs, CI)."""

    def __init__(self, total: int, initial: int, enabled: bool):
        show = enabled and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True) if show else None

    def update(self, record: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(phase=record["phase"], loss=f"{record['loss']:.4f}", refresh=False)
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
