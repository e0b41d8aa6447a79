"""Checkpoints under OUT/checkpoints/step-XXXXXXX/, written to a temporary folder and renamed when complete.

model/         the model's weights, a torch.distributed.checkpoint (DCP) folder: each rank writes its
               shards (FSDP) or one writer per tensor (replicas), keyed by parameter name without DDP,
               compile or checkpoint-wrapper prefixes, so any number of ranks and either parallelism
               read it back, and one process reads it without a process group (`load_model`)
optimizer/     AdamW state, DCP, keyed by parameter name (torch.distributed.checkpoint.state_dict)
rng.pt         rank 0's torch, numpy and python RNG states, restored on every rank. No training computation
               draws from them (the model has no dropout; the loader permutes with its own seeded
               generator), so they cannot tie a resume to the number of ranks
state.json     step, tokens, data cursor, model config and schedule: what resume needs besides tensors

Checkpoints of earlier versions (model.pt, optimizer.pt, rng-RANK.pt) still load for inference, and resume
without FSDP. `CheckpointState` is state.json's schema; this module is the only one that names a
checkpoint's files, so training and inference both read checkpoints through it.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.tensor import DTensor

from ..errors import MecoError
from .model import ModelConfig, Transformer

PREFIX = "step-"
STATE, MODEL, OPTIMIZER, RNG = "state.json", "model", "optimizer", "rng.pt"
LEGACY_MODEL, LEGACY_OPTIMIZER = "model.pt", "optimizer.pt"  # before distributed checkpoints


class CheckpointError(MecoError, ValueError):
    """A checkpoint that cannot be resumed into this run; the message names the file."""


@dataclass(frozen=True)
class CheckpointState:
    """state.json: everything a resume or an inference load needs besides the tensors."""

    step: int
    tokens: int
    cursor: dict  # the loader's position (data.Cursor)
    model: dict  # ModelConfig fields
    schedule: dict  # Schedule fields
    world_size: int
    config: dict  # TrainConfig fields of the run that wrote it

    @property
    def seq_len(self) -> int:
        """The training context: sequences of seq_len inputs."""
        return int(self.config["seq_len"])

    @property
    def data(self) -> Path:
        """The prepared folder the run trained on."""
        return Path(self.config["data"])

    def model_config(self) -> ModelConfig:
        return ModelConfig(**self.model)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def read(cls, folder: Path) -> CheckpointState:
        """Load and check `folder/state.json`; a problem is one CheckpointError naming the file and field."""
        path = Path(folder) / STATE
        try:
            obj = json.loads(path.read_bytes())
        except FileNotFoundError as e:
            raise CheckpointError(f"{path}: missing; {folder} is not a complete checkpoint") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CheckpointError(f"{path}: not valid JSON ({e}); the checkpoint is damaged") from e
        expected = {f.name: int if f.type == "int" else dict for f in fields(cls)}
        if not isinstance(obj, dict):
            raise CheckpointError(f"{path}: not a JSON object; the checkpoint is damaged")
        for name, kind in expected.items():
            if not isinstance(obj.get(name), kind) or isinstance(obj.get(name), bool):
                raise CheckpointError(f"{path}: field {name}: {obj.get(name)!r} is not {kind.__name__}")
        state = cls(**{name: obj[name] for name in expected})
        for key in ("seq_len", "data"):
            if key not in state.config:
                raise CheckpointError(f"{path}: field config.{key}: missing")
        try:
            state.model_config()
        except TypeError as e:
            raise CheckpointError(f"{path}: field model: {e}") from e
        return state


def step_dir(out: Path, step: int) -> Path:
    return out / "checkpoints" / f"{PREFIX}{step:07d}"


def latest(out: Path) -> Path | None:
    """The newest complete checkpoint (temporary folders never match the step-XXXXXXX pattern)."""
    found = sorted(p for p in (out / "checkpoints").glob(PREFIX + "*") if p.name[len(PREFIX) :].isdigit())
    return found[-1] if found else None


def resolve(path: str | Path) -> Path:
    """The checkpoint folder itself, or the newest one under a training output folder."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such checkpoint or training output folder")
    if (path / STATE).is_file():
        if not ((path / MODEL / ".metadata").is_file() or (path / LEGACY_MODEL).is_file()):
            raise CheckpointError(f"{path / MODEL}: missing; {path} is not a complete checkpoint")
        return path
    found = latest(path)
    if found is None:
        raise CheckpointError(
            f"{path}: neither a checkpoint ({STATE}, {MODEL}/) nor a run folder with checkpoints/{PREFIX}*"
        )
    return found


