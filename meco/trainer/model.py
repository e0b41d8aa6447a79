"""A Llama-style decoder: RMSNorm, RoPE, SwiGLU, grouped-query attention, untied embeddings.

Read top-down: config and presets, norm, MLP, block, model (attention, rotary positions, document masks
and the KV cache live in `attention.py`). With `doc_mask`, attention stays inside each packed document
and rotary positions restart at every document start; both are derived from per-token document ids.
One forward serves training (logits, or the summed loss computed in chunks), evaluation and cached
decoding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention.flex_attention import create_block_mask
from torch.utils.checkpoint import checkpoint

from ..errors import OptionError
from .attention import Attention, KVCache, dense_document_mask, document_positions, flex_document_mask, rope_tables
from .data import IGNORE

ATTENTION = ("auto", "flex", "dense")
LOSS_CHUNK = 2048  # tokens per chunk of the loss: fp32 logits of 2,048 x 128k vocabulary are 1 GiB


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    vocab_size: int = 0  # 0 = take it from the data manifest (rounded up to a multiple of 128)
    n_layers: int
    dim: int
    ffn_dim: int
    n_heads: int
    n_kv_heads: int
    rope_theta: float = 10_000.0
    norm_eps: float = 1e-5
    doc_mask: bool = False

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def check(self) -> None:
        if self.dim % self.n_heads or self.n_heads % self.n_kv_heads or self.head_dim % 2:
            raise ValueError(
                f"dim {self.dim}, n_heads {self.n_heads}, n_kv_heads {self.n_kv_heads}: dim must split "
                "into an even head size and n_heads must be a multiple of n_kv_heads"
            )

    def num_params(self, embeddings: bool = True) -> int:
        kv = self.n_kv_heads * self.head_dim
        per_layer = self.dim * (2 * self.dim + 2 * kv) + 3 * self.dim * self.ffn_dim + 2 * self.dim
        return self.n_layers * per_layer + self.dim + (2 * self.vocab_size * self.dim if embeddings else 0)

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token (forward + backward): 6N plus attention scores (PaLM appendix B)."""
        n = self.num_params(embeddings=False) + self.vocab_size * self.dim  # the output projection is a matmul
        return 6 * n + 12 * self.n_layers * self.dim * seq_len


PRESETS = {
    "debug": ModelConfig(n_layers=2, dim=32, ffn_dim=64, n_heads=4, n_kv_heads=2),  # tests
    "tiny": ModelConfig(n_layers=4, dim=128, ffn_dim=384, n_heads=4, n_kv_heads=2),  # ~1 min on 2 CPU cores
    "150m": ModelConfig(n_layers=12, dim=768, ffn_dim=2048, n_heads=12, n_kv_heads=12),
    "600m": ModelConfig(n_layers=24, dim=1024, ffn_dim=4096, n_heads=16, n_kv_heads=16),
    "1.6b": ModelConfig(n_layers=24, dim=2048, ffn_dim=5504, n_heads=16, n_kv_heads=8),
    "3b": ModelConfig(n_layers=28, dim=3072, ffn_dim=8192, n_heads=24, n_kv_heads=8),
    "8b": ModelConfig(n_layers=32, dim=4096, ffn_dim=14336, n_heads=32, n_kv_heads=8, rope_theta=500_000.0),
}


def preset(name: str, **overrides) -> ModelConfig:
    if name not in PRESETS:
        raise OptionError(f"model {name!r}: choose from {', '.join(PRESETS)}")
    return replace(PRESETS[name], **overrides)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps, self.weight = eps, nn.Parameter(torch.ones(dim))

    def forward(self, x):
        x32 = x.float()  # normalise in fp32 under bf16 autocast
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


class MLP(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w3 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.w2 = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm, self.attn = RMSNorm(cfg.dim, cfg.norm_eps), Attention(cfg)
        self.mlp_norm, self.mlp = RMSNorm(cfg.dim, cfg.norm_eps), MLP(cfg)

    def forward(self, x, cos, sin, mask, store=None):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask, store)
        return x + self.mlp(self.mlp_norm(x))


