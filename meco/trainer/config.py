"""Every `meco train` setting in one typed dataclass; the CLI only fills it in."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import OptionError

MODES = ("meco", "standard")
PACKINGS = ("concat", "complete", "repeat-prefix")  # data.PackedLoader's, named here so the CLI needs no torch
MODELS = ("debug", "tiny", "150m", "600m", "1.6b", "3b", "8b")  # model.PRESETS, named here so the CLI needs no torch
PARALLEL = ("auto", "ddp", "fsdp")  # parallel.choose resolves auto by model size
ACTIVATION_CHECKPOINTING = ("none", "selective", "full")
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
    warmup_steps: int | None = None  # warmup in steps, overriding `warmup`: the same for every budget
    schedule: str = "cosine"  # or wsd
    decay: float = 0.2  # wsd: fraction of steps in the final decay
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    seed: int = 0
    save_every: int = 0  # 0: only at the phase switch and at the end
    save_at: tuple[int, ...] = ()  # also after these steps (where branches at other budgets will start)
    eval_every: int = 250  # 0: only at the end
    val_tokens: int = 4096  # plain-text tokens of held-out documents per evaluation
    resume: bool = False
    branch_from: str | None = None  # a checkpoint of another run: start this run from it under this plan
    stop_after: int | None = None  # leave after this step (checkpointed) even if the budget is not spent
    skip_nonfinite: int = 0  # steps with a non-finite loss or gradient norm skipped (no update) before stopping
    verify: bool = False
    parallel: str = "auto"  # ddp: replicas; fsdp: weights, gradients and AdamW state sharded over ranks
    ac: str = "none"  # activation checkpointing: selective recomputes every other block, full every block
    compile: bool | None = None  # torch.compile each block; None: on GPU, off on CPU
    device: str = "auto"
    threads: int = 0  # torch CPU threads (torch.set_num_threads); 0: torch's default
    log_every: int = 10

    DEFAULT_TOKENS = 49_152  # tiny on 2 CPU cores with cl100k's 100k vocabulary: about a minute

    def __post_init__(self):
        if self.mode not in MODES:
            raise OptionError(f"mode {self.mode!r}: choose from {', '.join(MODES)}")
        if not 0 <= self.cooldown_fraction < 1:
            raise OptionError(f"cooldown_fraction {self.cooldown_fraction}: must lie in [0, 1)")
        budgets = [_flag(b) for b in ("tokens", "steps", "document_tokens") if getattr(self, b) is not None]
        if len(budgets) > 1:
            raise OptionError(f"give {' or '.join(budgets)}, not {'both' if len(budgets) == 2 else 'all'}")
        if self.packing not in PACKINGS:
            raise OptionError(f"--packing {self.packing!r}: choose from {', '.join(PACKINGS)}")
        if not 0 <= self.metadata_prob <= 1:
            raise OptionError(f"--metadata-prob {self.metadata_prob}: must lie in [0, 1]")
        if self.parallel not in PARALLEL:
            raise OptionError(f"--parallel {self.parallel!r}: choose from {', '.join(PARALLEL)}")
        if self.ac not in ACTIVATION_CHECKPOINTING:
            raise OptionError(f"--ac {self.ac!r}: choose from {', '.join(ACTIVATION_CHECKPOINTING)}")
        for option in ("seq_len", "micro_batch", "batch_tokens", "tokens", "steps", "document_tokens", "stop_after"):
            value = getattr(self, option)
            if value is not None and value < 1:  # tokens/steps None: the default budget
                raise OptionError(f"{_flag(option)} {value}: must be at least 1")
        for option in ("save_every", "eval_every", "log_every", "val_tokens", "vocab_size", "seed", "skip_nonfinite"):
            if getattr(self, option) < 0:
                raise OptionError(f"{_flag(option)} {getattr(self, option)}: must be 0 or more")
        for option, (ok, why) in RANGES.items():
            value = getattr(self, option)
            if not (isinstance(value, (int, float)) and ok(value)):  # NaN fails every comparison
                raise OptionError(f"{_flag(option)} {value}: must be {why}")
        if self.warmup_steps is not None and self.warmup_steps < 0:
            raise OptionError(f"--warmup-steps {self.warmup_steps}: must be 0 or more")
        self.save_at = tuple(sorted(set(self.save_at)))
        if self.save_at and self.save_at[0] < 1:
            raise OptionError(f"--save-at {self.save_at[0]}: steps must be at least 1")
        for option in SHAPE_OPTIONS:
            value = getattr(self, option)
            if value is not None and value < 1:
                raise OptionError(f"{_flag(option)} {value}: must be at least 1")
        if self.threads < 0:
            raise OptionError(f"--threads {self.threads}: must be 0 (torch's default) or more")

    def shape_overrides(self) -> dict[str, int]:
        """The ModelConfig fields the shape options set, over the preset's."""
        return {field: getattr(self, f) for f, field in SHAPE_OPTIONS.items() if getattr(self, f) is not None}

    @property
    def planned_steps(self) -> int:
        """The budget in optimizer steps."""
        return planned_steps(self.steps, self.tokens, self.batch_tokens)

    @property
    def switch_step(self) -> int:
        """The first cooldown step: the conditioned phase is steps [0, switch_step) (0 in standard mode)."""
        return switch_step(self.mode, self.planned_steps, self.cooldown_fraction)

    def plan(self, world_size: int, steps: int | None = None) -> Plan:
        """Steps (`steps` when the caller worked them out from a document-token budget), gradient accumulation,
        the phase switch and when to evaluate and save, checked against the batch geometry."""
        per_forward = self.seq_len * self.micro_batch * world_size
        if self.batch_tokens % per_forward:
            raise OptionError(
                f"--batch-tokens {self.batch_tokens} must be a multiple of seq_len x micro_batch x "
                f"world size = {self.seq_len} x {self.micro_batch} x {world_size} = {per_forward}"
            )
        steps = steps or self.planned_steps
        return Plan(
            steps=steps,
            accumulation=self.batch_tokens // per_forward,
            sequences=self.batch_tokens // self.seq_len,
            switch_step=switch_step(self.mode, steps, self.cooldown_fraction),
            stop=min(steps, self.stop_after) if self.stop_after is not None else steps,
            save_every=self.save_every,
            save_at=self.save_at,
            eval_every=self.eval_every,
        )