def rng_state() -> dict:
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "cuda": torch.cuda.get_rng_state() if torch.cuda.is_available() else None,  # this rank's device only
    }


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if state["cuda"] is not None and torch.cuda.is_available():
        cuda = state["cuda"]  # earlier versions kept every visible device's state; rank 0's device comes first
        torch.cuda.set_rng_state(cuda[0] if isinstance(cuda, list) else cuda)


@contextlib.contextmanager
def single_process_quietly():
    """DCP warns on every save and load without a process group; one process without one is meant here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled, unavailable or uninitialized")
        yield


def save(out: Path, state: CheckpointState, model, optimizer, rank: int, barrier) -> Path:
    """Every rank writes its part of model/ and optimizer/ (collective calls); rank 0 writes the RNG states
    and state.json last, and renames the folder into place."""
    final = step_dir(out, state.step)
    tmp = final.with_name(f".tmp-{final.name}")
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    barrier()
    weights, moments = get_state_dict(model, optimizer)
    with single_process_quietly():
        dcp.save(weights, checkpoint_id=tmp / MODEL, no_dist=not dist.is_initialized())
        dcp.save(moments, checkpoint_id=tmp / OPTIMIZER, no_dist=not dist.is_initialized())
    barrier()
    if rank == 0:
        torch.save(rng_state(), tmp / RNG)
        (tmp / STATE).write_text(json.dumps(state.to_json(), indent=2) + "\n")
        if final.exists():  # a rerun of the same step after a crash
            shutil.rmtree(final)
        tmp.rename(final)
    barrier()
    return final


def load(path: Path, model, optimizer, model_config: ModelConfig) -> CheckpointState:
    """Restore tensors and RNG in place after checking the model shape; the model may be sharded or not, over
    any number of ranks, whatever wrote the checkpoint."""
    state = CheckpointState.read(path)
    if state.model_config() != model_config:
        saved, now = asdict(state.model_config()), asdict(model_config)
        diff = {k: (saved.get(k), v) for k, v in now.items() if saved.get(k) != v}
        raise CheckpointError(f"{path / STATE}: saved for another model shape (saved, now): {diff}")
    if (path / LEGACY_MODEL).is_file():
        load_legacy(path, model, optimizer)
        return state
    weights, moments = get_state_dict(model, optimizer)
    with single_process_quietly():
        dcp.load(weights, checkpoint_id=path / MODEL, no_dist=not dist.is_initialized())
        dcp.load(moments, checkpoint_id=path / OPTIMIZER, no_dist=not dist.is_initialized())
    set_state_dict(model, optimizer, model_state_dict=weights, optim_state_dict=moments)
    set_rng_state(torch.load(path / RNG, weights_only=False))
    return state


def load_legacy(path: Path, model, optimizer) -> None:
    """model.pt and optimizer.pt of a meco before distributed checkpoints: whole tensors, the optimizer's
    state keyed by position, so only an unsharded model takes them."""
    if any(isinstance(p, DTensor) for p in model.parameters()):
        raise CheckpointError(
            f"{path / LEGACY_MODEL}: written before sharded checkpoints; resume it with --parallel ddp (the next "
            "checkpoint it writes resumes under either)"
        )
    model.load_state_dict(torch.load(path / LEGACY_MODEL, map_location="cpu", weights_only=True))
    optimizer.load_state_dict(torch.load(path / LEGACY_OPTIMIZER, map_location="cpu", weights_only=True))
    set_rng_state(torch.load(path / "rng-0.pt", weights_only=False))


def load_model(path: Path, max_seq_len: int = 0) -> tuple[Transformer, CheckpointState]:
    """The model of checkpoint folder `path` on the CPU in eval mode, rotary tables covering
    max(max_seq_len, training seq_len), and its state. Reads the distributed checkpoint in this one
    process (no process group), whatever number of ranks wrote it."""
    state = CheckpointState.read(path)
    model = Transformer(state.model_config(), max(max_seq_len, state.seq_len))
    if (path / LEGACY_MODEL).is_file():
        weights = torch.load(path / LEGACY_MODEL, map_location="cpu", weights_only=True)
    else:
        weights = model.state_dict()
        with single_process_quietly():
            dcp.load(weights, checkpoint_id=path / MODEL, no_dist=True)
    model.load_state_dict(weights)
    return model.eval(), state
