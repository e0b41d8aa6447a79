"""A checkpoint ready for inference: its model, the prepared folder it was trained on, that folder's
tokenizer and metadata template.

CKPT is a training output folder (its newest checkpoint is used) or one `checkpoints/step-XXXXXXX/` folder.
The data folder comes from the run's checkpoint state unless `--data` points elsewhere: the manifest is what
says how the prefix was rendered and tokenized in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import torch

from ..errors import MecoError
from ..shards import Manifest, PrefixTemplate
from ..tokenizer import TextTokenizer, load_recorded_tokenizer
from ..trainer import checkpoint
from ..trainer.model import ModelConfig, Transformer
from ..trainer.runtime import resolve_device


class InferenceError(MecoError, ValueError):
    """A checkpoint, data folder or option inference cannot use; the message names the path or value."""


@dataclass
class Loaded:
    """A trained model with everything needed to feed it text as it was trained."""

    path: Path  # the checkpoint folder
    state: checkpoint.CheckpointState
    data: Path  # the prepared folder whose manifest gives tokenizer and template
    manifest: Manifest
    model: Transformer

    @property
    def device(self) -> torch.device:
        return self.model.output.weight.device

    @property
    def config(self) -> ModelConfig:
        return self.model.cfg

    @property
    def seq_len(self) -> int:
        """The training context: sequences of seq_len inputs."""
        return self.state.seq_len

    @cached_property
    def tokenizer(self) -> TextTokenizer:
        return load_recorded_tokenizer(self.manifest.tokenizer)

    @property
    def template(self) -> PrefixTemplate:
        return self.manifest.prefix_template

    @property
    def kinds(self) -> list[str]:
        return list(self.manifest.kinds)

    @property
    def has_bos(self) -> bool:
        return self.manifest.bos_id is not None


def data_folder(ckpt: Path, state: checkpoint.CheckpointState, data: str | Path | None) -> Path:
    """`--data` if given, else the run's recorded data folder, which must still exist."""
    if data is not None:
        return Path(data)
    if not state.data.is_dir():
        raise InferenceError(
            f"{ckpt}: the run's data folder {state.data} is gone; pass --data with "
            "the prepared folder (its manifest gives the tokenizer and metadata template)"
        )
    return state.data


def load(
    ckpt: str | Path, data: str | Path | None = None, max_seq_len: int = 0, device: str | torch.device = "cpu"
) -> Loaded:
    """Load the model of CKPT in eval mode onto `device` (`resolve_device`; its float32 weights as trained);
    rotary tables cover max(max_seq_len, training seq_len)."""
    device = resolve_device(device)
    path = checkpoint.resolve(ckpt)
    model, state = checkpoint.load_model(path, max_seq_len)  # on the CPU
    root = data_folder(path, state, data)
    manifest = Manifest.read(root)
    if manifest.vocab_size > model.cfg.vocab_size:
        raise InferenceError(
            f"{manifest.describe()}: a vocabulary of {manifest.vocab_size:,} ids does not fit "
            f"the model's {model.cfg.vocab_size:,} embedding rows; --data names another tokenizer's folder"
        )
    return Loaded(path=path, state=state, data=root, manifest=manifest, model=model.to(device))
