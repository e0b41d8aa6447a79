"""Peak memory of real training steps next to the memory plan, for tests/trainer/test_memory.py.

    python -m tests.trainer.memory_probe DATA OUT CONFIG_JSON ...

Runs in its own process so the measurement is of training alone: for each TrainConfig (JSON) it builds
the run (`build_run`) and trains two steps, then prints one JSON line with the plan and the growth of
the peak resident set (VmHWM, reset through /proc/self/clear_refs) over the resident set before the
build. The same options on the debug model at 16 tokens run first and are not measured: the first use
of a kernel pages in library code and allocates scratch buffers, which the resident set counts too. Start it with MALLOC_MMAP_THRESHOLD_ fixed (the test does), so glibc
returns freed tensors to the system instead of keeping them in its heap, which would let the peak
depend on the allocation history rather than on what is alive at once.
"""

from __future__ import annotations

import gc
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

from meco.trainer.config import TrainConfig
from meco.trainer.train import build_run, train_step


def resident(field: str) -> int:
    """VmRSS or VmHWM of this process in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure(cfg: TrainConfig) -> dict:
    gc.collect()
    before = resident("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak restarts from the current resident set
    run = build_run(cfg)
    for _ in range(2):  # the second step's backward runs with the AdamW state the first one created
        train_step(run, run.loader.next_batch(run.plan.sequences))
    peak = resident("VmHWM") - before
    planned = run.memory_plan
    run.rt.close()
    return {"model": cfg.model, "ac": cfg.ac, "measured": peak, "planned": planned.total, "plan": vars(planned)}


def main(data: str, out: str, *configs: str) -> None:
    torch.set_num_threads(1)
    for i, options in enumerate(configs):
        cfg = TrainConfig(data=data, out=f"{out}/{i}", device="cpu", **json.loads(options))
        measure(replace(cfg, out=f"{out}/{i}-warm", model="debug", seq_len=16, batch_tokens=16 * cfg.micro_batch))
        print(json.dumps(measure(cfg)), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
