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
from typing import NamedTuple

import torch

from ..errors import MecoError, OptionError
from ..shards import MANIFEST, Manifest, ShardFormatError, sha256_file
from . import checkpoint, memory, parallel
from .config import SHAPE_OPTIONS, Plan, TrainConfig, recorded_switch_step
from .data import IGNORE, Batch, PackedLoader, open_variants, validation_batches
from .metrics import MetricsLog, ProgressBar, copy_history, mfu, peak_flops, peak_memory, summary_line, write_json
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
        warmup_steps=cfg.warmup_steps,
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
    data_sha256: str = ""  # of the data's manifest.json, recorded in every checkpoint
    step: int = 0
    tokens: int = 0
    skipped: int = 0  # steps without an update for a non-finite loss or gradient norm (--skip-nonfinite)
    checkpoint: Path | None = None  # the newest good checkpoint: where a failed run can go back to

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
        compiled=parallel.compiles(cfg.compile, rt.device),
    )
    free = memory.available(rt.device, rt.local_world_size)
    if free is not None:
        free = int(rt.all_reduce(torch.tensor(free, device=rt.device), op=torch.distributed.ReduceOp.MIN))
    memory.refuse_if_too_big(planned, free, cfg.model)
    return planned


def build_run(cfg: TrainConfig) -> Run:
    """Everything the loop needs, restored from the newest checkpoint when resuming. The memory plan is
    checked before the model is allocated."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)  # torch's default on a shared machine can be several times slower
    manifest = Manifest.read(cfg.data)
    out, data = Path(cfg.out), Path(cfg.data)
    data_sha256 = sha256_file(data / MANIFEST)
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
            packing=cfg.packing,
            metadata_prob=cfg.metadata_prob,
        )
        plan = plan_of(cfg, rt.world_size, loader.shards)
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
            data_sha256=data_sha256,
        )
        resume(run)
    except BaseException:
        rt.close()  # a refused or failed start leaves no process group behind
        raise
    return run


def plan_of(cfg: TrainConfig, world_size: int = 1, shards=None) -> Plan:
    """The plan a run of `cfg` follows, without building it: a document-token budget is turned into steps on the
    data (`shards`: its opened train variants, else opened here), so a caller can checkpoint one run at the steps
    where runs at other budgets will branch from it."""
    plan = cfg.plan(world_size)
    if cfg.document_tokens is not None:
        shards = shards if shards is not None else open_variants(cfg.data, "train", cfg.verify)
        plan = cfg.plan(world_size, steps=steps_for_document_tokens(cfg, plan, shards))
    if cfg.warmup_steps is not None and cfg.warmup_steps > plan.steps:
        raise OptionError(f"--warmup-steps {cfg.warmup_steps}: more than the run's {plan.steps:,} steps")
    return plan


def steps_for_document_tokens(cfg: TrainConfig, plan: Plan, shards, sample: int = 256) -> int:
    """The fewest steps whose expected trained document tokens reach `cfg.document_tokens`.

    A prefix costs tokens, so a step of the conditioned phase trains less text than a cooldown step; the
    target tokens per sequence of each phase are measured on the first `sample` sequences of a copy of the
    stream (same seed, packing and metadata mixing), and steps are added until the budget is met. Appended
    metadata (suffix data) is trained but is no text: the conditioned phase's targets are scaled by the
    share of text in them, from the manifest's target counts and `metadata_prob`."""
    per_sequence = {}
    for phase in ("conditioned", "cooldown"):
        probe = PackedLoader(
            shards,
            cfg.seq_len,
            cfg.seed,
            variant=phase,
            log=lambda _: None,
            packing=cfg.packing,
            metadata_prob=cfg.metadata_prob,
        )
        per_sequence[phase] = probe.next_batch(sample).num_targets / sample
    manifest = shards["cooldown"].manifest
    if manifest.position == "suffix":  # appended metadata is trained, yet no document text: take its share out
        text_share = (
            manifest.variant("train", "cooldown").target_tokens / manifest.variant("train", "conditioned").target_tokens
        )
        per_sequence["conditioned"] /= cfg.metadata_prob / text_share + 1 - cfg.metadata_prob
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
    """Start from a checkpoint: the newest good one of this run when resuming, else the one a branch starts
    from; refuse to overwrite a run when not resuming. Rank 0 verifies and picks, every rank loads it."""
    cfg, rt = run.cfg, run.rt
    existing = checkpoint.latest(run.out)
    if existing is not None and not cfg.resume:
        raise checkpoint.CheckpointError(f"{existing}: {run.out} already holds a run; pass --resume or another --out")
    found = rt.share(start_checkpoint(run) if rt.rank == 0 else None)
    if found is None:
        if cfg.resume:
            rt.log(f"resume: no checkpoint under {run.out / 'checkpoints'}; starting from scratch")
        return
    branch = existing is None
    state = checkpoint.CheckpointState.read(found)
    check_continuation(run, found, state)
    state = checkpoint.load(found, run.model, run.optimizer, run.model_config)
    run.loader.load_state_dict(state.cursor)
    run.step, run.tokens, run.skipped, run.checkpoint = state.step, state.tokens, state.skipped, found
    if branch and rt.rank == 0 and found.parent.name == "checkpoints":  # the records of the run it branches from
        copy_history(found.parent.parent / "metrics.jsonl", run.out / "metrics.jsonl", state.step, rt.log)
    rt.log(
        f"{'branch' if branch else 'resume'}: {found} (step {state.step:,}, {state.tokens:,} tokens, "
        f"reading {state.cursor['variant']})"
    )
    if state.schedule != asdict(run.schedule):
        rt.log(
            f"{'branch' if branch else 'resume'}: the schedule changed from {state.schedule} to "
            f"{asdict(run.schedule)}; the learning rate of step {state.step + 1:,} is {run.schedule(state.step):.4g}"
        )


