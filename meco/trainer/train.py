"""The training loop: named builders set everything up, `train` runs the steps.

MeCo in one place: `plan.phase(step)` tells the loader which variant to read. One optimizer, one LR
schedule and one data permutation run through both phases. The loss is the sum of per-token cross
entropy over the global batch divided by its number of target tokens, however the batch is split
across micro batches and ranks.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..shards import Manifest, ShardFormatError
from . import checkpoint, memory, parallel
from .config import Plan, TrainConfig
from .data import IGNORE, Batch, PackedLoader, open_variants, validation_batches
from .metrics import MetricsLog, ProgressBar, mfu, peak_flops, peak_memory, summary_line
from .model import ModelConfig, Transformer, preset
from .runtime import Runtime
from .schedule import Schedule

# ----------------------------------------------------------------------------------------------------------
# builders


def build_model_config(cfg: TrainConfig, manifest: Manifest) -> ModelConfig:
    """The preset with the data's vocabulary; a vocabulary the embedding cannot hold fails here."""
    need = manifest.vocab_size
    vocab = cfg.vocab_size or 128 * math.ceil(need / 128)
    if vocab < need:
        raise ShardFormatError(
            f"{manifest.describe()}: the tokenizer has {need:,} ids but the model's embedding "
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


def build_validation(cfg: TrainConfig, manifest: Manifest) -> dict[str, Batch]:
    if not manifest.variant("val", "cooldown").documents:
        return {}
    return validation_batches(open_variants(cfg.data, "val", cfg.verify), cfg.seq_len, cfg.val_tokens)


@dataclass
class Run:
    """What the loop works with: the parts built once, and how far it has come."""

    cfg: TrainConfig
    plan: Plan
    rt: Runtime
    out: Path
    model: Transformer  # the model (blocks compiled, checkpointed or sharded in place): checkpoints, evaluation
    wrapped: torch.nn.Module  # what training runs: `model`, or its DDP wrapper
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    loader: PackedLoader
    val: dict[str, Batch]
    parallel: str  # ddp or fsdp (`auto` resolved)
    memory_plan: memory.MemoryPlan
    step: int = 0
    tokens: int = 0

    @property
    def model_config(self) -> ModelConfig:
        return self.model.cfg


def build_memory_plan(cfg: TrainConfig, model_config: ModelConfig, strategy: str, rt: Runtime) -> memory.MemoryPlan:
    """The plan per rank, refused (on every rank alike) when it exceeds the free memory of the smallest rank."""
    planned = memory.plan(
        model_config,
        parallel=strategy,
        world_size=rt.world_size,
        micro_batch=cfg.micro_batch,
        seq_len=cfg.seq_len,
        ac=cfg.ac,
        device=rt.device,
    )
    free = memory.available(rt.device, rt.local_world_size)
    if free is not None:
        free = int(rt.all_reduce(torch.tensor(free, device=rt.device), op=torch.distributed.ReduceOp.MIN))
    memory.refuse_if_too_big(planned, free, cfg.model)
    return planned


def build_run(cfg: TrainConfig) -> Run:
    """Everything the loop needs, restored from the newest checkpoint when resuming. The memory plan is
    checked before the model is allocated."""
    out, data = Path(cfg.out), Path(cfg.data)
    manifest = Manifest.read(data)
    model_config = build_model_config(cfg, manifest)
    strategy = parallel.choose(cfg.parallel, model_config)
    rt = Runtime(cfg.device, group=strategy == "fsdp")
    try:
        plan = cfg.plan(rt.world_size)
        planned = build_memory_plan(cfg, model_config, strategy, rt)
        loader = PackedLoader(
            open_variants(data, "train", cfg.verify),
            cfg.seq_len,
            cfg.seed,
            rt.rank,
            rt.world_size,
            variant=plan.phase(0),
            log=rt.log,
        )
        torch.manual_seed(cfg.seed)  # the same initial weights on every rank
        model = Transformer(model_config, cfg.seq_len).to(rt.device)
        wrapped = parallel.parallelize(
            model,
            parallel=strategy,
            ac=cfg.ac,
            compile=parallel.compiles(cfg.compile, rt.device),
            device=rt.device,
            world_size=rt.world_size,
        )
        run = Run(
            cfg,
            plan,
            rt,
            out,
            model,
            wrapped,
            build_optimizer(model, cfg, rt.device),  # after sharding: FSDP replaces the parameters
            build_schedule(cfg, plan),
            loader,
            build_validation(cfg, manifest),
            strategy,
            planned,
        )
        resume(run)
    except BaseException:
        rt.close()  # a refused or failed start leaves no process group behind
        raise
    return run


def resume(run: Run) -> None:
    """Load the newest checkpoint when resuming; refuse to overwrite one when not."""
    cfg, rt = run.cfg, run.rt
    found = checkpoint.latest(run.out)
    if found is None:
        if cfg.resume:
            rt.log(f"resume: no checkpoint under {run.out / 'checkpoints'}; starting from scratch")
        return
    if not cfg.resume:
        raise checkpoint.CheckpointError(f"{found}: {run.out} already holds a run; pass --resume or another --out")
    state = checkpoint.load(found, run.model, run.optimizer, run.model_config)
    run.loader.load_state_dict(state.cursor)
    run.step, run.tokens = state.step, state.tokens
    rt.log(f"resume: {found} (step {state.step:,}, {state.tokens:,} tokens, reading {state.cursor['variant']})")
    if state.schedule != asdict(run.schedule):
        rt.log(f"resume: the schedule changed from {state.schedule} to {asdict(run.schedule)}")


# ----------------------------------------------------------------------------------------------------------
# steps


def train_step(run: Run, batch: Batch) -> tuple[float, float]:
    """Accumulate gradients over this rank's micro batches, scaled so the update is that of the global
    mean loss (DDP and FSDP average over ranks, hence the world_size factor); return (loss, grad norm).

    Counts, loss and norm stay on the device until the one host synchronisation of the step, which reads
    loss and norm together for the log."""
    cfg, rt, model = run.cfg, run.rt, run.wrapped
    batch = batch.to(rt.device)
    count = rt.all_reduce((batch.labels != IGNORE).sum().double()).clamp(min=1.0)  # all-masked: 0, never NaN
    scale = rt.world_size / count
    micro = batch.split(cfg.micro_batch)
    total = torch.zeros((), dtype=torch.float64, device=rt.device)
    for i, mb in enumerate(micro):
        with parallel.accumulating(model, last=i == len(micro) - 1):
            with rt.autocast():
                logits = model(mb.inputs, mb.doc_ids if run.model_config.doc_mask else None)
            loss_sum = F.cross_entropy(
                logits.float().flatten(0, 1), mb.labels.flatten(), ignore_index=IGNORE, reduction="sum"
            )
            (loss_sum * scale).backward()
        total += loss_sum.detach()
    grad_norm = parallel.clip_grad_norm_(model, cfg.grad_clip)
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    loss, norm = torch.stack((rt.all_reduce(total) / count, grad_norm.double())).tolist()
    return loss, norm


@torch.no_grad()
def evaluate(run: Run) -> dict[str, float]:
    """Held-out loss per variant: `conditioned` sees the metadata prefix, `cooldown` plain text.

    Every rank runs the same number of forward passes (FSDP all-gathers in each one; see `Batch.share`),
    on `run.model`, without DDP's wrapper, whose per-forward buffer broadcast only training needs."""
    cfg, rt, model = run.cfg, run.rt, run.model
    model.eval()
    losses = {}
    for variant, batch in run.val.items():
        mine = batch.share(rt.rank, rt.world_size)
        total = 0.0
        for mb in mine.split(cfg.micro_batch):
            mb = mb.to(rt.device)
            with rt.autocast():
                logits = model(mb.inputs, mb.doc_ids if run.model_config.doc_mask else None)
            total += F.cross_entropy(
                logits.float().flatten(0, 1), mb.labels.flatten(), ignore_index=IGNORE, reduction="sum"
            ).item()
        loss, count = rt.sum(total, mine.num_targets)
        losses[f"val_loss_{variant}"] = loss / max(count, 1.0)
    model.train()
    return losses


def save_checkpoint(run: Run) -> None:
    state = checkpoint.CheckpointState(
        step=run.step,
        tokens=run.tokens,
        cursor=run.loader.state_dict(),
        model=asdict(run.model_config),
        schedule=asdict(run.schedule),
        world_size=run.rt.world_size,
        config=asdict(run.cfg),
    )
    path = checkpoint.save(run.out, state, run.model, run.optimizer, run.rt.rank, run.rt.barrier)
    run.rt.log(f"checkpoint: {path}")


# ----------------------------------------------------------------------------------------------------------
# the loop


def train(cfg: TrainConfig) -> dict:
    """Train as configured; return the summary (also written to OUT/summary.json)."""
    run = build_run(cfg)
    plan, rt, mc = run.plan, run.rt, run.model_config
    compiled = "compiled" if parallel.compiles(cfg.compile, rt.device) else "eager"
    rt.log(
        f"train: {cfg.model} ({mc.num_params() / 1e6:.1f}M params, vocab {mc.vocab_size:,}) "
        f"on {rt.world_size} x {rt.device} ({run.parallel}, --ac {cfg.ac}, {compiled}); {plan.steps:,} steps x "
        f"{cfg.batch_tokens:,} tokens, accumulation {plan.accumulation}; mode {cfg.mode}, cooldown from step "
        f"{plan.switch_step:,}; seed {cfg.seed}; memory {run.memory_plan.describe()}"
    )
    if cfg.mode == "meco" and plan.switch_step == 0:
        rt.log(
            f"train: no conditioned step in a run of {plan.steps:,} at --cooldown-fraction {cfg.cooldown_fraction}; "
            "the whole run is cooldown"
        )
    if run.step >= plan.stop:
        return already_done(run)
    metrics = MetricsLog(run.out / "metrics.jsonl", rt.rank == 0, run.step)
    peak, flops_per_token = peak_flops(rt.device), mc.flops_per_token(cfg.seq_len)
    started, first_step, last_record, val_losses = time.time(), run.step, {}, {}
    progress = ProgressBar(plan.stop, run.step, rt.rank == 0)
    while run.step < plan.stop:
        t0 = time.time()
        phase = plan.phase(run.step)
        if phase != run.loader.cursor.variant:
            rt.log(
                f"phase: step {run.step:,}, {run.tokens:,} tokens: switching to {phase} "
                f"at document {run.loader.cursor.index:,}"
            )
        run.loader.switch(phase)
        batch = run.loader.next_batch(plan.sequences)
        lr = run.schedule(run.step)
        for group in run.optimizer.param_groups:
            group["lr"] = lr
        loss, grad_norm = train_step(run, batch)
        if not math.isfinite(loss):
            raise FloatingPointError(f"step {run.step + 1}: loss is {loss}; stopping")
        run.step, run.tokens = run.step + 1, run.tokens + cfg.batch_tokens
        tokens_per_s = cfg.batch_tokens / (time.time() - t0)
        record = {
            "step": run.step,
            "tokens": run.tokens,
            "phase": phase,
            "loss": loss,
            "lr": lr,
            "grad_norm": grad_norm,
            "tokens_per_s": tokens_per_s,
            "mfu": mfu(flops_per_token, tokens_per_s, peak, rt.world_size),
        }
        if run.val and plan.evaluates_after(run.step):
            val_losses = evaluate(run)
            record.update(val_losses)
        metrics.write(record)
        progress.update(record)
        last_record = record
        if (cfg.log_every and run.step % cfg.log_every == 0) or run.step == plan.stop:
            rt.log(" ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()))
        if plan.saves_after(run.step):
            save_checkpoint(run)
    summary = {
        "steps": run.step,
        "planned_steps": plan.steps,
        "tokens": run.tokens,
        "switch_step": plan.switch_step,
        "final_loss": last_record.get("loss"),
        **val_losses,
        "epoch": run.loader.cursor.epoch,
        "wall_s": time.time() - started,
        "tokens_per_s": (run.step - first_step) * cfg.batch_tokens / (time.time() - started),
        "peak_memory_gib": peak_memory(rt.device),
        "planned_memory_gib": run.memory_plan.total / memory.GiB,
        "out": str(run.out),
    }
    progress.close()
    if rt.rank == 0:
        (run.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    rt.log(summary_line(summary))
    rt.close()
    return summary


def already_done(run: Run) -> dict:
    """No step to run (a finished run resumed, or --stop-after at or before the checkpoint): the summary
    of the run that got there stays as it is, rather than one of zero steps with no loss."""
    run.rt.log(
        f"train: {run.out} is already at step {run.step:,} (this run would stop at {run.plan.stop:,}); "
        "nothing to train, summary.json left as it is"
    )
    run.rt.close()
    path = run.out / "summary.json"
    return json.loads(path.read_text()) if path.exists() else {}
