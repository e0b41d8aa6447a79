"""What the experiment runs: the arms, the scales, and every (arm, budget, seed) run as a `meco train` config.

Every arm trains on the same prepared folder with the same seeds, so for a given seed the arms share the
initial weights and the document order; budgets are in trained document tokens (`--document-tokens`), so an
arm that spends tokens on metadata prefixes sees as much text as one that does not.

Every run uses one schedule shape, wsd with the warmup in steps and the decay over the arm's cooldown (10% where
it has none), so a run is flat, and reads what every other run of its seed and data stream reads, up to its own
switch (decay start). Runs on one stream (`family`) therefore train once: the run that stays flat longest is the
parent, checkpointed (`--save-at`) where each other one leaves it, and the others branch from there
(`--branch-from`), exactly the whole runs they replace (tests/fault/test_train_faults.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from meco.trainer.checkpoint import step_dir
from meco.trainer.config import TrainConfig

from .corpus import CorpusConfig

DECAY = 0.1  # the wsd decay of an arm without a cooldown: the meco arm's, so every arm has one schedule shape


@dataclass(frozen=True)
class Arm:
    name: str
    mode: str  # meco or standard
    cooldown_fraction: float = 0.0
    metadata_prob: float = 1.0
    curve: bool = True  # trained at every budget (else only at the largest)
    label: str = ""
    matches: str | None = None  # trained for as many steps as this arm's run of the same seed (a compute control)

    @property
    def decay(self) -> float:
        """The wsd decay fraction: over the cooldown, else DECAY."""
        return self.cooldown_fraction or DECAY

    def family(self, seed: int) -> tuple:
        """Runs that read the same stream up to their switch: same seed, data variant and metadata mixing."""
        return (self.mode, self.metadata_prob, seed)

    def shared_until(self, steps: int, switch: int) -> int:
        """The steps a run of `steps` (switching at `switch`) has in common with any run of its family that stays
        flat and conditioned longer: up to its decay start, and its switch."""
        flat = steps - round(self.decay * steps)
        return min(flat, switch) if self.mode == "meco" else flat


ARMS = {
    a.name: a
    for a in (
        Arm("standard", "standard", label="standard (no metadata)"),
        Arm("meco", "meco", cooldown_fraction=0.1, label="MeCo, 10% cooldown"),
        Arm("meco-cd25", "meco", cooldown_fraction=0.25, curve=False, label="MeCo, 25% cooldown"),
        Arm("mix90", "meco", metadata_prob=0.9, curve=False, label="90/10 metadata mixing, no cooldown"),
        Arm("standard-steps", "standard", curve=False, matches="meco", label="standard, as many steps as MeCo"),
    )
}


@dataclass(frozen=True)
class Scale:
    name: str
    corpus: CorpusConfig
    budgets: tuple[int, ...]  # document tokens per run, ascending; the last is the headline budget
    seeds: tuple[int, ...]
    train: dict = field(default_factory=dict)  # TrainConfig fields shared by every run
    arms: tuple[str, ...] = tuple(ARMS)
    vocab_size: int = 1024  # of the BPE trained on the corpus
    val_fraction: float = 0.02
    jobs: int = 1  # runs at once (each with --threads 1 on the CPU)
    note: str = ""

    def runs(self) -> list[RunSpec]:
        """Every (arm, budget, seed), before planning: the curve arms at every budget, the others at the largest."""
        return [
            RunSpec(arm, budget, seed)
            for arm in self.arms
            for budget in (self.budgets if ARMS[arm].curve else self.budgets[-1:])
            for seed in self.seeds
        ]


@dataclass(frozen=True)
class RunSpec:
    arm: str
    budget: int  # the document-token budget it is compared at
    seed: int
    steps: int | None = None  # train this many steps instead (an arm that matches another's steps)
    parent: str | None = None  # the run this one branches from, at `branch_step` (see the module's docstring)
    branch_step: int = 0
    save_at: tuple[int, ...] = ()  # where this run's branches start

    @property
    def name(self) -> str:
        return f"{self.arm}-d{self.budget}-s{self.seed}"

    def train_config(self, scale: Scale, data: str, root: str, threads: int) -> TrainConfig:
        """The `meco train` config of this run, in ROOT/NAME (a branch starts from ROOT/PARENT's checkpoint)."""
        arm = ARMS[self.arm]
        meco = {"cooldown_fraction": arm.cooldown_fraction, "metadata_prob": arm.metadata_prob}
        branch = {"branch_from": str(step_dir(Path(root) / self.parent, self.branch_step))} if self.parent else {}
        return TrainConfig(
            data=data,
            out=str(Path(root) / self.name),
            mode=arm.mode,
            **(meco if arm.mode == "meco" else {}),
            **({"steps": self.steps} if self.steps else {"document_tokens": self.budget}),
            seed=self.seed,
            schedule="wsd",
            decay=arm.decay,
            save_at=self.save_at,
            **branch,
            eval_every=0,
            log_every=0,
            resume=True,  # a run cut short continues from its last checkpoint; a finished one trains nothing
            threads=threads,
            **scale.train,
        )


def plan_runs(scale: Scale, plan_of) -> list[RunSpec]:
    """Every run of `scale`, with its steps and branches; `plan_of(spec)` is the trainer's (steps, switch) for a
    spec. Per family the run flat longest is trained whole, checkpointed where each other one branches from it.
    Returned parents and other whole runs first, longest first, then the branches."""
    planned: dict[RunSpec, tuple[int, int]] = {}
    for spec in sorted(scale.runs(), key=lambda s: bool(ARMS[s.arm].matches)):  # a matched run is planned first
        matches = ARMS[spec.arm].matches
        if matches:
            spec = replace(spec, steps=planned[RunSpec(matches, spec.budget, spec.seed)][0])
        planned[spec] = plan_of(spec)
    families = defaultdict(list)
    for spec in planned:
        families[ARMS[spec.arm].family(spec.seed)].append(spec)
    whole, branches = [], []
    for members in families.values():
        shared = {s: ARMS[s.arm].shared_until(*planned[s]) for s in members}
        parent = max(members, key=lambda s: (shared[s], planned[s][0]))
        children = [replace(s, parent=parent.name, branch_step=shared[s]) for s in members if s != parent]
        whole.append(replace(parent, save_at=tuple(sorted({c.branch_step for c in children}))))
        branches += children
    steps = {s.name: planned[s][0] for s in planned}
    return sorted(whole, key=lambda s: -steps[s.name]) + branches


def command_line(cfg: TrainConfig) -> str:
    """The `meco train` command that trains `cfg`: every option that differs from the default."""
    default, parts = TrainConfig(), ["meco train"]
    for f in fields(TrainConfig):
        value = getattr(cfg, f.name)
        if value == getattr(default, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, tuple):
            value = ",".join(map(str, value))
        parts.append(flag if value is True else f"{flag} {value}")
    return " ".join(parts)


SCALES = {
    "smoke": Scale(
        "smoke",
        CorpusConfig(people=8, reliable_pages=4, gossip_sites=2, gossip_pages=2, forums=2, forum_pages=20),
        budgets=(6_000, 12_000),
        seeds=(0, 1),
        train={
            "model": "debug",
            "seq_len": 64,
            "batch_tokens": 1024,
            "micro_batch": 16,
            "val_tokens": 1024,
            "warmup_steps": 1,
        },
        vocab_size=400,
        val_fraction=0.1,
        note="plumbing only: every arm, two budgets, two seeds, a debug model; the numbers mean nothing",
    ),
    "cpu": Scale(
        "cpu",
        CorpusConfig(),
        budgets=(125_000, 250_000, 500_000),
        seeds=(0, 1, 2, 3, 4),
        train={"model": "tiny", "seq_len": 128, "batch_tokens": 1024, "micro_batch": 8, "lr": 3e-3, "warmup_steps": 25},
        jobs=2,
        note="At most 25 minutes on 2 idle CPU cores (one thread per run, two runs at once).",
    ),
    "gpu": Scale(
        "gpu",
        CorpusConfig(people=200, reliable_pages=265, gossip_pages=66, forum_pages=26_000),
        budgets=(3_000_000, 6_000_000, 12_000_000),
        seeds=(0, 1, 2, 3, 4),
        train={
            "model": "tiny",
            "seq_len": 256,
            "batch_tokens": 16_384,
            "micro_batch": 64,
            "lr": 3e-3,
            "warmup_steps": 36,  # about 5% of the headline budget's steps, as at the other scales
            "device": "cuda",
        },
        arms=("standard", "meco", "meco-cd25", "standard-steps"),
        val_fraction=0.005,
        jobs=4,
        note="One H100, 200 people, 12M document tokens per headline run (defined, not yet run: timings unmeasured).",
    ),
}
