"""The training loop: named builders set everything up, `train` runs the steps.

MeCo in one place: `plan.phase(step)` tells the loader which variant to read. One optimizer, one LR
schedule and one data permutation run through both phases. The loss is the sum of per-token cross
entropy over the global batch divided by its number of target tokens, however the batch is split
across micro batches and ranks.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ..shards import ShardFormatError, read_manifest
from . import checkpoint
from .config import Plan, TrainConfig
from .data import Batch, PackedLoader, open_variants, validation_batches
from .metrics import MetricsLog, ProgressBar, mfu, peak_flops, summary_line
from .model import ModelConfig, Transformer, preset
from .schedule import Schedule


class Runtime:
    """Rank, world size and device; torchrun's environment turns on DDP (gloo on CPU, nccl on GPU)."""

    def __init__(self, device: str):
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank, self.local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(f"cuda:{self.local_rank}" if device == "cuda" else device)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.world_size > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    def barrier(self) -> None:
        if self.world_size > 1:
            dist.barrier()

    def sum(self, *values: float) -> list[float]:
        """Sum scalars over ranks (float64, so counts stay exact)."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world_size > 1:
            dist.all_reduce(t)
        return t.tolist()

    def close(self) -> None:
        if self.world_size > 1:
            dist.destroy_process_group()

    def log(self, message: str) -> None:
        if self.rank == 0:
            tqdm.write(message, file=sys.stdout)  # above the progress bar when there is one

    def autocast(self):
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()


# ----------------------------------------------------------------------------------------------------------
# builders


def build_model_config(cfg: TrainConfig, manifest: dict, data: Path) -> ModelConfig:
    """The preset with the data's vocabulary; a vocabulary the embedding cannot hold fails here."""
    need = int(manifest["vocab_size"])
    vocab = cfg.vocab_size or 128 * math.ceil(need / 128)
    if vocab < need:
        raise ShardFormatError(
            f"{data / 'manifest.json'}: the tokenizer has {need:,} ids but the model's embedding "
            f"holds {vocab:,} (--vocab-size); use at least {need}"
        )
    return preset(cfg.model, vocab_size=vocab, doc_mask=cfg.doc_mask)


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices only (not norms); fused kernel on GPU."""
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": matrices, "weight_decay": cfg.weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=device.type == "cuda")


def build_schedule(cfg: TrainConfig, plan: Plan) -> Schedule:
    return Schedule(
        lr=cfg.lr,
        steps=plan.steps,
        warmup=cfg.warmup,
        min_lr_ratio=cfg.min_lr_ratio,
        kind=cfg.schedule,
        decay=cfg.decay,
    )


def build_validation(cfg: TrainConfig, manifest: dict) -> dict[str, Batch]:
    if not manifest["splits"].get("val", {}).get("cooldown", {}).get("documents"):
        return {}
    return validation_batches(open_variants(cfg.data, "val", cfg.verify), cfg.seq_len, cfg.val_tokens)


def resume_state(cfg: TrainConfig, out: Path, model, optimizer, loader, rt: Runtime, model_config: ModelConfig) -> dict:
    """Load the newest checkpoint when resuming; refuse to overwrite one when not."""
    found = checkpoint.latest(out)
    if found is None:
        if cfg.resume:
            rt.log(f"resume: no checkpoint under {out / 'checkpoints'}; starting from scratch")
        return {"step": 0, "tokens": 0}
    if not cfg.resume:
        raise checkpoint.CheckpointError(f"{found}: {out} already holds a run; pass --resume or another --out")
    state = checkpoint.load(found, model, optimizer, rt.rank, asdict(model_config))
    loader.load_state_dict(state["cursor"])
    rt.log(
        f"resume: {found} (step {state['step']:,}, {state['tokens']:,} tokens, reading {state['cursor']['variant']})"
    )
    return state


# ----------------------------------------------------------------------------------------------------------
# steps


def train_step(
    model, optimizer, batch: Batch, cfg: TrainConfig, rt: Runtime, model_config: ModelConfig
) -> tuple[float, float]:
    """Accumulate gradients over this rank's micro batches, scaled so the update is that of the global
    mean loss (DDP averages over ranks, hence the world_size factor); return (loss, grad norm)."""
    (count,) = rt.sum(batch.num_targets)
    scale = rt.world_size / max(count, 1.0)  # an all-masked batch contributes 0, never NaN
    micro = batch.split(cfg.micro_batch)
    total = torch.zeros((), dtype=torch.float64, device=rt.device)
    for i, mb in enumerate(micro):
        mb = mb.to(rt.device)
        sync = (
            model.no_sync()
            if isinstance(model, DistributedDataParallel) and i < len(micro) - 1
            else contextlib.nullcontext()
        )
        with sync:
            with rt.autocast():
                loss_sum = model(mb.inputs, mb.doc_ids, mb.labels)
            (loss_sum * scale).backward()
        total += loss_sum.detach()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    (loss_total,) = rt.sum(total.item())
    return loss_total / max(count, 1.0), float(grad_norm)


@torch.no_grad()
def evaluate(
    model, val: dict[str, Batch], cfg: TrainConfig, rt: Runtime, model_config: ModelConfig
) -> dict[str, float]:
    """Held-out loss per variant: `conditioned` sees the metadata prefix, `cooldown` plain text.

    Ranks may hold different numbers of validation rows (none at all), so `model` must be the module
    without its DDP wrapper: DDP's per-forward buffer broadcast would pair up mismatched forward passes."""
    model.eval()
    losses = {}
    for variant, batch in val.items():
        mine = Batch(*(t[rt.rank :: rt.world_size] for t in (batch.inputs, batch.labels, batch.doc_ids)))
        total = 0.0
        for mb in mine.split(cfg.micro_batch):
            mb = mb.to(rt.device)
            with rt.autocast():
                total += model(mb.inputs, mb.doc_ids, mb.labels).item()
        loss, count = rt.sum(total, mine.num_targets)
        losses[f"val_loss_{variant}"] = loss / max(count, 1.0)
    model.train()
    return losses


