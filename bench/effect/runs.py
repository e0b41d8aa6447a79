"""One run of the experiment: `meco train` as configured, then `meco eval` on the held-out pages and on the fact
probes, through meco's Python API (the same code as the commands; the bench holds no model code of its own).

A run's measures go to RUN/result.json (written last, under a temporary name first): a rerun skips runs that
have one, and a run cut short continues from its last checkpoint (`--resume`; a branch with none yet starts
again from its parent's).
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from meco.inference.evaluation import evaluate
from meco.inference.loading import load
from meco.inference.probing import read_probes, score_probes
from meco.trainer import checkpoint
from meco.trainer.train import train

from .corpus import RELIABLE
from .plan import RunSpec, Scale, command_line

RESULT = "result.json"
PROBE_CONDITIONS = {"none": "unconditional", "site": "true", "noisy": "chosen"}


def source_of(host: str) -> str:
    """The kind of site a held-out page came from, by its host."""
    if host == RELIABLE:
        return "reliable"
    return "gossip" if host.startswith("gossip") else "forum" if host.startswith("forum") else "other"


def measure(ckpt: Path, probes: Path, noisy_host: str) -> dict:
    """Of a checkpoint (or a run's newest): held-out loss without and with each page's own metadata (overall and per kind of site), and the fact
    probes with no prefix, the reliable site's (`site`) and a gossip site's (`noisy`)."""
    loaded = load(ckpt)
    held_out = evaluate(loaded, "val", None, max_docs=0, top=0)
    by_source: dict[str, dict[str, list[float]]] = {}
    for group in held_out["groups"]:
        sums = by_source.setdefault(source_of(group["value"]), {})
        for condition, loss in group["loss"].items():
            total = sums.setdefault(condition, [0.0, 0])
            total[0] += loss * group["targets"]
            total[1] += group["targets"]
    facts = score_probes(loaded, read_probes(probes), [noisy_host], str(probes))["conditions"]
    rename = {"unconditional": "unconditional", "true": "conditional"}
    return {
        "val_loss": {rename[c]: v for c, v in held_out["loss"].items()},
        "val_loss_by_source": {
            s: {rename[c]: t / n for c, (t, n) in sums.items()} for s, sums in sorted(by_source.items())
        },
        "val_targets": held_out["targets"],
        "probe_accuracy": {k: facts[c]["accuracy"] for k, c in PROBE_CONDITIONS.items()},
        "probe_prob": {k: facts[c]["answer_prob"] for k, c in PROBE_CONDITIONS.items()},
        "fact_loss": {k: facts[c]["answer_loss"] for k, c in PROBE_CONDITIONS.items()},
    }


def measures(out: Path, summary: dict, probes: Path, noisy_host: str, parent: Path | None = None) -> dict:
    """The measures of the run's last checkpoint and, for a run with a cooldown, of its switch checkpoint
    (`at_switch`: the conditioned model before the cooldown; a branch's is its `parent` run's)."""
    found = measure(out, probes, noisy_host)
    switch = summary.get("switch_step") or 0
    if 0 < switch < summary["steps"]:
        at = checkpoint.step_dir(out, switch)
        if not at.is_dir() and parent is not None:
            at = checkpoint.step_dir(parent, switch)
        found["at_switch"] = {"step": switch, **measure(at, probes, noisy_host)}
    return found


def run_one(
    spec: RunSpec,
    scale: Scale,
    data: Path,
    probes: Path,
    noisy_host: str,
    root: Path,
    threads: int,
    remeasure: bool = False,
) -> dict:
    """Train and measure one run, or read its result when it is done (`remeasure`: measure it again, keeping
    what its training recorded); the trainer's output goes to RUN/train.log."""
    out = root / spec.name
    done = out / RESULT
    if done.is_file() and not remeasure:
        return json.loads(done.read_text())
    out.mkdir(parents=True, exist_ok=True)
    if done.is_file():
        result, summary = json.loads(done.read_text()), json.loads((out / "summary.json").read_text())
    else:
        cfg = spec.train_config(scale, str(data), str(root), threads)
        started, cpu = time.time(), time.process_time()  # CPU seconds: what the run costs on an idle core
        with open(out / "train.log", "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            summary = train(cfg)
        result = {
            "arm": spec.arm,
            "budget": spec.budget,
            "seed": spec.seed,
            **{k: summary.get(k) for k in ("target_tokens", "steps", "switch_step", "metadata_share")},
            "branch": {"from": spec.parent, "step": spec.branch_step} if spec.parent else None,
            "train_s": time.time() - started,
            "train_cpu_s": time.process_time() - cpu,
            "command": command_line(cfg),
        }
    started, cpu = time.time(), time.process_time()
    result |= measures(out, summary, probes, noisy_host, root / spec.parent if spec.parent else None)
    result |= {"eval_s": time.time() - started, "eval_cpu_s": time.process_time() - cpu}
    partial = done.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=1) + "\n")
    partial.rename(done)
    return result