def start_checkpoint(run: Run) -> Path | None:
    """The verified checkpoint to start from: this run's newest good one (damaged newer ones skipped with a
    warning), else --branch-from's."""

    def warn(message: str) -> None:
        run.rt.log(f"warning: {message}")

    if run.cfg.resume:
        found = checkpoint.newest(run.out, warn)
        if found is not None:
            return found
    return checkpoint.resolve(run.cfg.branch_from, warn) if run.cfg.branch_from else None


def check_continuation(run: Run, found: Path, state: checkpoint.CheckpointState) -> None:
    """Refuse a checkpoint this run cannot continue: other data, another document order, or a plan that
    disagrees with the variant each of its steps read. A budget may change while the checkpoint is still
    conditioned and the new switch is not behind it; a checkpoint in its cooldown keeps its switch."""
    cfg, data = run.cfg, Path(run.cfg.data)
    if state.data_sha256 and state.data_sha256 != run.data_sha256:
        raise checkpoint.CheckpointError(
            f"{found}: trained on {state.data} (manifest sha256 {state.data_sha256[:12]}), but --data {data} "
            f"holds other data (manifest sha256 {run.data_sha256[:12]}); continue on the same data or start a new --out"
        )
    if state.config.get("seed") != cfg.seed:
        raise checkpoint.CheckpointError(
            f"{found}: trained with --seed {state.config.get('seed')}, which fixes its document order; "
            f"--seed {cfg.seed} would read other documents"
        )
    done, before, now = state.step, recorded_switch_step(state.config), run.plan.switch_step
    if min(done, before) == min(done, now):  # every step done read the variant this plan gives it
        return
    if done <= before:
        raise checkpoint.CheckpointError(
            f"{found}: step {done:,} was trained on conditioned data, but this plan switches to cooldown at step "
            f"{now:,}; a budget whose switch is at step {done:,} or later continues it"
        )
    switch = checkpoint.step_dir(found.parent.parent, before)
    raise checkpoint.CheckpointError(
        f"{found}: in the cooldown that started at step {before:,}; this plan switches at step {now:,}. "
        + (
            f"To cool down at a new budget, branch a new run from the switch checkpoint: "
            f"meco train --out NEW --branch-from {switch} with the new --steps or --tokens"
            if before
            else "Its run had no conditioned phase to continue"
        )
    )


# ----------------------------------------------------------------------------------------------------------
# steps


class StepResult(NamedTuple):
    loss: float  # mean over the global batch's target tokens
    grad_norm: float
    targets: int  # target tokens in the global batch


