"""Checkpoints under OUT/checkpoints/step-XXXXXXX/, written to a temporary folder and renamed when complete.

model/         the model's weights, a torch.distributed.checkpoint (DCP) folder: each rank writes its
               shards (FSDP) or one writer per tensor (replicas), keyed by parameter name without DDP,
               compile or checkpoint-wrapper prefixes, so any number of ranks and either parallelism
               read it back, and one process reads it without a process group (`load_model`)
optimizer/     AdamW state, DCP, keyed by parameter name (torch.distributed.checkpoint.state_dict)
rng.pt         rank 0's torch, numpy and python RNG states, restored on every rank. No training computation
               draws from them (the model has no dropout; the loader permutes with its own seeded
               generator), so they cannot tie a resume to the number of ranks
state.json     step, tokens, data cursor, model config and schedule: what resume needs besides tensors; the
               sha256 of every other file in the folder and of its own content; written last

`CheckpointState` is state.json's schema; this module is the only one that names a checkpoint's files, so
training and inference both read checkpoints through it. Nothing reads a checkpoint before `verify` has
checked every digest: `newest` and `resolve` skip a damaged newest checkpoint for the previous good one with
a warning. Checkpoints written before digests were recorded still load, with a warning that they are
unverified; those of meco before distributed checkpoints (model.pt, optimizer.pt, rng-RANK.pt) load for
inference, and resume without FSDP.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import shutil
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint import CheckpointException
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.tensor import DTensor

from ..errors import MecoError
from ..shards import sha256_file
from .model import ModelConfig, Transformer

PREFIX = "step-"
STATE, MODEL, OPTIMIZER, RNG = "state.json", "model", "optimizer", "rng.pt"
LEGACY_MODEL, LEGACY_OPTIMIZER = "model.pt", "optimizer.pt"  # before distributed checkpoints
SELF_DIGEST = "state_sha256"  # state.json's own digest, over everything but SELF_DIGEST and config.data


class CheckpointError(MecoError, ValueError):
    """A checkpoint that cannot be resumed into this run; the message names the file."""


def warn(message: str) -> None:
    """The default for a warning that lets the command go on (a damaged checkpoint skipped, an unverified one)."""
    print(f"warning: {message}", file=sys.stderr)


@dataclass(frozen=True)
class CheckpointState:
    """state.json: everything a resume or an inference load needs besides the tensors."""

    step: int
    tokens: int
    cursor: dict  # the loader's position (data.Cursor)
    model: dict  # ModelConfig fields
    schedule: dict  # Schedule fields
    world_size: int
    config: dict  # TrainConfig fields of the run that wrote it (config.data: the absolute data folder)
    files: dict = field(default_factory=dict)  # every other file in the folder, by relative path: its sha256
    data_sha256: str = ""  # of the training data's manifest.json: the data's identity
    skipped: int = 0  # steps so far without an update for a non-finite loss or gradient norm

    @property
    def seq_len(self) -> int:
        """The training context: sequences of seq_len inputs."""
        return int(self.config["seq_len"])

    @property
    def data(self) -> Path:
        """The prepared folder the run trained on."""
        return Path(self.config["data"])

    @property
    def verified(self) -> bool:
        """Whether the checkpoint records digests (meco before them did not)."""
        return bool(self.files)

    def model_config(self) -> ModelConfig:
        return ModelConfig(**self.model)

    def to_json(self) -> dict:
        obj = asdict(self)
        return {**obj, SELF_DIGEST: _content_sha256(obj)}

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
        if not isinstance(obj, dict):
            raise CheckpointError(f"{path}: not a JSON object; the checkpoint is damaged")
        digest = obj.pop(SELF_DIGEST, None)
        if (digest is not None or obj.get("files")) and digest != _content_sha256(obj):
            raise CheckpointError(f"{path}: its content does not match its {SELF_DIGEST}; the checkpoint is damaged")
        kinds = {"int": int, "dict": dict, "str": str}
        for f in fields(cls):
            if f.name not in obj and f.default is MISSING and f.default_factory is MISSING:
                raise CheckpointError(f"{path}: field {f.name}: missing")
            value = obj.get(f.name, MISSING)
            if value is not MISSING and (not isinstance(value, kinds[f.type]) or isinstance(value, bool)):
                raise CheckpointError(f"{path}: field {f.name}: {value!r} is not {f.type}")
        state = cls(**{f.name: obj[f.name] for f in fields(cls) if f.name in obj})
        for key in ("seq_len", "data"):
            if key not in state.config:
                raise CheckpointError(f"{path}: field config.{key}: missing")
        for name, digest in state.files.items():
            if Path(name).is_absolute() or ".." in Path(name).parts or not isinstance(digest, str):
                raise CheckpointError(f"{path}: field files: {name!r}: {digest!r} is not a file in the checkpoint")
        try:
            state.model_config()
        except TypeError as e:
            raise CheckpointError(f"{path}: field model: {e}") from e
        return state


def _content_sha256(obj: dict) -> str:
    """The digest of a state's content. `config.data` is left out: it says where the data is, and may be
    corrected by hand when a prepared folder moves; `data_sha256` pins what the data is."""
    config = obj.get("config")
    if isinstance(config, dict):
        config = {k: v for k, v in config.items() if k != "data"}
    canonical = json.dumps({**obj, "config": config}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def step_dir(out: Path, step: int) -> Path:
    return out / "checkpoints" / f"{PREFIX}{step:07d}"


def is_step_dir(path: Path) -> bool:
    """Whether `path` is named like a final checkpoint (temporary folders never are)."""
    return path.name.startswith(PREFIX) and path.name[len(PREFIX) :].isdigit()


def latest(out: Path) -> Path | None:
    """The newest final-named checkpoint, verified or not (see `newest`)."""
    found = sorted(p for p in (out / "checkpoints").glob(PREFIX + "*") if is_step_dir(p))
    return found[-1] if found else None


def verify(folder: Path) -> CheckpointState:
    """The checkpoint's state once state.json and every file it lists check out; a CheckpointError naming
    the first file that is missing or whose sha256 differs. Files are hashed in threads (hashlib releases
    the GIL), so a sharded checkpoint of many files verifies at disk speed."""
    folder = Path(folder)
    state = CheckpointState.read(folder)
    if not state.verified:
        if not ((folder / MODEL / ".metadata").is_file() or (folder / LEGACY_MODEL).is_file()):
            raise CheckpointError(f"{folder / MODEL}: missing; {folder} is not a complete checkpoint")
        return state
    names = sorted(state.files)
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise CheckpointError(f"{folder / missing[0]}: missing; {folder} is not a complete checkpoint")
    with ThreadPoolExecutor(min(8, len(names))) as pool:
        digests = list(pool.map(lambda name: sha256_file(folder / name), names))
    for name, digest in zip(names, digests, strict=True):
        if digest != state.files[name]:
            raise CheckpointError(f"{folder / name}: sha256 does not match {folder / STATE}; the file is damaged")
    return state


def newest(out: Path, warn=warn) -> Path | None:
    """The newest checkpoint under `out` that verifies; None when there is none at all. Each newer one that
    fails is skipped with a warning; when every one fails, the newest's error is raised."""
    found = sorted((p for p in (out / "checkpoints").glob(PREFIX + "*") if is_step_dir(p)), reverse=True)
    damaged = []
    for path in found:
        try:
            state = verify(path)
        except CheckpointError as e:
            damaged.append(e)
            continue
        for e in damaged:
            warn(f"{e}; using the previous complete checkpoint, {path}")
        if not state.verified:
            warn(f"{path}: written without sha256 digests (an older meco); loading it unverified")
        return path
    if damaged:
        raise CheckpointError(f"{damaged[0]} (and no earlier checkpoint under {out / 'checkpoints'} verifies)")
    return None


