"""Data-loader overhead of `meco train`: the same steps fed by the shard loader and by in-memory tensors.

    python bench/train_throughput.py [--data meco-data] [--models tiny,150m] [--steps 6]

For each model, one process alternates (a) a step whose batch comes from `PackedLoader.next_batch`
(memory-mapped shards, packing, masking) with (b) a step on a batch already in memory, so machine noise
hits both alike. It reports the median step time of each, their relative difference, and the loader's
own time as a share of the step (target < 2%). CPU only for now; GPU MFU comes with the GPU runs.

Measured on 2 shared CPU cores, cl100k_base shards (/tmp/shared-prepared), --steps 5 --warmup 1:

    model    params  tokens  step, loader  step, memory    diff  next_batch   share
    tiny      26.5M     512        1.552s        1.563s  -0.75%      0.44ms  0.028%
    150m     239.1M     512        6.069s        5.487s +10.61%      0.52ms  0.009%

`share` (the loader's own time) is the number to read; `diff` there is the noise of a machine shared with
other jobs, in both directions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meco.shards import Manifest
from meco.trainer.config import TrainConfig
from meco.trainer.data import PackedLoader, open_variants
from meco.trainer.model import Transformer
from meco.trainer.runtime import Runtime
from meco.trainer.train import Run, build_model_config, build_optimizer, train_step


def bench(model_name: str, args) -> dict:
    cfg = TrainConfig(
        data=args.data,
        model=model_name,
        seq_len=args.seq_len,
        micro_batch=args.micro_batch,
        batch_tokens=args.seq_len * args.micro_batch,
        device="cpu",
    )
    rt = Runtime("cpu")
    model_config = build_model_config(cfg, Manifest.read(args.data))
    torch.manual_seed(0)
    model = Transformer(model_config, cfg.seq_len)
    optimizer = build_optimizer(model, cfg, rt.device)
    loader = PackedLoader(open_variants(args.data), cfg.seq_len, seed=0, packing=cfg.packing)
    run = Run(cfg, cfg.plan(1), rt, Path(), model, model, optimizer, None, loader, {}, "ddp", None)
    sequences = cfg.batch_tokens // cfg.seq_len
    in_memory = PackedLoader(open_variants(args.data), cfg.seq_len, seed=1).next_batch(sequences)
    times = {"loader": [], "memory": [], "next_batch": []}
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        batch = loader.next_batch(sequences)
        t1 = time.perf_counter()
        train_step(run, batch)
        t2 = time.perf_counter()
        train_step(run, in_memory)
        t3 = time.perf_counter()
        if i >= args.warmup:
            times["next_batch"].append(t1 - t0)
            times["loader"].append(t2 - t0)
            times["memory"].append(t3 - t2)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "model": model_name,
        "params_m": model_config.num_params() / 1e6,
        "tokens_per_step": cfg.batch_tokens,
        "step_s_loader": med["loader"],
        "step_s_memory": med["memory"],
        "difference_pct": 100 * (med["loader"] - med["memory"]) / med["memory"],
        "loader_share_pct": 100 * med["next_batch"] / med["loader"],
        "next_batch_ms": 1000 * med["next_batch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="meco-data")
    parser.add_argument("--models", default="tiny,150m")
    parser.add_argument("--steps", type=int, default=6, help="measured steps per feeding (after --warmup)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--micro-batch", type=int, default=4)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {args.data}")
    print(
        f"{'model':<6} {'params':>8} {'tokens':>7} {'step, loader':>13} {'step, memory':>13} {'diff':>7} "
        f"{'next_batch':>11} {'share':>7}"
    )
    for name in args.models.split(","):
        r = bench(name, args)
        print(
            f"{r['model']:<6} {r['params_m']:>7.1f}M {r['tokens_per_step']:>7} {r['step_s_loader']:>12.3f}s "
            f"{r['step_s_memory']:>12.3f}s {r['difference_pct']:>+6.2f}% {r['next_batch_ms']:>9.2f}ms "
            f"{r['loader_share_pct']:>6.3f}%"
        )


if __name__ == "__main__":
    main()