class Transformer(nn.Module):
    """The decoder. `attention` picks the document-mask kernel: "dense" (a (B, 1, T, T) bool mask, the
    reference), "flex" (a FlexAttention block mask) or "auto": flex on CUDA once `compile_blocks` has run
    (FlexAttention is fast only compiled, and has no backward on CPU), dense otherwise."""

    def __init__(self, cfg: ModelConfig, max_seq_len: int, attention: str = "auto"):
        super().__init__()
        cfg.check()
        if cfg.vocab_size <= 0:
            raise ValueError("ModelConfig.vocab_size must be set (the trainer takes it from the data manifest)")
        if attention not in ATTENTION:
            raise OptionError(f"attention {attention!r}: choose from {', '.join(ATTENTION)}")
        self.cfg, self.attention, self.compiled = cfg, attention, False
        self.build_block_mask = create_block_mask
        self.loss_chunk = LOSS_CHUNK
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg.head_dim, max_seq_len, cfg.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """N(0, 0.02), residual output projections scaled by 1/sqrt(2 n_layers) (GPT-2)."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * self.cfg.n_layers) if name.endswith(("wo.weight", "w2.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    @property
    def max_seq_len(self) -> int:
        return self.rope_cos.shape[0]

    def extend_positions(self, n: int) -> None:
        """Grow the rotary tables to cover n positions (they are computed, not trained: the model saw only
        its training seq_len)."""
        if n > self.max_seq_len:
            self.rope_cos, self.rope_sin = rope_tables(self.cfg.head_dim, n, self.cfg.rope_theta, self.rope_cos.device)

    def compile_blocks(self, **options) -> None:
        """torch.compile each block in place (torchtitan style): every layer shares one compiled graph, the
        state dict keeps its keys, and the embedding, masks and chunked loss stay eager."""
        for layer in self.layers:
            layer.compile(**options)
        self.build_block_mask = torch.compile(create_block_mask, **options)
        self.compiled = True

    def forward(self, tokens, doc_ids=None, labels=None, cache: KVCache | None = None):
        """tokens (B, T) -> logits (B, T, vocab); with `labels` (B, T) the summed cross entropy over labels
        that are not IGNORE instead (see `summed_loss`). `doc_ids` (B, T) keep attention and positions
        inside each document when the config has doc_mask, and are ignored otherwise. With `cache`, the
        tokens follow the cached positions (one document per row) and extend the cache."""
        cos, sin, mask = self.positions_and_mask(tokens, doc_ids, cache)
        x = self.embed(tokens)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, partial(cache.store, i) if cache is not None else None)
        if cache is not None:
            cache.length += tokens.shape[1]
        x = self.norm(x)
        return self.output(x) if labels is None else self.summed_loss(x, labels)

    def positions_and_mask(self, tokens, doc_ids, cache):
        """Rotary cos/sin broadcastable to (B, H, T, hd) and the mask `Attention.attend` takes."""
        T = tokens.shape[1]
        start = cache.length if cache is not None else 0
        if start + T > self.max_seq_len:
            raise ValueError(
                f"sequence of length {start + T} is longer than the model's max_seq_len {self.max_seq_len}"
            )
        if cache is not None:
            if start + T > cache.max_len:
                raise ValueError(f"{start + T} positions do not fit a cache of {cache.max_len}")
            return self.rope_cos[start : start + T], self.rope_sin[start : start + T], cache.visible(T, tokens.device)
        if not (self.cfg.doc_mask and doc_ids is not None):
            return self.rope_cos[:T], self.rope_sin[:T], None
        pos = document_positions(doc_ids)
        flex = self.attention == "flex" or (self.attention == "auto" and self.compiled and tokens.is_cuda)
        mask = flex_document_mask(doc_ids, self.build_block_mask) if flex else dense_document_mask(doc_ids)
        return self.rope_cos[pos].unsqueeze(1), self.rope_sin[pos].unsqueeze(1), mask

    def summed_loss(self, x, labels):
        """Sum of per-token cross entropy over the labels that are not IGNORE (0 when there are none), from
        the final hidden states x (B, T, dim). The output projection and the fp32 cross entropy run
        `loss_chunk` tokens at a time; where there are several chunks, each is checkpointed under autograd,
        so backward recomputes its logits instead of keeping them: one chunk's logits exist at a time,
        never the whole micro batch's. (A batch of one chunk skips the recomputation.)"""
        chunks = list(zip(x.flatten(0, 1).split(self.loss_chunk), labels.flatten().split(self.loss_chunk), strict=True))
        recompute = torch.is_grad_enabled() and len(chunks) > 1
        total = torch.zeros((), dtype=torch.float32, device=x.device)
        for h, y in chunks:
            if recompute:
                total = total + checkpoint(self._chunk_loss, h, y, use_reentrant=False, preserve_rng_state=False)
            else:
                total = total + self._chunk_loss(h, y)
        return total

    def _chunk_loss(self, h, y):
        return F.cross_entropy(self.output(h).float(), y, ignore_index=IGNORE, reduction="sum")
