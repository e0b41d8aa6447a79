"""Where a training process runs: rank, world size and device, and the collectives the loop needs."""

from __future__ import annotations

import contextlib
import os
import sys

import torch
import torch.distributed as dist
from tqdm import tqdm


class Runtime:
    """Rank, world size and device; torchrun's environment starts the process group (gloo on CPU, nccl on
    GPU). `group` starts one on a single process too: FSDP needs a device mesh even of one rank."""

    def __init__(self, device: str, group: bool = False):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank, self.local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world_size)))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(f"cuda:{self.local_rank}" if device == "cuda" else device)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.owns_group = (self.world_size > 1 or group) and not dist.is_initialized()
        if self.owns_group:
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            if self.world_size > 1:
                dist.init_process_group(backend)
            else:  # no torchrun: a group of one needs no rendezvous
                dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1)

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def sum(self, *values: float) -> list[float]:
        """Sum scalars over ranks (float64, so counts stay exact)."""
        return self.all_reduce(torch.tensor(values, dtype=torch.float64, device=self.device)).tolist()

    def all_reduce(self, t: torch.Tensor, op=dist.ReduceOp.SUM) -> torch.Tensor:
        """Reduce a device tensor over ranks in place and return it; no host synchronisation."""
        if self.world_size > 1:
            dist.all_reduce(t, op=op)
        return t

    def share(self, value):
        """Rank 0's `value` (any picklable object) on every rank: one rank decides, all act alike."""
        if self.world_size == 1:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
        self.owns_group = False

    def log(self, message: str) -> None:
        if self.rank == 0:
            tqdm.write(message, file=sys.stdout)  # above the progress bar when there is one

    def autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()