def save_checkpoint(out, step, tokens, model, optimizer, loader, cfg, model_config, schedule, rt) -> None:
    state = {
        "step": step,
        "tokens": tokens,
        "cursor": loader.state_dict(),
        "model": asdict(model_config),
        "schedule": asdict(schedule),
        "world_size": rt.world_size,
        "config": asdict(cfg),
    }
    path = checkpoint.save(out, step, model, optimizer, state, rt.rank, rt.barrier)
    rt.log(f"checkpoint: {path}")


# ----------------------------------------------------------------------------------------------------------
# the loop


def train(cfg: TrainConfig) -> dict:
    """Train as configured; return the summary (also written to OUT/summary.json)."""
    rt = Runtime(cfg.device)
    out, data = Path(cfg.out), Path(cfg.data)
    manifest = read_manifest(data)
    plan = cfg.plan(rt.world_size)
    model_config = build_model_config(cfg, manifest, data)
    loader = PackedLoader(
        open_variants(data, "train", cfg.verify),
        cfg.seq_len,
        cfg.seed,
        rt.rank,
        rt.world_size,
        variant=plan.phase(0),
        log=rt.log,
    )
    val = build_validation(cfg, manifest)
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    model = Transformer(model_config, cfg.seq_len).to(rt.device)
    optimizer = build_optimizer(model, cfg, rt.device)
    schedule = build_schedule(cfg, plan)
    state = resume_state(cfg, out, model, optimizer, loader, rt, model_config)
    if state.get("schedule", asdict(schedule)) != asdict(schedule):
        rt.log(f"resume: the schedule changed from {state['schedule']} to {asdict(schedule)}")
    step, tokens = state["step"], state["tokens"]
    compiled = torch.compile(model) if cfg.compile else model
    wrapped = compiled  # evaluation uses `compiled`: see `evaluate`
    if rt.world_size > 1:
        wrapped = DistributedDataParallel(compiled, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
    metrics = MetricsLog(out / "metrics.jsonl", rt.rank == 0, step)
    peak = peak_flops(rt.device)
    flops_per_token = model_config.flops_per_token(cfg.seq_len)
    rt.log(
        f"train: {cfg.model} ({model_config.num_params() / 1e6:.1f}M params, vocab {model_config.vocab_size:,}) "
        f"on {rt.world_size} x {rt.device}; {plan.steps:,} steps x {cfg.batch_tokens:,} tokens, accumulation "
        f"{plan.accumulation}; mode {cfg.mode}, cooldown from step {plan.switch_step:,}; seed {cfg.seed}"
    )
    if cfg.mode == "meco" and plan.switch_step == 0:
        rt.log(
            f"train: no conditioned step in a run of {plan.steps:,} at --cooldown-fraction {cfg.cooldown_fraction}; "
            "the whole run is cooldown"
        )
    started, first_step, last_record, val_losses = time.time(), step, {}, {}
    stop = min(plan.steps, cfg.stop_after) if cfg.stop_after is not None else plan.steps
    if step >= stop:
        return already_done(out, step, stop, rt)
    progress = ProgressBar(stop, step, rt.rank == 0)
    while step < stop:
        t0 = time.time()
        phase = plan.phase(step)
        if phase != loader.cursor.variant:
            rt.log(f"phase: step {step:,}, {tokens:,} tokens: switching to {phase} at document {loader.cursor.index:,}")
        loader.switch(phase)
        batch = loader.next_batch(plan.sequences)
        for group in optimizer.param_groups:
            group["lr"] = schedule(step)
        loss, grad_norm = train_step(wrapped, optimizer, batch, cfg, rt, model_config)
        if not math.isfinite(loss):
            raise FloatingPointError(f"step {step + 1}: loss is {loss}; stopping")
        step, tokens = step + 1, tokens + cfg.batch_tokens
        tokens_per_s = cfg.batch_tokens / (time.time() - t0)
        record = {
            "step": step,
            "tokens": tokens,
            "phase": phase,
            "loss": loss,
            "lr": schedule(step - 1),
            "grad_norm": grad_norm,
            "tokens_per_s": tokens_per_s,
            "mfu": mfu(flops_per_token, tokens_per_s, peak, rt.world_size),
        }
        if val and ((cfg.eval_every and step % cfg.eval_every == 0) or step == plan.steps):
            val_losses = evaluate(compiled, val, cfg, rt, model_config)
            record.update(val_losses)
        metrics.write(record)
        progress.update(record)
        last_record = record
        if (cfg.log_every and step % cfg.log_every == 0) or step == stop:
            rt.log(" ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()))
        if step == stop or step == plan.switch_step or (cfg.save_every and step % cfg.save_every == 0):
            save_checkpoint(out, step, tokens, model, optimizer, loader, cfg, model_config, schedule, rt)
    summary = {
        "steps": step,
        "planned_steps": plan.steps,
        "tokens": tokens,
        "switch_step": plan.switch_step,
        "final_loss": last_record.get("loss"),
        **val_losses,
        "epoch": loader.cursor.epoch,
        "wall_s": time.time() - started,
        "tokens_per_s": (step - first_step) * cfg.batch_tokens / (time.time() - started),
        "out": str(out),
    }
    progress.close()
    if rt.rank == 0:
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    rt.log(summary_line(summary))
    rt.close()
    return summary


def already_done(out: Path, step: int, stop: int, rt: Runtime) -> dict:
    """No step to run (a finished run resumed, or --stop-after at or before the checkpoint): the summary
    of the run that got there stays as it is, rather than one of zero steps with no loss."""
    rt.log(
        f"train: {out} is already at step {step:,} (this run would stop at {stop:,}); nothing to train, "
        "summary.json left as it is"
    )
    rt.close()
    path = out / "summary.json"
    return json.loads(path.read_text()) if path.exists() else {}
