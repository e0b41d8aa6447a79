"""Memory per rank, planned before anything is allocated, so that a run that cannot fit is refused in a
second with the numbers instead of failing in an allocation after a minute of setup.

Bytes per rank for P parameters, W ranks, a micro batch of B sequences of T tokens:
- weights: fp32 masters, 4P (FSDP: 4P / W, plus the unsharded copies it gathers for compute: the root's
  embedding, output and final norm, and two blocks, the one computing and the one prefetched; bf16 on GPU).
  Without FSDP on GPU, autocast also keeps a bf16 copy of every linear weight through backward.
- gradients: fp32, 4P (FSDP: 4P / W, plus the root's and one block's unsharded gradients before their
  reduce-scatter).
- AdamW: two fp32 moments, 8P (FSDP: 8P / W).
- activations: what autograd keeps for the backward of one micro batch. Gradient accumulation keeps all
  gradients while the next micro batch runs, so the terms add up: the plan is the peak of a step.
  Per token and block the eager model keeps (counted with autograd's saved-tensor hooks) 8 dim +
  2 kv_dim + 4 ffn_dim elements: each RMSNorm its input, normalised input and output (3 dim); attention
  the rotated queries and keys, the values and the kernel's output (2 dim + 2 kv_dim); SwiGLU both
  projections, the SiLU and the product (4 ffn_dim). The dense document mask (--doc-mask, except on GPU
  with compiled blocks, where the model uses FlexAttention) repeats keys and values to every query head
  (10 dim + 4 ffn_dim) and SDPA keeps its own float copy of the mask (seq_len elements per token), beside
  the (B, T, T) bool mask itself. A checkpointed block keeps only its input (dim), and backward
  recomputes one block at a time. After the blocks: the final norm (3 dim) and the loss over the
  vocabulary, computed in chunks of model.LOSS_CHUNK tokens: three fp32 tensors of one chunk's logits
  (the log-softmax, its gradient and the logits' gradient).
  Elements are fp32 on CPU, bf16 on GPU (there compiled blocks fuse the norm and RoPE temporaries, so
  the count is an upper bound). Checked against measured peaks on CPU (tests/trainer/test_memory.py).
Not counted: the CPU AdamW's per-tensor temporaries, the CUDA context and allocator fragmentation (the
refusal compares against free memory, which already excludes the context).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import OptionError
from .model import LOSS_CHUNK, ModelConfig
from .parallel import checkpointed_blocks

GiB = 2**30
LOSS_BUFFERS = 3  # fp32 (chunk tokens, vocab) tensors at the loss's peak: log-softmax and two gradients


class MemoryPlanError(OptionError):
    """A configuration whose memory plan exceeds what the device has; the message gives both and what to change."""


@dataclass(frozen=True)
class MemoryPlan:
    """Bytes per rank, and the configuration they were planned for."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    setup: str  # e.g. "ddp on 1 x cpu, micro batch 8 x 128 tokens, --ac none"

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    def describe(self, setup: bool = False) -> str:
        """The total and its parts, with the configuration where `setup`."""
        where = f"; {self.setup}" if setup else ""
        return (
            f"about {size(self.total)} per rank (weights {size(self.weights)} + gradients {size(self.gradients)} "
            f"+ AdamW {size(self.optimizer)} + activations {size(self.activations)}{where})"
        )


def size(n: float) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / 2**20:.1f} MiB"


def plan(
    mc: ModelConfig,
    *,
    parallel: str,
    world_size: int,
    micro_batch: int,
    seq_len: int,
    ac: str,
    device: torch.device,
    compiled: bool,
) -> MemoryPlan:
    """The memory plan of training `mc` as configured; pure arithmetic, nothing is allocated."""
    gpu = device.type == "cuda"
    compute_bytes = 2 if gpu else 4  # bf16 on GPU (autocast, FSDP's mixed precision), fp32 on CPU
    n = mc.num_params()
    shards = world_size if parallel == "fsdp" else 1
    root = 2 * mc.vocab_size * mc.dim + mc.dim  # embedding, output, final norm
    block = (n - root) // mc.n_layers
    weights, gradients = 4 * n // shards, 4 * n // shards
    if parallel == "fsdp":
        weights += compute_bytes * (root + 2 * block)
        gradients += compute_bytes * (root + block)
    elif gpu:
        weights += 2 * (n - mc.vocab_size * mc.dim)  # autocast's bf16 copies of every linear weight
    tokens = micro_batch * seq_len
    dense_mask = mc.doc_mask and not (gpu and compiled)  # see Transformer's `attention`
    if dense_mask:  # elements per token (see the module docstring)
        per_block = 10 * mc.dim + 4 * mc.ffn_dim + seq_len
    else:
        per_block = 8 * mc.dim + 2 * mc.n_kv_heads * mc.head_dim + 4 * mc.ffn_dim
    recomputed = len(checkpointed_blocks(mc.n_layers, ac))
    elements = (mc.n_layers - recomputed) * per_block + recomputed * mc.dim + (per_block if recomputed else 0)
    activations = tokens * compute_bytes * (elements + 3 * mc.dim)
    activations += min(tokens, LOSS_CHUNK) * 4 * LOSS_BUFFERS * mc.vocab_size
    if dense_mask:
        activations += tokens * seq_len  # the (B, 1, T, T) bool mask
    setup = f"{parallel} on {world_size} x {device.type}, micro batch {micro_batch} x {seq_len} tokens, --ac {ac}"
    return MemoryPlan(weights, gradients, 8 * n // shards, activations, setup)


def available(device: torch.device, ranks_here: int) -> int | None:
    """Free bytes for one rank: the GPU's free memory, or on CPU the kernel's MemAvailable shared by the
    ranks on this machine; None where it cannot be read (no /proc: the run is not checked)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        return None
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024 // ranks_here
    return None


def refuse_if_too_big(memory: MemoryPlan, free: int | None, model: str) -> None:
    """Raise with the plan, the free memory and what to change when the plan exceeds it."""
    if free is None or memory.total <= free:
        return
    states = memory.weights + memory.gradients + memory.optimizer
    if memory.activations > states:
        advice = "lower --micro-batch or --seq-len, or recompute activations with --ac selective or --ac full"
    elif memory.setup.startswith("fsdp"):
        advice = "shard over more ranks (torchrun --nproc-per-node / --nnodes) or choose a smaller --model"
    else:
        advice = (
            "shard weights, gradients and AdamW state with --parallel fsdp over more ranks, or choose a smaller --model"
        )
    raise MemoryPlanError(
        f"--model {model} needs {memory.describe(setup=True)} but only {size(free)} is free per rank; {advice}"
    )
