"""Does metadata conditioning do anything, on your hardware, before you spend a cluster on it?

    python bench/meco_effect.py --scale smoke|cpu|gpu --out DIR [--jobs N] [--threads 1] [--seeds N]

1. writes a seeded synthetic corpus (bench/effect/corpus.py: biographies on a reliable site, the same people
   with random facts on gossip sites, one-off people on forums, all in the same words) in the C4 layout, and
   trains a small byte-level BPE on it;
2. `meco prepare`s it (host metadata, a held-out split);
3. trains every arm (standard; MeCo with 10% and 25% cooldown; 90/10 metadata mixing; standard for as many
   steps as MeCo) at every budget, in document tokens, and seed: the same documents, order and initial weights
   per seed across arms; runs on one data stream train once, the others branching from its checkpoints
   (bench/effect/plan.py);
4. measures each run with `meco eval` (held-out loss with and without metadata) and `meco eval --probe` (the
   true attribute among all its values after "NAME was born in", with no prefix, the reliable site's and a
   gossip site's);
5. writes DIR/results.json (every run, and every interval), DIR/report.md and DIR/curves.png.

Scales: `smoke` (a minute; plumbing only, in the test suite), `cpu` (at most 25 minutes on 2 idle cores: two
runs at once, one thread each), `gpu` (one H100). Rerunning with the same DIR skips finished runs and
continues a cut one. See README, "Does it work?".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from effect.corpus import CORPUS_FILE, RELIABLE, Corpus, train_tokenizer  # noqa: E402
from effect.plan import ARMS, SCALES, RunSpec, Scale, plan_runs  # noqa: E402
from effect.report import summarize, write_outputs  # noqa: E402
from effect.runs import run_one  # noqa: E402


def prepare_data(scale: Scale, out: Path) -> tuple[Corpus, Path]:
    """The corpus, its tokenizer and the prepared folder, each made once (a rerun checks it is the same corpus)."""
    corpus = Corpus(scale.corpus)
    recorded = out / "corpus" / "corpus.json"
    if recorded.is_file():
        if json.loads(recorded.read_text())["config"] != asdict(scale.corpus):
            sys.exit(f"error: {out} holds another corpus ({recorded}); use a new --out")
        source = out / "corpus" / CORPUS_FILE
    else:
        source = corpus.write(out / "corpus")
    tokenizer = out / "tokenizer" / "tokenizer.json"
    if not (tokenizer.parent / "tokenizer_config.json").is_file():  # written last
        train_tokenizer(corpus.pages, tokenizer.parent, scale.vocab_size)
    data = out / "data"
    command = [
        sys.executable, "-m", "meco.cli", "prepare", str(source), "--output", str(data), "--tokenizer", str(tokenizer),
        "--val-fraction", str(scale.val_fraction), "--tasks", "1", "--workers", "1",
    ]  # fmt: skip
    with open(out / "prepare.log", "w") as log:
        if subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=child_env()).returncode:
            sys.exit(f"error: meco prepare failed; see {out / 'prepare.log'}")
    return corpus, data


def planner(scale: Scale, data: Path, root: Path):
    """The trainer's (steps, switch) of a run, worked out on the data without training it."""
    from meco.trainer.train import plan_of

    def plan(spec: RunSpec) -> tuple[int, int]:
        found = plan_of(spec.train_config(scale, str(data), str(root), threads=1))
        return found.steps, found.switch_step

    return plan


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, load average {load} at the start, Python {platform.python_version()}"


