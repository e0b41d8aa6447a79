"""A Llama-style decoder: RMSNorm, RoPE, SwiGLU, grouped-query attention, untied embeddings.

Read top-down: config and presets, norm, rotary embedding, attention, MLP, block, model. With
`doc_mask`, attention stays inside each packed document and rotary positions restart at every
document start; both are derived from per-token document ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import OptionError


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


def rope_tables(head_dim: int, max_pos: int, theta: float, device=None):
    """cos and sin of every position, (max_pos, head_dim / 2)."""
    freqs = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(max_pos, device=device, dtype=torch.float32), freqs)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotate channel pairs (x[2i], x[2i+1]); x (B, H, T, hd), cos/sin (B, 1, T, hd/2)."""
    x1, x2 = x.float().unflatten(-1, (-1, 2)).unbind(-1)
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2).type_as(x)


def document_positions(doc_ids):
    """Position of each token inside its document: 0 at each change of id, (B, T) -> (B, T)."""
    t = torch.arange(doc_ids.shape[1], device=doc_ids.device).expand_as(doc_ids)
    starts = torch.ones_like(doc_ids, dtype=torch.bool)
    starts[:, 1:] = doc_ids[:, 1:] != doc_ids[:, :-1]
    return t - torch.where(starts, t, torch.zeros_like(t)).cummax(dim=1).values


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * cfg.head_dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_heads * cfg.head_dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        return self.attend(*self.project(x, cos, sin), mask)

    def project(self, x, cos, sin):
        """Rotated queries (B, H, T, hd), rotated keys and values (B, KV, T, hd) of x (B, T, dim)."""
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def attend(self, q, k, v, mask):
        """Output (B, T, dim) of queries over keys/values (B, KV, S, hd); mask None means plain causal (S == T).
        Cached decoding passes its stored keys and values here."""
        B, _, T, _ = q.shape
        if self.n_kv_heads != self.n_heads:  # grouped-query attention: each KV head serves n_heads / n_kv_heads
            k = k.repeat_interleave(self.n_heads // self.n_kv_heads, dim=1)
            v = v.repeat_interleave(self.n_heads // self.n_kv_heads, dim=1)
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))


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

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.mlp(self.mlp_norm(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig, max_seq_len: int):
        super().__init__()
        cfg.check()
        if cfg.vocab_size <= 0:
            raise ValueError("ModelConfig.vocab_size must be set (the trainer takes it from the data manifest)")
        self.cfg = cfg
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

    def forward(self, tokens, doc_ids=None):
        """tokens (B, T) -> logits (B, T, vocab). With `doc_ids` (B, T), attention and positions stay per document."""
        B, T = tokens.shape
        if T > self.rope_cos.shape[0]:
            raise ValueError(f"sequence of length {T} is longer than the model's max_seq_len {self.rope_cos.shape[0]}")
        if doc_ids is None:
            cos, sin, mask = self.rope_cos[:T].expand(B, 1, T, -1), self.rope_sin[:T].expand(B, 1, T, -1), None
        else:
            pos = document_positions(doc_ids)
            cos, sin = self.rope_cos[pos].unsqueeze(1), self.rope_sin[pos].unsqueeze(1)  # (B, 1, T, hd/2)
            causal = torch.ones(T, T, dtype=torch.bool, device=tokens.device).tril()
            mask = (doc_ids[:, :, None] == doc_ids[:, None, :]) & causal  # (B, T, T): same document, not ahead
            mask = mask.unsqueeze(1)
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.output(self.norm(x))