def resolve(path: str | Path, warn=warn) -> Path:
    """The checkpoint folder itself, or the newest good one under a training output folder; verified."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: no such checkpoint or training output folder")
    if (path / STATE).is_file() or is_step_dir(path):
        if not verify(path).verified:
            warn(f"{path}: written without sha256 digests (an older meco); loading it unverified")
        return path
    found = newest(path, warn)
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
    """Every rank writes its part of model/ and optimizer/ (collective calls); rank 0 writes the RNG states,
    then state.json with the digest of every file, and renames the folder into place. A failure removes the
    temporary folder and leaves the previous checkpoints as they were; a full disk is one CheckpointError
    saying so."""
    final = step_dir(out, state.step)
    tmp = final.with_name(f".tmp-{final.name}")
    try:
        if rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        barrier()
        weights, moments = get_state_dict(model, optimizer)
        with single_process_quietly():  # DCP fsyncs every file it writes
            dcp.save(weights, checkpoint_id=tmp / MODEL, no_dist=not dist.is_initialized())
            dcp.save(moments, checkpoint_id=tmp / OPTIMIZER, no_dist=not dist.is_initialized())
        if rank == 0:
            _write(tmp / RNG, lambda f: torch.save(rng_state(), f))
        barrier()
        if rank == 0:
            state = replace(state, files=digests(tmp))
            _write(tmp / STATE, lambda f: f.write((json.dumps(state.to_json(), indent=2) + "\n").encode()))
            _rename_into_place(tmp, final)
    except BaseException as e:
        if rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        if _disk_full(e):
            previous = latest(out)
            raise CheckpointError(
                f"{tmp}: no space left on device while writing the checkpoint of step {state.step:,} (removed); "
                f"{f'the previous checkpoint {previous} is intact' if previous else 'no earlier checkpoint'}; "
                "free space, then rerun with --resume"
            ) from e
        raise
    barrier()
    return final


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` but state.json, by path relative to it (whatever wrote them:
    torch.save files here, or a distributed checkpoint's shards)."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != STATE)
    with ThreadPoolExecutor(max(1, min(8, len(names)))) as pool:
        return dict(zip(names, pool.map(lambda name: sha256_file(folder / name), names), strict=True))


def _write(path: Path, write) -> None:
    """`write(file)` into `path`, flushed to disk. A Python file rather than a path for torch.save: through a
    path, torch's C++ writer reports a full disk as "unexpected pos", losing the errno."""
    with open(path, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def _rename_into_place(tmp: Path, final: Path) -> None:
    """Rename the complete folder to its final name, replacing a damaged checkpoint of the same step (one
    skipped by `newest`, now written again), and make the rename durable."""
    old = final.with_name(f".old-{final.name}")
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(e: BaseException | None) -> bool:
    """Whether `e`, an exception it was raised from, or one a DCP write failed with is a full disk or an
    exhausted quota."""
    while e is not None:
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(e, CheckpointException):
            return any(_disk_full(failure) for failure, _ in e.failures.values())
        e = e.__cause__ or e.__context__
    return False


def _torch_load(path: Path, weights_only: bool = True):
    """torch.load with any failure to read the file (truncated, not a torch file) as a CheckpointError."""
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except FileNotFoundError as e:
        raise CheckpointError(f"{path}: missing; the checkpoint is incomplete") from e
    except Exception as e:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for a damaged file
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: cannot be read ({reason}); the checkpoint is damaged") from e


def _load_into(target, path: Path) -> None:
    """`target.load_state_dict` from `path`, a mismatch (missing keys, other shapes) named by the file."""
    try:
        target.load_state_dict(_torch_load(path))
    except CheckpointError:
        raise
    except (RuntimeError, ValueError, KeyError) as e:
        reason = str(e).strip().splitlines()[0]
        raise CheckpointError(f"{path}: does not fit the model ({reason}); the checkpoint is damaged") from e


def _dcp_load(state_dict: dict, path: Path, alone: bool) -> None:
    """dcp.load into `state_dict` in place, any failure to read (a damaged or foreign folder) as a
    CheckpointError naming the folder."""
    try:
        with single_process_quietly():
            dcp.load(state_dict, checkpoint_id=path, no_dist=alone)
    except (CheckpointException, Exception) as e:  # CheckpointException is a BaseException
        failures = [failure for failure, _ in e.failures.values()] if isinstance(e, CheckpointException) else [e]
        said = [str(f).strip().splitlines()[0].split(". ")[0] for f in failures if str(f).strip()]
        reason = said[0] if said else type(failures[0]).__name__
        raise CheckpointError(f"{path}: cannot be read ({reason}); the checkpoint is damaged") from e


def load(path: Path, model, optimizer, model_config: ModelConfig) -> CheckpointState:
    """Restore tensors and RNG in place after checking the model shape; `path` comes verified from
    `newest` or `resolve`. The model may be sharded or not, over any number of ranks, whatever wrote the
    checkpoint."""
    state = CheckpointState.read(path)
    if state.model_config() != model_config:
        saved, now = asdict(state.model_config()), asdict(model_config)
        diff = {k: (saved.get(k), v) for k, v in now.items() if saved.get(k) != v}
        raise CheckpointError(f"{path / STATE}: saved for another model shape (saved, now): {diff}")
    if (path / LEGACY_MODEL).is_file():
        rng = load_legacy(path, model, optimizer)
    else:
        weights, moments = get_state_dict(model, optimizer)
        _dcp_load(weights, path / MODEL, alone=not dist.is_initialized())
        _dcp_load(moments, path / OPTIMIZER, alone=not dist.is_initialized())
        set_state_dict(model, optimizer, model_state_dict=weights, optim_state_dict=moments)
        rng = path / RNG
    try:
        set_rng_state(_torch_load(rng, weights_only=False))
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{rng}: not an RNG state ({e}); the checkpoint is damaged") from e
    return state


def load_legacy(path: Path, model, optimizer) -> Path:
    """model.pt and optimizer.pt of a meco before distributed checkpoints: whole tensors, the optimizer's
    state keyed by position, so only an unsharded model takes them. Returns the RNG file to restore."""
    if any(isinstance(p, DTensor) for p in model.parameters()):
        raise CheckpointError(
            f"{path / LEGACY_MODEL}: written before sharded checkpoints; resume it with --parallel ddp (the next "
            "checkpoint it writes resumes under either)"
        )
    _load_into(model, path / LEGACY_MODEL)
    _load_into(optimizer, path / LEGACY_OPTIMIZER)
    return path / "rng-0.pt"


def load_model(path: Path, max_seq_len: int = 0) -> tuple[Transformer, CheckpointState]:
    """The model of checkpoint folder `path` (verified by `resolve`) on the CPU in eval mode, rotary tables
    covering max(max_seq_len, training seq_len), and its state. Reads the distributed checkpoint in this
    one process (no process group), whatever number of ranks wrote it."""
    state = CheckpointState.read(path)
    model = Transformer(state.model_config(), max(max_seq_len, state.seq_len))
    if (path / LEGACY_MODEL).is_file():
        _load_into(model, path / LEGACY_MODEL)
    else:
        weights = model.state_dict()
        _dcp_load(weights, path / MODEL, alone=True)
        model.load_state_dict(weights)
    return model.eval(), state
