"""Checkpoints under OUT/checkpoints/step-XXXXXXX/, written to a temporary folder and renamed when complete.

model.pt       model state dict (unwrapped: no DDP or torch.compile prefixes)
optimizer.pt   AdamW state
rng-RANK.pt    torch, numpy and python RNG states of each rank
state.json     step, tokens, data cursor, model config and schedule: what resume needs besides tensors
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from ..errors import MecoError

PREFIX = "step-"


class CheckpointError(MecoError, ValueError):
    """A checkpoint that cannot be resumed into this run; the message names the file."""


def step_dir(out: Path, step: int) -> Path:
    return out / "checkpoints" / f"{PREFIX}{step:07d}"


def latest(out: Path) -> Path | None:
    """The newest complete checkpoint (temporary folders never match the step-XXXXXXX pattern)."""
    found = sorted(p for p in (out / "checkpoints").glob(PREFIX + "*") if p.name[len(PREFIX) :].isdigit())
    return found[-1] if found else None


def rng_state() -> dict:
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(out: Path, step: int, model, optimizer, state: dict, rank: int, barrier) -> Path:
    """Every rank writes its RNG state; rank 0 writes the rest and renames the folder into place."""
    final = step_dir(out, step)
    tmp = final.with_name(f".tmp-{final.name}")
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    barrier()
    torch.save(rng_state(), tmp / f"rng-{rank}.pt")
    if rank == 0:
        torch.save(model.state_dict(), tmp / "model.pt")
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        (tmp / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    barrier()
    if rank == 0:
        if final.exists():  # a rerun of the same step after a crash
            shutil.rmtree(final)
        tmp.rename(final)
    barrier()
    return final


def load(path: Path, model, optimizer, rank: int, model_config: dict) -> dict:
    """Restore tensors and RNG in place after checking the model shape; return state.json's content."""
    state = json.loads((path / "state.json").read_text())
    if state["model"] != model_config:
        diff = {k: (state["model"].get(k), v) for k, v in model_config.items() if state["model"].get(k) != v}
        raise CheckpointError(f"{path / 'state.json'}: saved for another model shape (saved, now): {diff}")
    model.load_state_dict(torch.load(path / "model.pt", map_location="cpu", weights_only=True))
    optimizer.load_state_dict(torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True))
    rng = path / f"rng-{rank}.pt"
    if not rng.is_file():
        raise CheckpointError(f"{rng}: missing; the checkpoint was written by fewer ranks than this run has")
    set_rng_state(torch.load(rng, weights_only=False))
    return state
