"""Incremental decoding with a key/value cache over meco's own Transformer weights, and sampling.

The trainer's model recomputes the whole sequence on every call; here each new token attends to the
cached keys and values of the tokens before it, through the same modules (norms, projections, RoPE,
SwiGLU), so cached and full recomputation give the same logits (tested token for token).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import OptionError
from ..trainer.model import Transformer


class KVCache:
    """Keys and values of every layer for the positions decoded so far, (layers, B, KV heads, max_len, hd)."""

    def __init__(self, model: Transformer, batch: int, max_len: int):
        cfg = model.cfg
        if max_len > model.rope_cos.shape[0]:
            raise ValueError(
                f"a cache of {max_len} positions is longer than the model's rotary tables ({model.rope_cos.shape[0]})"
            )
        shape = (cfg.n_layers, batch, cfg.n_kv_heads, max_len, cfg.head_dim)
        self.k, self.v = torch.zeros(shape), torch.zeros(shape)
        self.length = 0


def _attend(attn, x, cos, sin, cache: KVCache, layer: int):
    """The trainer's Attention for new tokens x (B, T, dim) at positions cache.length onwards, over the cache."""
    start, end = cache.length, cache.length + x.shape[1]
    q, cache.k[layer, :, :, start:end], cache.v[layer, :, :, start:end] = attn.project(x, cos, sin)
    visible = torch.arange(end)[None, :] <= torch.arange(start, end)[:, None]  # (T, end): causal, offset by the cache
    return attn.attend(q, cache.k[layer, :, :, :end], cache.v[layer, :, :, :end], visible)


@torch.no_grad()
def forward_cached(model: Transformer, tokens: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """Logits (B, T, vocab) of `tokens` (B, T) following the cached positions; extends the cache by T."""
    B, T = tokens.shape
    start = cache.length
    cos, sin = (
        model.rope_cos[start : start + T].expand(B, 1, T, -1),
        model.rope_sin[start : start + T].expand(B, 1, T, -1),
    )
    x = model.embed(tokens)
    for i, layer in enumerate(model.layers):
        x = x + _attend(layer.attn, layer.attn_norm(x), cos, sin, cache, i)
        x = x + layer.mlp(layer.mlp_norm(x))
    cache.length += T
    return model.output(model.norm(x))


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
    return int(torch.multinomial(logits.softmax(-1), 1, generator=generator))


def generate(
    model: Transformer,
    context: list[int],
    max_new_tokens: int,
    sampling: Sampling,
    eos_id: int | None,
    allowed: torch.Tensor | None = None,
    seed: int = 0,
) -> list[int]:
    """New token ids after `context`, stopping after EOS (kept) or `max_new_tokens`.
    `allowed` (vocab,) bool masks out embedding rows the tokenizer has no token for."""
    if not context:
        raise OptionError("generation needs at least one context token (a prompt or a metadata prefix)")
    generator = torch.Generator().manual_seed(seed)
    cache = KVCache(model, 1, len(context) + max_new_tokens)
    logits = forward_cached(model, torch.tensor([context]), cache)[0, -1]
    out: list[int] = []
    while len(out) < max_new_tokens:
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        token = next_token(logits, sampling, generator)
        out.append(token)
        if token == eos_id or len(out) == max_new_tokens:
            break
        logits = forward_cached(model, torch.tensor([[token]]), cache)[0, -1]
    return out
