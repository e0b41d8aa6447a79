"""Attention of the Llama-style decoder: rotary positions, grouped-query attention, document masks and
the key/value cache of incremental decoding.

Three ways to say which keys a query sees, all through `Attention.attend`:
- None: plain causal attention (`scaled_dot_product_attention(is_causal=True)`, flash kernels allowed);
- a dense bool tensor (B or 1, 1, T, S): the reference document mask, and the cached-decoding mask;
- a FlexAttention `BlockMask`: the document mask without a (B, T, T) tensor; fast only when compiled,
  and without a backward on CPU (PyTorch raises NotImplementedError there).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention.flex_attention import BlockMask, create_block_mask, flex_attention


def rope_tables(head_dim: int, max_pos: int, theta: float, device=None):
    """cos and sin of every position, (max_pos, head_dim): each channel pair's angle twice, sin negated on
    the pair's first channel, so that `apply_rope` is one elementwise expression over whole heads."""
    freqs = 1.0 / theta ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(max_pos, device=device, dtype=torch.float32), freqs)
    return angles.cos().repeat_interleave(2, -1), torch.stack((-angles.sin(), angles.sin()), -1).flatten(-2)


def apply_rope(x, cos, sin):
    """Rotate channel pairs (x[2i], x[2i+1]) by their angles: (x[2i] cos - x[2i+1] sin, x[2i+1] cos + x[2i] sin),
    in fp32; x (B, H, T, hd), cos/sin from `rope_tables`, broadcastable to x. Written over whole heads (not
    as a stack of the two halves) so that compiled attention kernels see plain 4-d queries and keys."""
    x32 = x.float()
    swapped = x32.unflatten(-1, (-1, 2)).flip(-1).flatten(-2)  # (x[2i+1], x[2i])
    return (x32 * cos + swapped * sin).type_as(x)


def document_positions(doc_ids):
    """Position of each token inside its document: 0 at each change of id, (B, T) -> (B, T)."""
    t = torch.arange(doc_ids.shape[1], device=doc_ids.device).expand_as(doc_ids)
    starts = torch.ones_like(doc_ids, dtype=torch.bool)
    starts[:, 1:] = doc_ids[:, 1:] != doc_ids[:, :-1]
    return t - torch.where(starts, t, torch.zeros_like(t)).cummax(dim=1).values


def dense_document_mask(doc_ids):
    """(B, 1, T, T) bool: query t sees key s when s is not ahead of t and both lie in the same document."""
    T = doc_ids.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=doc_ids.device).tril()
    return ((doc_ids[:, :, None] == doc_ids[:, None, :]) & causal).unsqueeze(1)


def flex_document_mask(doc_ids, build=create_block_mask) -> BlockMask:
    """The dense document mask as a FlexAttention BlockMask. Its tensors have the same shapes for every
    batch of the same (B, T), and the mask function reads the document ids as a tensor, so a compiled
    block runs every document layout without recompiling. `build` is create_block_mask, compiled where
    the blocks are (then the mask is never materialised as (B, T, T); torchtitan does the same)."""

    def same_document(b, h, q, kv):
        return (kv <= q) & (doc_ids[b, q] == doc_ids[b, kv])

    B, T = doc_ids.shape
    return build(same_document, B, None, T, T, device=doc_ids.device)


class KVCache:
    """Keys and values of every layer for the positions decoded so far, (layers, B, KV heads, max_len, hd)."""

    def __init__(self, model, batch: int, max_len: int):
        cfg, weight = model.cfg, model.embed.weight
        if max_len > model.max_seq_len:
            raise ValueError(
                f"a cache of {max_len} positions is longer than the model's rotary tables ({model.max_seq_len}); "
                "call extend_positions first"
            )
        shape = (cfg.n_layers, batch, cfg.n_kv_heads, max_len, cfg.head_dim)
        self.k = torch.zeros(shape, dtype=weight.dtype, device=weight.device)
        self.v = torch.zeros_like(self.k)
        self.length = 0

    @property
    def max_len(self) -> int:
        return self.k.shape[3]

    def store(self, layer: int, k, v):
        """Write `layer`'s keys and values (B, KV, T, hd) of the T new positions after the cached ones;
        return those of every position so far, (B, KV, length + T, hd). The model advances `length`."""
        start, end = self.length, self.length + k.shape[2]
        self.k[layer, :, :, start:end], self.v[layer, :, :, start:end] = k, v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def visible(self, new: int, device=None):
        """(new, length + new) bool: the causal mask of `new` queries after the cached positions."""
        end = self.length + new
        return torch.arange(end, device=device)[None, :] <= torch.arange(self.length, end, device=device)[:, None]


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * cfg.head_dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_heads * cfg.head_dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask, store=None):
        """x (B, T, dim) -> (B, T, dim). `store` (KVCache.store of this layer) keeps the new keys and values
        and hands back every cached one to attend over."""
        q, k, v = self.project(x, cos, sin)
        if store is not None:
            k, v = store(k, v)
        return self.attend(q, k, v, mask)

    def project(self, x, cos, sin):
        """Rotated queries (B, H, T, hd), rotated keys and values (B, KV, T, hd) of x (B, T, dim)."""
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def attend(self, q, k, v, mask):
        """Output (B, T, dim) of queries over keys/values (B, KV, S, hd); each KV head serves
        n_heads / n_kv_heads query heads inside the kernel, without copies of K and V, except under a
        dense mask: on CUDA only the flash kernel serves grouped heads and it takes no mask, so SDPA would
        fall back to its math kernel (the (B, H, T, S) scores in fp32); copied heads keep the
        memory-efficient kernel. Both give the same numbers (tested)."""
        B, _, T, _ = q.shape
        gqa = self.n_kv_heads != self.n_heads
        if isinstance(mask, BlockMask):
            y = flex_attention(q, k, v, block_mask=mask, enable_gqa=gqa)
        elif mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
        else:
            group = self.n_heads // self.n_kv_heads
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))
