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
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import torch
from torch.nn.parallel import DistributedDataParallel

from ..errors import OptionError
from ..shards import Manifest, ShardFormatError
from . import checkpoint
from .config import SHAPE_OPTIONS, Plan, TrainConfig
from .data import Batch, PackedLoader, open_variants, validation_batches
from .metrics import MetricsLog, ProgressBar, mfu, peak_flops, summary_line
from .model import ModelConfig, Transformer, preset
from .runtime import Runtime
from .schedule import Schedule

# ----------------------------------------------------------------------------------------------------------
# builders


def build_model_config(cfg: TrainConfig, manifest: Manifest) -> ModelConfig:
    """The preset with the data's vocabulary and the shape options over it (recorded in every checkpoint, so
    inference builds the same shape); a vocabulary the embedding cannot hold or a shape that does not split
    into heads fails here."""
    need = manifest.vocab_size
    vocab = cfg.vocab_size or 128 * math.ceil(need / 128)
    if vocab < need:
        raise ShardFormatError(
            f"{manifest.describe()}: the tokenizer has {need:,} ids but the model's embedding "
            f"holds {vocab:,} (--vocab-size); use at least {need}"
        )
    config = preset(cfg.model, vocab_size=vocab, doc_mask=cfg.doc_mask, **cfg.shape_overrides())
    try:
        config.check()
    except ValueError as e:
        given = " ".join(
            f"--{f.replace('_', '-')} {getattr(cfg, f)}" for f in SHAPE_OPTIONS if getattr(cfg, f) is not None
        )
        raise OptionError(f"--model {cfg.model} {given}: {e}") from e
    return config


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
    model: Transformer  # the module itself: checkpoints and the model config
    compiled: torch.nn.Module  # `model`, compiled when asked: evaluation runs it (see `evaluate`)
    wrapped: torch.nn.Module  # `compiled`, wrapped for data parallelism: training runs it
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    loader: PackedLoader
    val: dict[str, Batch]
    step: int = 0
    tokens: int = 0

    @property
    def model_config(self) -> ModelConfig:
        return self.model.cfg


