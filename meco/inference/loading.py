"""A checkpoint ready for inference: its model, the prepared folder it was trained on, that folder's
tokenizer and metadata template.

CKPT is a training output folder (its newest checkpoint is used) or one `checkpoints/step-XXXXXXX/` folder.
The data folder comes from the run's `state.json` unless `--data` points elsewhere: the manifest is what
says how the prefix was rendered and tokenized in training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import torch

from ..errors import MecoError
from ..pipeline.metadata import PrefixTemplate
from ..shards import read_manifest
from ..tokenizer import TextTokenizer, load_recorded_tokenizer
from ..trainer import checkpoint
from ..trainer.model import ModelConfig, Transformer


class InferenceError(MecoError, ValueError):
    """A checkpoint, data folder or option inference cannot use; the message names the path or value."""


def resolve_checkpoint(path: str | Path) -> Path:
    """The checkpoint folder itself, or the newest one under a training output folder."""
    path = Path(path)
    if not path.is_dir():
        raise InferenceError(f"{path}: no such checkpoint or training output folder")
    if (path / "state.json").is_file():
        if not (path / "model.pt").is_file():
            raise InferenceError(f"{path / 'model.pt'}: missing; {path} is not a complete checkpoint")
        return path
    found = checkpoint.latest(path)
    if found is None:
        raise InferenceError(
            f"{path}: neither a checkpoint (state.json, model.pt) nor a run folder with checkpoints/step-*"
        )
    return found


@dataclass
class Loaded:
    """A trained model with everything needed to feed it text as it was trained."""

    path: Path  # the checkpoint folder
    state: dict  # its state.json
    data: Path  # the prepared folder whose manifest gives tokenizer and template
    manifest: dict
    model: Transformer

    @property
    def config(self) -> ModelConfig:
        return self.model.cfg

    @property
    def seq_len(self) -> int:
        """The training context: sequences of seq_len inputs."""
        return int(self.state["config"]["seq_len"])

    @cached_property
    def tokenizer(self) -> TextTokenizer:
        return load_recorded_tokenizer(self.manifest["tokenizer"])

    @cached_property
    def template(self) -> PrefixTemplate | None:
        """The prefix template of the manifest; None for a folder written without one."""
        text = self.manifest.get("metadata", {}).get("template")
        return PrefixTemplate(text) if text else None

    @property
    def kinds(self) -> list[str]:
        return list(self.manifest.get("metadata", {}).get("kinds", []))


def data_folder(ckpt: Path, state: dict, data: str | Path | None) -> Path:
    """`--data` if given, else the run's recorded data folder, which must still exist."""
    if data is not None:
        return Path(data)
    recorded = Path(state["config"]["data"])
    if not recorded.is_dir():
        raise InferenceError(
            f"{ckpt / 'state.json'}: the run's data folder {recorded} is gone; pass --data with "
            "the prepared folder (its manifest gives the tokenizer and metadata template)"
        )
    return recorded


def load(ckpt: str | Path, data: str | Path | None = None, max_seq_len: int = 0) -> Loaded:
    """Load the model of CKPT on the CPU in eval mode; rotary tables cover max(max_seq_len, training seq_len)."""
    path = resolve_checkpoint(ckpt)
    state = json.loads((path / "state.json").read_text())
    root = data_folder(path, state, data)
    manifest = read_manifest(root)
    cfg = ModelConfig(**state["model"])
    if int(manifest["vocab_size"]) > cfg.vocab_size:
        raise InferenceError(
            f"{root / 'manifest.json'}: a vocabulary of {manifest['vocab_size']:,} ids does not fit "
            f"the model's {cfg.vocab_size:,} embedding rows; --data names another tokenizer's folder"
        )
    model = Transformer(cfg, max(max_seq_len, int(state["config"]["seq_len"])))
    model.load_state_dict(torch.load(path / "model.pt", map_location="cpu", weights_only=True))
    return Loaded(path=path, state=state, data=root, manifest=manifest, model=model.eval())
