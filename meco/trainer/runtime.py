"""Where a training process runs: rank, world size and device, and the collectives the loop needs."""

from __future__ import annotations

import contextlib
import os
import sys

import torch
import torch.distributed as dist
from tqdm import tqdm

from ..errors import OptionError


def resolve_device(name: str | torch.device) -> torch.device:
    """`--device`: auto (cuda when available, else cpu) or any torch device string that can hold the model here;
    checked before anything is loaded."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise OptionError(f"--device {name}: not a torch device (auto, cpu, cuda, cuda:1, ...)") from None
    if device.type == "meta":
        raise OptionError(f"--device {name}: holds no weights; choose auto, cpu or cuda")
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not count:
            raise OptionError(f"--device {name}: no CUDA device is available")
        if device.index is not None and device.index >= count:
            raise OptionError(
                f"--device {name}: only {count} CUDA device(s) are available (cuda:0 to cuda:{count - 1})"
            )
    elif device.type != "cpu":
        try:
            torch.empty(0, device=device)
        except (RuntimeError, AssertionError):  # AssertionError: a backend torch was not built with
            raise OptionError(f"--device {name}: this torch build or machine has no {device.type} device") from None
    return device


class Runtime:
    """Rank, world size and device; torchrun's environment starts the process group (gloo on CPU, nccl on
    GPU). `group` starts one on a single process too: FSDP needs a device mesh even of one rank."""

    def __init__(self, device: str, group: bool = False):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank, self.local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
        self.local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", str(self.world_size)))
        self.device = resolve_device(device)
        if self.device.type == "cuda" and self.device.index is None:  # each rank of a node on its own GPU
            self.device = torch.device("cuda", self.local_rank)
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