def train_step(run: Run, batch: Batch) -> StepResult:
    """Accumulate gradients over this rank's micro batches, scaled so the update is that of the global
    mean loss (DDP and FSDP average over ranks, hence the world_size factor). The update is made only when
    loss and gradient norm are finite, so a NaN or an overflow never reaches the weights; every rank sees
    the same reduced loss and norm, so all ranks decide alike.

    Target count, loss and norm stay on the device until the step's one host synchronisation, which reads
    them together before the update."""
    cfg, rt, model = run.cfg, run.rt, run.wrapped
    batch = batch.to(rt.device)
    count = rt.all_reduce((batch.labels != IGNORE).sum().double())
    scale = rt.world_size / count.clamp(min=1.0)  # an all-masked batch contributes 0, never NaN
    micro = batch.split(cfg.micro_batch)
    total = torch.zeros((), dtype=torch.float64, device=rt.device)
    for i, mb in enumerate(micro):
        with parallel.accumulating(model, last=i == len(micro) - 1):
            with rt.autocast():
                loss_sum = model(mb.inputs, mb.doc_ids, mb.labels)
            (loss_sum * scale).backward()
        total += loss_sum.detach()
    grad_norm = parallel.clip_grad_norm_(model, cfg.grad_clip)
    loss_total, norm, targets = torch.stack((rt.all_reduce(total), grad_norm.double(), count)).tolist()
    loss = loss_total / max(targets, 1.0)
    if math.isfinite(loss) and math.isfinite(norm):
        run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    return StepResult(loss, norm, int(targets))


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
        # the data found from any directory; the switch recorded, as a document-token budget needs the data
        config={**asdict(run.cfg), "data": str(Path(run.cfg.data).resolve()), "switch_step": run.plan.switch_step},
        data_sha256=run.data_sha256,
        skipped=run.skipped,
    )
    run.checkpoint = checkpoint.save(run.out, state, run.model, run.optimizer, run.rt.rank, run.rt.barrier)
    run.rt.log(f"checkpoint: {run.checkpoint}")


class NonFiniteError(MecoError, FloatingPointError):
    """A step whose loss or gradient norm is not finite, beyond --skip-nonfinite; no update was made."""


def check_finite(run: Run, loss: float, grad_norm: float) -> bool:
    """Whether the step just run updated the weights; a non-finite one is counted while --skip-nonfinite
    allows, else the run stops naming the step and the checkpoint to go back to."""
    if math.isfinite(loss) and math.isfinite(grad_norm):
        return True
    run.skipped += 1
    step = run.step + 1
    if run.skipped > run.cfg.skip_nonfinite:
        back = f"the last good checkpoint is {run.checkpoint}" if run.checkpoint else "no checkpoint was written yet"
        raise NonFiniteError(
            f"step {step:,}: loss {loss}, gradient norm {grad_norm}: not finite, so the weights were not updated; "
            f"{back}. Lower --lr, or pass --skip-nonfinite N to skip up to N such steps"
            + (f" ({run.skipped - 1} skipped so far)" if run.skipped > 1 else "")
        )
    run.rt.log(f"warning: step {step:,}: loss {loss}, gradient norm {grad_norm}: not finite; step skipped, no update")
    return False


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
    metrics = MetricsLog(run.out / "metrics.jsonl", rt.rank == 0, run.step, rt.log)
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
        updated = check_finite(run, loss, grad_norm)
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
        if not updated:
            record["skipped"] = True
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
        "skipped_steps": run.skipped,
        "epoch": run.loader.cursor.epoch,
        "target_tokens": run.loader.stats.target_tokens,
        "metadata_share": run.loader.stats.metadata_share,
        "tokens_dropped": run.loader.stats.tokens_dropped,
        "packing": cfg.packing,
        "wall_s": time.time() - started,
        "tokens_per_s": (run.step - first_step) * cfg.batch_tokens / (time.time() - started),
        "peak_memory_gib": peak_memory(rt.device),
        "planned_memory_gib": run.memory_plan.total / memory.GiB,
        "out": str(run.out),
    }
    progress.close()
    if rt.rank == 0:
        write_json(run.out / "summary.json", summary)
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
