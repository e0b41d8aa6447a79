"""Sampling and the generation loop; the model's cached forward (`Transformer(tokens, cache=KVCache(...))`)
lets each new token attend to the keys and values of the tokens before it instead of recomputing them."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import OptionError
from ..trainer.model import KVCache, Transformer


@dataclass(frozen=True)
class Sampling:
    temperature: float = 1.0  # 0: greedy
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # nucleus: the smallest set of tokens whose probability reaches top_p


def next_token(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator | None = None) -> int:
    """One token from a (vocab,) row of logits; ids that must never be produced are already -inf."""
    if sampling.temperature == 0:
        return int(logits.argmax())
    logits = logits.float() / sampling.temperature
    if 0 < sampling.top_k < logits.numel():
        logits = logits.masked_fill(logits < logits.topk(sampling.top_k).values[-1], float("-inf"))
    if sampling.top_p < 1.0:
        probs, order = logits.softmax(-1).sort(descending=True)
        outside = probs.cumsum(-1) - probs >= sampling.top_p  # tokens after the nucleus is already full
        logits = logits.masked_fill(torch.zeros_like(outside).scatter(0, order, outside), float("-inf"))
    # drawn on the CPU with a CPU generator: one seed gives the same draws on every device (CUDA generators run
    # another stream), and CPU runs stay exactly as they were; one (vocab,) copy per token costs nothing here
    return int(torch.multinomial(logits.softmax(-1).cpu(), 1, generator=generator))


@torch.no_grad()
def generate(
    model: Transformer,
    context: list[int],
    max_new_tokens: int,
    sampling: Sampling,
    eos_id: int | None,
    allowed: torch.Tensor | None = None,
    seed: int = 0,
    guide: list[int] | None = None,
    guidance: float = 1.0,
) -> list[int]:
    """New token ids after `context`, stopping after EOS (kept) or `max_new_tokens`.
    `allowed` (vocab,) bool, on the model's device, masks out embedding rows the tokenizer has no token for.

    With a `guide` context (the same text without its metadata), sampling is context-guided, classifier-free
    style: logits = guide + g * (context - guide), written as context + (g - 1) * (context - guide) so that
    g = 1 gives the plain conditional logits exactly. Both caches take every new token."""
    streams = [context] + ([guide] if guide is not None else [])
    if not all(streams):
        raise OptionError("generation needs at least one context token (a prompt or a metadata prefix)")
    device = model.output.weight.device
    generator = torch.Generator("cpu").manual_seed(seed)  # see next_token
    caches = [KVCache(model, 1, len(c) + max_new_tokens) for c in streams]
    rows = [
        model(torch.tensor([c], device=device), cache=cache)[0, -1] for c, cache in zip(streams, caches, strict=True)
    ]
    out: list[int] = []
    while len(out) < max_new_tokens:
        logits = rows[0] if guide is None else rows[0] + (guidance - 1) * (rows[0] - rows[1])
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        token = next_token(logits, sampling, generator)
        out.append(token)
        if token == eos_id or len(out) == max_new_tokens:
            break
        rows = [model(torch.tensor([[token]], device=device), cache=cache)[0, -1] for cache in caches]
    return out
