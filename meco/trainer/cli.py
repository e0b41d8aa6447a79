"""`meco train`: click options mapped one to one onto TrainConfig. Imports no torch, so `meco --help` stays fast."""

from __future__ import annotations

import click

from ..errors import reported
from .config import ACTIVATION_CHECKPOINTING, MODELS, MODES, PACKINGS, PARALLEL, TrainConfig

D = TrainConfig()  # defaults shown in --help come from the dataclass


def steps_list(ctx, param, value: str | None) -> tuple[int, ...]:
    """`--save-at 120,240` as steps; TrainConfig checks their range."""
    try:
        return tuple(int(step) for step in value.split(",")) if value else ()
    except ValueError:
        raise click.BadParameter(f"{value}: give steps separated by commas, e.g. 120,240") from None


@click.command("train", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--data", default=D.data, show_default=True, help="Folder written by `meco prepare`.")
@click.option("--out", default=D.out, show_default=True, help="Run folder: metrics.jsonl, checkpoints/, summary.json.")
@click.option("--model", type=click.Choice(MODELS), default=D.model, show_default=True, help="Model preset.")
@click.option("--layers", type=int, help="Transformer blocks, overriding the preset's.")
@click.option("--dim", type=int, help="Model width, overriding the preset's.")
@click.option("--heads", type=int, help="Attention heads, overriding the preset's.")
@click.option("--kv-heads", type=int, help="Key/value heads (grouped-query attention), overriding the preset's.")
@click.option("--ffn-dim", type=int, help="SwiGLU hidden width, overriding the preset's.")
@click.option(
    "--doc-mask/--no-doc-mask",
    default=D.doc_mask,
    show_default=True,
    help="Attend only within each packed document, positions restarting per document.",
)
@click.option(
    "--vocab-size",
    type=int,
    default=D.vocab_size,
    show_default=True,
    help="Embedding rows; 0 = the manifest's vocabulary rounded up to a multiple of 128.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=D.mode,
    show_default=True,
    help="meco: conditioned then cooldown; standard: plain documents throughout (baseline).",
)
@click.option(
    "--cooldown-fraction",
    type=float,
    default=D.cooldown_fraction,
    show_default=True,
    help="Share of the budget trained on plain documents at the end (meco mode).",
)
@click.option("--tokens", type=int, help=f"Token budget. [default: {TrainConfig.DEFAULT_TOKENS:,} unless --steps]")
@click.option("--steps", type=int, help="Optimizer steps (instead of --tokens).")
@click.option(
    "--document-tokens",
    type=int,
    help="Budget in trained document tokens (targets), so arms with and without metadata prefixes see equal text.",
)
@click.option(
    "--packing",
    type=click.Choice(PACKINGS),
    default=D.packing,
    show_default=True,
    help="concat: back to back; complete: every sequence starts with a document, overflow dropped (MeCo); "
    "repeat-prefix: back to back, a continued document repeats its metadata prefix.",
)
@click.option(
    "--metadata-prob",
    type=float,
    default=D.metadata_prob,
    show_default=True,
    help="Conditioned phase: probability that a document is read with its metadata (0.9 with "
    "--cooldown-fraction 0: 90/10 mixing).",
)
@click.option("--seq-len", type=int, default=D.seq_len, show_default=True)
@click.option("--batch-tokens", type=int, default=D.batch_tokens, show_default=True, help="Global tokens per step.")
@click.option(
    "--micro-batch",
    type=int,
    default=D.micro_batch,
    show_default=True,
    help="Sequences per forward pass per rank; gradient accumulation makes up the rest.",
)
@click.option("--lr", type=float, default=D.lr, show_default=True, help="Peak learning rate.")
@click.option("--min-lr-ratio", type=float, default=D.min_lr_ratio, show_default=True)
@click.option("--warmup", type=float, default=D.warmup, show_default=True, help="Warmup as a fraction of steps.")
@click.option(
    "--warmup-steps",
    type=int,
    help="Warmup in steps, overriding --warmup: the same at every budget, so a branch at another budget is exact.",
)
@click.option("--schedule", type=click.Choice(["cosine", "wsd"]), default=D.schedule, show_default=True)
@click.option("--decay", type=float, default=D.decay, show_default=True, help="wsd: fraction of steps in the decay.")
@click.option("--weight-decay", type=float, default=D.weight_decay, show_default=True)
@click.option("--beta1", type=float, default=D.beta1, show_default=True)
@click.option("--beta2", type=float, default=D.beta2, show_default=True)
@click.option("--grad-clip", type=float, default=D.grad_clip, show_default=True)
@click.option("--seed", type=int, default=D.seed, show_default=True, help="Seeds weights and document order.")
@click.option(
    "--save-every",
    type=int,
    default=D.save_every,
    show_default=True,
    help="Checkpoint every N steps (0: only at the phase switch and the end).",
)
@click.option(
    "--save-at",
    callback=steps_list,
    help="Also checkpoint after these steps, comma-separated (e.g. where runs at smaller budgets will branch).",
)
@click.option("--eval-every", type=int, default=D.eval_every, show_default=True, help="Held-out loss every N steps.")
@click.option(
    "--val-tokens",
    type=int,
    default=D.val_tokens,
    show_default=True,
    help="Plain-text tokens of held-out documents per evaluation.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue from the newest good checkpoint under OUT/checkpoints (a budget may grow while it is conditioned).",
)
@click.option(
    "--branch-from",
    type=click.Path(),
    help="Start the new run OUT from this checkpoint of another run (e.g. its switch checkpoint) under this plan.",
)
@click.option("--stop-after", type=int, help="Leave after this step (checkpointed), keeping the full schedule.")
@click.option(
    "--skip-nonfinite",
    type=int,
    default=D.skip_nonfinite,
    show_default=True,
    help="Steps with a non-finite loss or gradient norm skipped (no update) before the run stops.",
)
@click.option("--verify", is_flag=True, help="Check every shard's sha256 before training.")
@click.option(
    "--parallel",
    type=click.Choice(PARALLEL),
    default=D.parallel,
    show_default=True,
    help="ddp: a replica per rank; fsdp: weights, gradients and AdamW state sharded; auto: fsdp from 1B parameters.",
)
@click.option(
    "--ac",
    type=click.Choice(ACTIVATION_CHECKPOINTING),
    default=D.ac,
    show_default=True,
    help="Activation checkpointing: recompute every other block (selective) or every block (full) in backward.",
)
@click.option("--compile/--no-compile", default=None, help="torch.compile each block. [default: on GPU, off on CPU]")
@click.option("--device", default=D.device, show_default=True, help="auto, cpu or cuda.")
@click.option(
    "--threads",
    type=int,
    default=D.threads,
    show_default=True,
    help="CPU threads torch uses (0: torch's default, every core; on a shared machine 1 per run is often faster).",
)
@click.option("--log-every", type=int, default=D.log_every, show_default=True)
@reported
def train_command(**options):
    """Train a Llama-style model on prepared shards: metadata-conditioned, then cooldown.
    Run under torchrun for data parallelism."""
    from .train import train

    config = TrainConfig(**options)
    train(config)
