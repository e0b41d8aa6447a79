"""`meco generate`: text in, metadata prefix + prompt as the model saw documents in training, text out."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..tokenizer import TextTokenizer
from .conditioning import prefix_ids
from .decoding import Sampling, generate
from .loading import InferenceError, Loaded


@dataclass
class Completion:
    prefix: list[int]  # BOS (if any) and the metadata prefix
    prompt: list[int]
    new: list[int]  # generated, EOS included when it stopped there

    def texts(self, tokenizer: TextTokenizer) -> tuple[str, str, str]:
        """Prefix, prompt and continuation decoded (EOS left out of the continuation)."""
        new = self.new[:-1] if self.new and self.new[-1] == tokenizer.eos_id else self.new
        return tokenizer.decode(self.prefix), tokenizer.decode(self.prompt), tokenizer.decode(new)


def allowed_ids(tokenizer: TextTokenizer, rows: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(rows,) bool on `device`: ids the tokenizer can decode. Embedding rows past the vocabulary (rounded up to a
    multiple of 128) and gaps in it (cl100k has no ids 100256 and 100261-100275) were never trained."""
    ids = tokenizer.valid_ids()
    mask = torch.zeros(rows, dtype=torch.bool, device=device)
    mask[torch.tensor([i for i in ids if i < rows], device=device)] = True
    return mask


def complete(
    loaded: Loaded,
    prompt: str,
    metadata: list[str],
    sampling: Sampling,
    max_new_tokens: int,
    seed: int,
    guidance: float | None = None,
) -> Completion:
    """A continuation of `prompt` behind the `metadata` prefix; with `guidance` g, context-guided sampling that
    weighs the metadata g times (1: plain conditional sampling; the unconditional context is the prompt alone)."""
    tok = loaded.tokenizer
    prefix = prefix_ids(loaded, metadata)
    prompt_ids = tok.encode_batch([prompt])[0] if prompt else []
    guide = None
    if guidance is not None:
        if not metadata:
            raise InferenceError("--guidance weighs the --metadata prefix against none: give --metadata too")
        guide = prefix_ids(loaded, []) + prompt_ids
        if not guide:
            raise InferenceError(
                "--guidance needs a --prompt: without one (and without BOS) the unguided context is empty"
            )
    loaded.model.extend_positions(len(prefix) + len(prompt_ids) + max_new_tokens)
    new = generate(
        loaded.model,
        prefix + prompt_ids,
        max_new_tokens,
        sampling,
        tok.eos_id,
        allowed_ids(tok, loaded.config.vocab_size, loaded.device),
        seed,
        guide=guide,
        guidance=1.0 if guidance is None else guidance,
    )
    return Completion(prefix, prompt_ids, new)