def planned_steps(steps: int | None, tokens: int | None, batch_tokens: int) -> int:
    """The budget in optimizer steps: --steps, else --tokens (default DEFAULT_TOKENS) in batches."""
    if steps is not None:
        return steps
    return math.ceil((tokens if tokens is not None else TrainConfig.DEFAULT_TOKENS) / batch_tokens)


def switch_step(mode: str, steps: int, cooldown_fraction: float) -> int:
    """The first cooldown step of a run of `steps`: its cooldown is at least one step when the fraction is
    not 0 (rounding alone would give a short run, 4 steps at 0.1, no cooldown at all); 0 in standard mode."""
    if mode != "meco":
        return 0
    return steps - (max(1, round(steps * cooldown_fraction)) if cooldown_fraction else 0)


def recorded_switch_step(config: dict) -> int:
    """The switch of the run that recorded `config` (a checkpoint's TrainConfig fields, with the plan's switch
    since a budget in document tokens needs the data to be turned into steps)."""
    if "switch_step" in config:
        return config["switch_step"]
    steps = planned_steps(config.get("steps"), config.get("tokens"), config["batch_tokens"])
    return switch_step(config["mode"], steps, config["cooldown_fraction"])


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


RANGES = {  # float options: the test a value must pass, and the message when it does not
    "lr": (lambda v: 0 < v < math.inf, "a positive finite learning rate"),
    "grad_clip": (lambda v: 0 < v, "a positive gradient norm (inf: no clipping)"),
    "weight_decay": (lambda v: 0 <= v < math.inf, "0 or more"),
    "warmup": (lambda v: 0 <= v < 1, "a fraction of the steps, in [0, 1)"),
    "min_lr_ratio": (lambda v: 0 <= v <= 1, "a fraction of --lr, in [0, 1]"),
    "decay": (lambda v: 0 <= v <= 1, "a fraction of the steps, in [0, 1]"),
    "beta1": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "beta2": (lambda v: 0 <= v < 1, "in [0, 1)"),
}


@dataclass(frozen=True)
class Plan:
    """The shape of a run, decided before it starts: what each step reads, when to evaluate and save."""

    steps: int
    accumulation: int  # micro batches per rank per step
    sequences: int  # global sequences per step
    switch_step: int  # steps before it read `conditioned`, from it on `cooldown` (0 in standard mode)
    stop: int  # this invocation ends after this step (--stop-after), keeping the schedule of `steps`
    save_every: int = 0  # 0: only at the phase switch and at the stop
    save_at: tuple[int, ...] = ()  # and after each of these steps
    eval_every: int = 0  # 0: only at the last step

    def phase(self, step: int) -> str:
        """The variant read by 0-based step `step`."""
        return "conditioned" if step < self.switch_step else "cooldown"

    def saves_after(self, step: int) -> bool:
        """Whether to checkpoint once `step` steps are done: at the stop, at the switch, every save_every and at
        each save_at step."""
        return (
            step == self.stop
            or step == self.switch_step
            or step in self.save_at
            or bool(self.save_every and step % self.save_every == 0)
        )

    def evaluates_after(self, step: int) -> bool:
        """Whether to measure the held-out loss once `step` steps are done: every eval_every, and at the end."""
        return step == self.steps or bool(self.eval_every and step % self.eval_every == 0)
