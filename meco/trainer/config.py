"""Every `meco train` setting in one typed dataclass; the CLI only fills it in."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import OptionError

MODES = ("meco", "standard")
PACKINGS = ("concat", "complete", "repeat-prefix")  # data.PackedLoader's, named here so the CLI needs no torch
MODELS = ("debug", "tiny", "150m", "600m", "1.6b", "3b", "8b")  # model.PRESETS, named here so the CLI needs no torch
# shape options that override the preset: TrainConfig field -> ModelConfig field
SHAPE_OPTIONS = {"layers": "n_layers", "dim": "dim", "heads": "n_heads", "kv_heads": "n_kv_heads", "ffn_dim": "ffn_dim"}


@dataclass(kw_only=True)
class TrainConfig:
    data: str = "meco-data"
    out: str = "meco-run"
    model: str = "tiny"
    layers: int | None = None  # shape overrides of the preset (None: the preset's); see SHAPE_OPTIONS
    dim: int | None = None
    heads: int | None = None
    kv_heads: int | None = None
    ffn_dim: int | None = None
    doc_mask: bool = False  # attention and positions stay inside each packed document
    vocab_size: int = 0  # 0: the manifest's vocabulary rounded up to a multiple of 128
    mode: str = "meco"  # meco: conditioned then cooldown; standard: cooldown (plain documents) throughout
    cooldown_fraction: float = 0.1
    tokens: int | None = None  # budget; the default (neither tokens nor steps) is DEFAULT_TOKENS
    steps: int | None = None
    document_tokens: int | None = (
        None  # budget in trained document tokens: equal text for arms with and without prefixes
    )
    packing: str = "repeat-prefix"  # see data.PackedLoader
    metadata_prob: float = 1.0  # conditioned phase: share of documents read with their metadata
    seq_len: int = 128
    batch_tokens: int = 2048  # global, per optimizer step
    micro_batch: int = 8  # sequences per forward pass on one rank
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup: float = 0.05
    schedule: str = "cosine"  # or wsd
    decay: float = 0.2  # wsd: fraction of steps in the final decay
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    seed: int = 0
    save_every: int = 0  # 0: only at the phase switch and at the end
    eval_every: int = 250  # 0: only at the end
    val_tokens: int = 4096  # plain-text tokens of held-out documents per evaluation
    resume: bool = False
    stop_after: int | None = None  # leave after this step (checkpointed) even if the budget is not spent
    verify: bool = False
    compile: bool = False
    device: str = "auto"
    threads: int = 0  # torch CPU threads (torch.set_num_threads); 0: torch's default
    log_every: int = 10

    DEFAULT_TOKENS = 49_152  # tiny on 2 CPU cores with cl100k's 100k vocabulary: about a minute

    def __post_init__(self):
        if self.mode not in MODES:
            raise OptionError(f"mode {self.mode!r}: choose from {', '.join(MODES)}")
        if not 0 <= self.cooldown_fraction < 1:
            raise OptionError(f"cooldown_fraction {self.cooldown_fraction}: must lie in [0, 1)")
        budgets = [
            f"--{b.replace('_', '-')}" for b in ("tokens", "steps", "document_tokens") if getattr(self, b) is not None
        ]
        if len(budgets) > 1:
            raise OptionError(f"give {' or '.join(budgets)}, not {'both' if len(budgets) == 2 else 'all'}")
        if self.packing not in PACKINGS:
            raise OptionError(f"--packing {self.packing!r}: choose from {', '.join(PACKINGS)}")
        if not 0 <= self.metadata_prob <= 1:
            raise OptionError(f"--metadata-prob {self.metadata_prob}: must lie in [0, 1]")
        for option in ("seq_len", "micro_batch", "batch_tokens", "tokens", "steps", "document_tokens"):
            value = getattr(self, option)
            if value is not None and value < 1:  # tokens/steps None: the default budget
                raise OptionError(f"--{option.replace('_', '-')} {value}: must be at least 1")
        for option in SHAPE_OPTIONS:
            value = getattr(self, option)
            if value is not None and value < 1:
                raise OptionError(f"--{option.replace('_', '-')} {value}: must be at least 1")
        if self.threads < 0:
            raise OptionError(f"--threads {self.threads}: must be 0 (torch's default) or more")

    def shape_overrides(self) -> dict[str, int]:
        """The ModelConfig fields the shape options set, over the preset's."""
        return {field: getattr(self, f) for f, field in SHAPE_OPTIONS.items() if getattr(self, f) is not None}

    def plan(self, world_size: int, steps: int | None = None) -> Plan:
        """Steps (`steps` when the caller worked them out from a document-token budget), gradient accumulation,
        the phase switch and when to evaluate and save, checked against the batch geometry."""
        per_forward = self.seq_len * self.micro_batch * world_size
        if self.batch_tokens % per_forward:
            raise OptionError(
                f"--batch-tokens {self.batch_tokens} must be a multiple of seq_len x micro_batch x "
                f"world size = {self.seq_len} x {self.micro_batch} x {world_size} = {per_forward}"
            )
        tokens = self.tokens if self.tokens is not None else self.DEFAULT_TOKENS
        steps = steps or (self.steps if self.steps is not None else math.ceil(tokens / self.batch_tokens))
        switch = steps - self.cooldown_steps(steps) if self.mode == "meco" else 0
        return Plan(
            steps=steps,
            accumulation=self.batch_tokens // per_forward,
            sequences=self.batch_tokens // self.seq_len,
            switch_step=switch,
            stop=min(steps, self.stop_after) if self.stop_after is not None else steps,
            save_every=self.save_every,
            eval_every=self.eval_every,
        )

    def cooldown_steps(self, steps: int) -> int:
        """The cooldown's share of `steps`, at least one step when the fraction is not 0: rounding alone
        would give a short run (4 steps at 0.1) no cooldown at all."""
        return max(1, round(steps * self.cooldown_fraction)) if self.cooldown_fraction else 0


@dataclass(frozen=True)
class Plan:
    """The shape of a run, decided before it starts: what each step reads, when to evaluate and save."""

    steps: int
    accumulation: int  # micro batches per rank per step
    sequences: int  # global sequences per step
    switch_step: int  # steps before it read `conditioned`, from it on `cooldown` (0 in standard mode)
    stop: int  # this invocation ends after this step (--stop-after), keeping the schedule of `steps`
    save_every: int = 0  # 0: only at the phase switch and at the stop
    eval_every: int = 0  # 0: only at the last step

    def phase(self, step: int) -> str:
        """The variant read by 0-based step `step`."""
        return "conditioned" if step < self.switch_step else "cooldown"

    def saves_after(self, step: int) -> bool:
        """Whether to checkpoint once `step` steps are done: at the stop, at the switch and every save_every."""
        return step == self.stop or step == self.switch_step or bool(self.save_every and step % self.save_every == 0)

    def evaluates_after(self, step: int) -> bool:
        """Whether to measure the held-out loss once `step` steps are done: every eval_every, and at the end."""
        return step == self.steps or bool(self.eval_every and step % self.eval_every == 0)