def build_run(cfg: TrainConfig) -> Run:
    """Everything the loop needs, restored from the newest checkpoint when resuming."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)  # torch's default on a shared machine can be several times slower
    rt = Runtime(cfg.device)
    out, data = Path(cfg.out), Path(cfg.data)
    manifest = Manifest.read(data)
    plan = cfg.plan(rt.world_size)
    model_config = build_model_config(cfg, manifest)
    loader = PackedLoader(
        open_variants(data, "train", cfg.verify),
        cfg.seq_len,
        cfg.seed,
        rt.rank,
        rt.world_size,
        variant=plan.phase(0),
        log=rt.log,
        packing=cfg.packing,
        metadata_prob=cfg.metadata_prob,
    )
    if cfg.document_tokens is not None:
        plan = cfg.plan(rt.world_size, steps=steps_for_document_tokens(cfg, plan, loader))
    torch.manual_seed(cfg.seed)  # the same initial weights on every rank
    model = Transformer(model_config, cfg.seq_len).to(rt.device)
    optimizer = build_optimizer(model, cfg, rt.device)
    compiled = torch.compile(model) if cfg.compile else model
    wrapped = compiled
    if rt.world_size > 1:
        wrapped = DistributedDataParallel(compiled, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
    run = Run(
        cfg,
        plan,
        rt,
        out,
        model,
        compiled,
        wrapped,
        optimizer,
        build_schedule(cfg, plan),
        loader,
        build_validation(cfg, manifest),
    )
    resume(run)
    return run


def steps_for_document_tokens(cfg: TrainConfig, plan: Plan, loader: PackedLoader, sample: int = 256) -> int:
    """The fewest steps whose expected trained document tokens reach `cfg.document_tokens`.

    A prefix costs tokens, so a step of the conditioned phase trains less text than a cooldown step; the
    target tokens per sequence of each phase are measured on the first `sample` sequences of a copy of the
    stream (same seed, packing and metadata mixing), and steps are added until the budget is met."""
    per_sequence = {}
    for phase in ("conditioned", "cooldown"):
        probe = PackedLoader(
            loader.shards,
            cfg.seq_len,
            cfg.seed,
            variant=phase,
            log=lambda _: None,
            packing=cfg.packing,
            metadata_prob=cfg.metadata_prob,
        )
        per_sequence[phase] = probe.next_batch(sample).num_targets / sample
    if not min(per_sequence.values()):
        raise ShardFormatError(f"{cfg.data}: the first {sample} sequences hold no target tokens")

    def expected(steps: int) -> float:  # grows with steps: each step adds a positive number of targets
        switch = cfg.plan(1, steps=steps).switch_step
        return plan.sequences * (switch * per_sequence["conditioned"] + (steps - switch) * per_sequence["cooldown"])

    low, high = 0, 1
    while expected(high) < cfg.document_tokens:
        low, high = high, high * 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if expected(mid) >= cfg.document_tokens else (mid, high)
    return high


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
    state = checkpoint.load(found, run.model, run.optimizer, rt.rank, run.model_config)
    run.loader.load_state_dict(state.cursor)
    run.step, run.tokens = state.step, state.tokens
    rt.log(f"resume: {found} (step {state.step:,}, {state.tokens:,} tokens, reading {state.cursor['variant']})")
    if state.schedule != asdict(run.schedule):
        rt.log(f"resume: the schedule changed from {state.schedule} to {asdict(run.schedule)}")


# ----------------------------------------------------------------------------------------------------------
# steps


class StepResult(NamedTuple):
    loss: float  # mean over the global batch's target tokens
    grad_norm: float
    targets: int  # target tokens in the global batch


def train_step(run: Run, batch: Batch) -> StepResult:
    """Accumulate gradients over this rank's micro batches, scaled so the update is that of the global
    mean loss (DDP averages over ranks, hence the world_size factor)."""
    cfg, rt, model = run.cfg, run.rt, run.wrapped
    (count,) = rt.sum(batch.num_targets)
    scale = rt.world_size / max(count, 1.0)  # an all-masked batch contributes 0, never NaN
    micro = batch.split(cfg.micro_batch)
    total = torch.zeros((), dtype=torch.float64, device=rt.device)
    for i, mb in enumerate(micro):
        mb = mb.to(rt.device)
        last = i == len(micro) - 1
        sync = model.no_sync() if isinstance(model, DistributedDataParallel) and not last else contextlib.nullcontext()
        with sync:
            with rt.autocast():
                loss_sum = model(mb.inputs, mb.doc_ids, mb.labels)
            (loss_sum * scale).backward()
        total += loss_sum.detach()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    (loss_total,) = rt.sum(total.item())
    return StepResult(loss_total / max(count, 1.0), float(grad_norm), int(count))


@torch.no_grad()
def evaluate(run: Run) -> dict[str, float]:
    """Held-out loss per variant: `conditioned` sees the metadata prefix, `cooldown` plain text.

    Ranks may hold different numbers of validation rows (none at all), so this runs `run.compiled`, the
    module without its DDP wrapper: DDP's per-forward buffer broadcast would pair up mismatched forward passes."""
    cfg, rt, model = run.cfg, run.rt, run.compiled
    model.eval()
    losses = {}
    for variant, batch in run.val.items():
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
    rt.log(
        f"train: {cfg.model} ({mc.num_params() / 1e6:.1f}M params, vocab {mc.vocab_size:,}) "
        f"on {rt.world_size} x {rt.device}; {plan.steps:,} steps x {cfg.batch_tokens:,} tokens, accumulation "
        f"{plan.accumulation}; mode {cfg.mode}, cooldown from step {plan.switch_step:,}; seed {cfg.seed}"
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
        loss, grad_norm, targets = train_step(run, batch)
        if not math.isfinite(loss):
            raise FloatingPointError(f"step {run.step + 1}: loss is {loss}; stopping")
        run.step, run.tokens = run.step + 1, run.tokens + cfg.batch_tokens
        stats = run.loader.stats
        stats.target_tokens += targets
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
            "target_tokens": stats.target_tokens,
            "metadata_share": stats.metadata_share,
            "tokens_dropped": stats.tokens_dropped,
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
        "target_tokens": run.loader.stats.target_tokens,
        "metadata_share": run.loader.stats.metadata_share,
        "tokens_dropped": run.loader.stats.tokens_dropped,
        "packing": cfg.packing,
        "wall_s": time.time() - started,
        "tokens_per_s": (run.step - first_step) * cfg.batch_tokens / (time.time() - started),
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