def commit() -> str:
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def model_description(scale: Scale) -> str:
    from meco.trainer.config import TrainConfig
    from meco.trainer.model import preset

    cfg = TrainConfig(**{k: v for k, v in scale.train.items() if k != "device"})
    m = preset(cfg.model, vocab_size=scale.vocab_size, **cfg.shape_overrides())
    return (
        f"`{cfg.model}` reshaped to {m.n_layers} layers x {m.dim} (FFN {m.ffn_dim}, {m.n_heads} heads, "
        f"{m.n_kv_heads} KV heads), {m.num_params(embeddings=False) / 1e6:.2f}M parameters besides the embeddings, "
        f"vocabulary {scale.vocab_size:,}, sequences of {cfg.seq_len}, {cfg.batch_tokens:,} tokens per step, "
        f"peak LR {cfg.lr}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, help="runs at once (default: the scale's)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per run (0: torch's default)")
    parser.add_argument("--seeds", type=int, help="use only the first N of the scale's seeds")
    parser.add_argument(
        "--remeasure", action="store_true", help="measure finished runs again (after a change to the measures)"
    )
    args = parser.parse_args()
    scale = SCALES[args.scale]
    if args.seeds:
        scale = replace(scale, seeds=scale.seeds[: args.seeds])
    jobs = args.jobs or scale.jobs
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started, stamp, where, head = time.time(), time.strftime("%Y-%m-%d %H:%M"), machine(), commit()
    corpus, data = prepare_data(scale, out)
    probes = out / "probes.jsonl"
    probes.write_text("".join(json.dumps(p) + "\n" for p in corpus.probes(RELIABLE)))
    noisy = corpus.noisy_hosts[0]
    specs = plan_runs(scale, planner(scale, data, out / "runs"))
    branches = {s.name: [b for b in specs if b.parent == s.name] for s in specs}
    total = len(specs)
    print(
        f"meco_effect {scale.name}: {total} runs ({sum(1 for s in specs if s.parent)} branched from another), "
        f"{jobs} at once, {args.threads} thread(s) each -> {out}"
    )
    results = []
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:

        def submit(spec):
            return pool.submit(run_one, spec, scale, data, probes, noisy, out / "runs", args.threads, args.remeasure)

        queue, pending = [s for s in specs if not s.parent], {}
        while queue or pending:
            while queue and len(pending) < jobs:  # at most `jobs` submitted, so a branch can go next
                spec = queue.pop(0)
                pending[submit(spec)] = spec
            done = next(as_completed(pending))
            spec, r = pending.pop(done), done.result()
            results.append(r)
            queue[:0] = branches[spec.name]  # its checkpoints are there now
            print(
                f"[{len(results)}/{total}] {spec.name}: held-out loss {r['val_loss']['unconditional']:.4f} "
                f"without / {r['val_loss']['conditional']:.4f} with metadata; fact accuracy none "
                f"{r['probe_accuracy']['none']:.3f} site {r['probe_accuracy']['site']:.3f} noisy "
                f"{r['probe_accuracy']['noisy']:.3f} ({r['train_s']:.0f} s)",
                flush=True,
            )
    results.sort(key=lambda r: (scale.arms.index(r["arm"]), r["budget"], r["seed"]))
    manifest = json.loads((data / "manifest.json").read_text())
    everything = {
        "scale": scale.name,
        "note": scale.note,
        "commit": head,
        "machine": where,
        "started": stamp,
        "wall_s": time.time() - started,
        "jobs": jobs,
        "threads": args.threads,
        "corpus": asdict(scale.corpus),
        "documents": {s: manifest["splits"][s]["cooldown"]["documents"] for s in ("train", "val")},
        "probes": len(corpus.probes()),
        "noisy_host": noisy,
        "model": model_description(scale),
        "train": scale.train,
        "arms": list(scale.arms),
        "arm_labels": {a: ARMS[a].label for a in scale.arms},
        "budgets": list(scale.budgets),
        "seeds": list(scale.seeds),
        "summary": summarize(results, list(scale.arms), list(scale.budgets)),
        "runs": results,
    }
    previous = out / "results.json"
    if args.remeasure and previous.is_file():  # the runs were trained then: keep that record, say what is new
        trained = json.loads(previous.read_text())
        keep = ("commit", "machine", "started", "wall_s", "jobs", "threads")
        everything |= {k: trained[k] for k in keep} | {
            "remeasured": {"commit": head, "started": stamp, "wall_s": time.time() - started}
        }
    write_outputs(everything, out)
    print(f"wrote {out / 'results.json'}, {out / 'report.md'}, {out / 'curves.png'} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
