"""How the model is laid over ranks: DDP replicas or FSDP2 shards, with activation checkpointing and
torch.compile per block, applied in place in torchtitan's order (checkpointing, compile, sharding).

Everything here keeps the model's state-dict keys: the checkpoint wrapper strips its prefix,
`Transformer.compile_blocks` compiles in place, and `fully_shard` swaps tensors, not modules.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import checkpoint_wrapper
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard
from torch.distributed.tensor import DTensor
from torch.nn.parallel import DistributedDataParallel

from .model import ModelConfig

FSDP_FROM_PARAMS = 1_000_000_000  # `auto` shards from here: 1.6b's weights and AdamW state are 26 GB per replica


def choose(parallel: str, model_config: ModelConfig) -> str:
    """`auto`: fsdp from 1B parameters (1.6b, 3b, 8b), ddp below, where a replica of weights, gradients and
    AdamW state (16 bytes per parameter) still leaves room for activations and DDP needs no all-gathers."""
    if parallel != "auto":
        return parallel
    return "fsdp" if model_config.num_params() >= FSDP_FROM_PARAMS else "ddp"


def compiles(compile: bool | None, device: torch.device) -> bool:
    """--compile/--no-compile, else on GPU only (on the CPU inductor's compile time outweighs the gain)."""
    return device.type == "cuda" if compile is None else compile


def checkpointed_blocks(n_layers: int, ac: str) -> list[int]:
    """Blocks whose activations are recomputed in backward: all (full), every second one (selective, as
    torchtitan's layer-selective checkpointing at frequency 2: blocks 1, 3, 5, ...) or none."""
    if ac == "full":
        return list(range(n_layers))
    if ac == "selective":
        return list(range(1, n_layers, 2))
    return []


def parallelize(model: nn.Module, *, parallel: str, ac: str, compile: bool, device: torch.device, world_size: int):
    """Apply checkpointing, compile and FSDP to `model` in place; return the module training runs: the model
    itself (FSDP, or one process) or its DDP wrapper."""
    for i in checkpointed_blocks(len(model.layers), ac):
        # the model draws no random numbers (no dropout), so recomputation needs no saved RNG state
        model.layers[i] = checkpoint_wrapper(model.layers[i], preserve_rng_state=False)
    if compile:
        model.compile_blocks()  # after checkpointing, so each compiled block recomputes inside its graph
    if parallel == "fsdp":
        shard(model, device, world_size)
        return model
    if world_size > 1:
        return DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None, gradient_as_bucket_view=True
        )
    return model


def shard(model: nn.Module, device: torch.device, world_size: int) -> None:
    """FSDP2 over all ranks: each block is one unit (all-gathered for its forward and backward, resharded
    after), the root holds embedding, final norm and output. On GPU the blocks compute in bf16 from fp32
    shards and reduce gradients in fp32; on CPU everything stays fp32."""
    mesh = init_device_mesh(device.type, (world_size,))
    mixed = MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
    policy = mixed if device.type == "cuda" else MixedPrecisionPolicy()
    for block in model.layers:
        fully_shard(block, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)


def accumulating(module: nn.Module, last: bool):
    """Context of one micro batch's backward: DDP all-reduces only on the last one; FSDP reduce-scatters
    every time (so gradients stay sharded between micro batches)."""
    if isinstance(module, DistributedDataParallel) and not last:
        return module.no_sync()
    return contextlib.nullcontext()


def clip_grad_norm_(module: nn.Module, max_norm: float) -> torch.Tensor:
    """Clip in place; return the total norm over all ranks as a plain tensor on the device (no host sync)."""
    norm = torch.nn.utils.clip_grad_norm_(module.parameters(), max_norm)
    return norm.full_tensor() if isinstance(norm, DTensor) else norm
