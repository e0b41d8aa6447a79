"""What the experiment runs: the arms, the scales, and every (arm, budget, seed) run as a `meco train` config.

Every arm trains on the same prepared folder with the same seeds, so for a given seed the arms share the
initial weights and the document order; budgets are in trained document tokens (`--document-tokens`), so an
arm that spends tokens on metadata prefixes sees as much text as one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from meco.trainer.config import TrainConfig

from .corpus import CorpusConfig


@dataclass(frozen=True)
class Arm:
    name: str
    mode: str  # meco or standard
    cooldown_fraction: float = 0.0
    metadata_prob: float = 1.0
    curve: bool = True  # trained at every budget (else only at the largest)
    label: str = ""
    matches: str | None = None  # trained for as many steps as this arm's run of the same seed (a compute control)


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
        """Every run that depends on no other, the longest first (so parallel jobs finish together)."""
        specs = [
            RunSpec(arm, budget, seed)
            for arm in self.arms
            if not ARMS[arm].matches
            for budget in (self.budgets if ARMS[arm].curve else self.budgets[-1:])
            for seed in self.seeds
        ]
        return sorted(specs, key=lambda s: (-s.budget, self.arms.index(s.arm), s.seed))

    def followups(self, done: RunSpec, steps: int) -> list[RunSpec]:
        """The runs that match the steps of `done`, a finished run of `steps` steps."""
        return [
            RunSpec(arm, done.budget, done.seed, steps=steps)
            for arm in self.arms
            if ARMS[arm].matches == done.arm and (ARMS[arm].curve or done.budget == self.budgets[-1])
        ]


@dataclass(frozen=True)
class RunSpec:
    arm: str
    budget: int  # the document-token budget it is compared at
    seed: int
    steps: int | None = None  # train this many steps instead (an arm that matches another's steps)

    @property
    def name(self) -> str:
        return f"{self.arm}-d{self.budget}-s{self.seed}"

    def train_config(self, scale: Scale, data: str, out: str, threads: int) -> TrainConfig:
        arm = ARMS[self.arm]
        meco = {"cooldown_fraction": arm.cooldown_fraction, "metadata_prob": arm.metadata_prob}
        return TrainConfig(
            data=data,
            out=out,
            mode=arm.mode,
            **(meco if arm.mode == "meco" else {}),
            **({"steps": self.steps} if self.steps else {"document_tokens": self.budget}),
            seed=self.seed,
            eval_every=0,
            log_every=0,
            resume=True,  # a run cut short continues from its last checkpoint; a finished one trains nothing
            threads=threads,
            **scale.train,
        )


def command_line(cfg: TrainConfig) -> str:
    """The `meco train` command that trains `cfg`: every option that differs from the default."""
    default, parts = TrainConfig(), ["meco train"]
    for f in fields(TrainConfig):
        value = getattr(cfg, f.name)
        if value == getattr(default, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        parts.append(flag if value is True else f"{flag} {value}")
    return " ".join(parts)


SCALES = {
    "smoke": Scale(
        "smoke",
        CorpusConfig(people=8, reliable_pages=4, gossip_sites=2, gossip_pages=2, forums=2, forum_pages=20),
        budgets=(6_000, 12_000),
        seeds=(0, 1),
        train={"model": "debug", "seq_len": 64, "batch_tokens": 1024, "micro_batch": 16, "val_tokens": 1024},
        vocab_size=400,
        val_fraction=0.1,
        note="plumbing only: every arm, two budgets, two seeds, a debug model; the numbers mean nothing",
    ),
    "cpu": Scale(
        "cpu",
        CorpusConfig(),
        budgets=(125_000, 250_000, 500_000),
        seeds=(0, 1, 2, 3, 4),
        train={"model": "tiny", "seq_len": 128, "batch_tokens": 1024, "micro_batch": 8, "lr": 3e-3},
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
            "device": "cuda",
        },
        arms=("standard", "meco", "meco-cd25", "standard-steps"),
        val_fraction=0.005,
        jobs=4,
        note="One H100, 200 people, 12M document tokens per headline run (defined, not yet run: timings unmeasured).",
    ),
}
