"""GPU smoke test of every GPU path of `meco train`, then tokens/s and MFU at seq 4096, on one GPU in about
8 minutes (sized for an 80 GB H100).

    python bench/gpu_throughput.py --out DIR            # on a machine with a CUDA GPU
    python bench/gpu_throughput.py --out DIR --smoke    # the same steps, tiny, on the CPU (run by the tests)

1. Data, prepared here: `meco prepare` on the repo's data_samples (a real tokenizer and metadata, for the
   smoke test's generate and eval), and a synthetic folder for the throughput rows: random token ids of
   cl100k's vocabulary in documents of log-normal length (median 512 tokens, mean about 850, like web text),
   so that --doc-mask sees realistic document boundaries.
2. Smoke checks, each {check, ok, seconds, detail}: `tiny` with bf16 autocast and FSDP mixed precision,
   compiled blocks, --doc-mask, --ac selective and --parallel fsdp on one rank, 8 steps straight against
   4 + --resume (losses equal within bf16 tolerance); that checkpoint resumed without sharding; fused
   AdamW (read off the optimizer a run builds); host synchronisations in one training step (CUDA's sync
   debug mode; one is expected: the loss and norm read for the log); `meco generate` and `meco eval` on
   the checkpoint (on the GPU where those commands take --device, else on the CPU, as the detail says).
3. Throughput: `150m`, `600m`, `1.6b` at seq 4096 with and without --doc-mask, --parallel auto (fsdp for
   1.6b), compiled; the micro batch is the largest power of two up to 16 whose memory plan fits 85% of the
   free memory (halved on an out-of-memory error); 3 warmup steps (compilation), then the median of 5 steps.
   MFU counts full causal attention FLOPs with and without --doc-mask (the usual convention). Each row also
   gives the measured peak memory next to the plan. Rows start only before --budget-s (default 420 s).

Writes DIR/gpu_throughput.json and DIR/gpu_throughput.md and prints the table. Results: pending (no GPU
was lent to the session that wrote this script; see README's Benchmarks).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datatrove.io import get_datafolder  # noqa: E402

from meco.shards import (  # noqa: E402
    DocumentCounts,
    Manifest,
    ShardWriter,
    TokenizerRecord,
    VariantEntry,
    token_dtype,
    variant_dir,
)
from meco.trainer import checkpoint, memory, parallel  # noqa: E402
from meco.trainer.config import TrainConfig  # noqa: E402
from meco.trainer.metrics import peak_flops  # noqa: E402
from meco.trainer.model import preset  # noqa: E402
from meco.trainer.train import build_run, train, train_step  # noqa: E402

CL100K_VOCAB = 100_277  # cl100k_base's ids, the default tokenizer's


@dataclass(frozen=True)
class Sizes:
    """What the GPU run uses, and the tiny CPU version of the same steps (--smoke)."""

    device: str
    smoke_model: str
    smoke_seq: int
    smoke_steps: int  # the straight run's; the resumed one stops half-way first
    models: tuple[str, ...]
    seq_len: int
    vocab: int  # of the synthetic data
    synthetic_tokens: int
    warmup: int
    measured: int
    micro_batches: tuple[int, ...] = (16, 8, 4, 2, 1)


GPU = Sizes("cuda", "tiny", 512, 8, ("150m", "600m", "1.6b"), 4096, CL100K_VOCAB, 3_000_000, warmup=3, measured=5)
SMOKE = Sizes("cpu", "debug", 32, 4, ("debug",), 64, 512, 30_000, warmup=1, measured=2, micro_batches=(4, 2, 1))


# ----------------------------------------------------------------------------------------------------------
# data


def prepare_samples(out: Path) -> Path:
    """`meco prepare` on data_samples, 5% held out so that eval has documents."""
    folder = out / "data-samples"
    if not (folder / "manifest.json").is_file():
        command = [sys.executable, "-m", "meco.cli", "prepare", str(REPO / "data_samples"), "--output", str(folder)]
        subprocess.run([*command, "--val-fraction", "0.05"], check=True, capture_output=True, env=child_env())
    return folder


def synthetic(out: Path, tokens: int, vocab: int, seed: int = 0) -> Path:
    """A prepared folder of random documents; in `conditioned` each starts with a 6-token prefix without loss."""
    folder = out / "data-synthetic"
    if (folder / "manifest.json").is_file():
        return folder
    rng = np.random.default_rng(seed)
    docs, total = [], 0
    while total < tokens:
        docs.append(rng.integers(0, vocab, max(8, int(rng.lognormal(np.log(512), 1.0))), dtype=np.int64))
        total += len(docs[-1])
    splits = {"val": docs[:8], "train": docs[8:]}
    entries = {}
    for split, documents in splits.items():
        entries[split] = {}
        for variant, prefix in (("conditioned", 6), ("cooldown", 0)):
            writer = ShardWriter(
                get_datafolder(str(variant_dir(folder, split, variant))), "00000.ds", token_dtype(vocab), "synthetic"
            )
            lengths = np.array([prefix + len(d) for d in documents])
            tokens_ = np.concatenate([np.concatenate([np.arange(prefix), d]) for d in documents])
            loss = np.concatenate([np.r_[np.zeros(prefix), np.ones(len(d))] for d in documents])
            writer.write(tokens_, loss, lengths)
            entries[split][variant] = VariantEntry.of([writer.commit()])
    manifest = Manifest(
        tokenizer=TokenizerRecord("synthetic", "synthetic", vocab, None, vocab - 1, None),
        kinds=("host",),
        template="URL: {host}\n\n",
        seed=seed,
        val_fraction=len(splits["val"]) / len(docs),
        documents=DocumentCounts(read=len(docs), written=len(docs)),
        document_tokens=sum(len(d) for d in splits["train"]),
        splits=entries,
        inputs=(),
    )
    (folder / "manifest.json").write_text(json.dumps(manifest.to_json()))
    return folder


def child_env() -> dict:
    """Subprocesses import this checkout's meco."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


# ----------------------------------------------------------------------------------------------------------
# smoke checks


def check(results: list[dict], name: str, fn) -> None:
    """Run one check; a failure is recorded with its message (the traceback goes to stderr), never fatal."""
    t0 = time.time()
    try:
        ok, detail = fn()
    except Exception as e:  # a smoke check reports what broke and lets the others run
        traceback.print_exc()
        ok, detail = False, f"{type(e).__name__}: {e}"
    results.append({"check": name, "ok": ok, "seconds": round(time.time() - t0, 1), "detail": detail})
    print(
        f"  {'ok  ' if ok else 'FAIL' if ok is False else 'skip'} {name} ({time.time() - t0:.0f} s): {detail}",
        flush=True,
    )


def smoke_config(sizes: Sizes, data: Path, out: Path, **kw) -> TrainConfig:
    T, steps = sizes.smoke_seq, sizes.smoke_steps
    options = dict(model=sizes.smoke_model, seq_len=T, micro_batch=2, batch_tokens=4 * T, steps=steps)
    options.update(eval_every=steps // 2, val_tokens=2 * T, log_every=0, lr=3e-3, device=sizes.device)
    return TrainConfig(data=str(data), out=str(out), **{**options, **kw})


def losses(out: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "metrics.jsonl").read_text().splitlines()]


def relative_gap(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / abs(y) for x, y in zip(a, b, strict=True))


def smoke(sizes: Sizes, data: Path, out: Path) -> list[dict]:
    results: list[dict] = []
    gpu = sizes.device == "cuda"
    sharded = dict(doc_mask=True, parallel="fsdp", ac="selective")  # compile: on by default on GPU, off on CPU
    tolerance = 2e-2 if gpu else 1e-6  # bf16 kernels may pick other reduction orders after a restart

    def straight_and_resumed():
        train(smoke_config(sizes, data, out / "straight", **sharded))
        train(smoke_config(sizes, data, out / "resumed", stop_after=sizes.smoke_steps // 2, **sharded))
        train(smoke_config(sizes, data, out / "resumed", resume=True, **sharded))
        a, b = losses(out / "resumed"), losses(out / "straight")
        gap = relative_gap(a, b)
        detail = f"{len(a)} losses, largest relative gap {gap:.2e} (tolerance {tolerance:g})"
        return gap <= tolerance and len(a) == sizes.smoke_steps, detail

    check(results, "fsdp-ac-docmask-bf16-compile-resume" if gpu else "fsdp-ac-docmask-resume", straight_and_resumed)

    def unsharded_resume():
        shutil.copytree(out / "resumed", out / "unsharded")
        shutil.rmtree(checkpoint.step_dir(out / "unsharded", sizes.smoke_steps))
        train(smoke_config(sizes, data, out / "unsharded", resume=True, doc_mask=True, parallel="ddp"))
        gap = relative_gap(losses(out / "unsharded"), losses(out / "straight"))
        return (
            gap <= tolerance,
            f"the FSDP run's middle checkpoint resumed without sharding: largest relative gap {gap:.2e}",
        )

    check(results, "resume-fsdp-checkpoint-unsharded", unsharded_resume)

    def fused_adamw():
        if not gpu:
            return None, "CPU: AdamW is fused on GPU only"
        run = build_run(smoke_config(sizes, data, out / "fused", steps=1))
        fused = run.optimizer.defaults["fused"]
        run.rt.close()
        return bool(fused), f"optimizer.defaults['fused'] = {fused}"

    check(results, "fused-adamw", fused_adamw)

    def host_syncs():
        if not gpu:
            return None, "CPU: no device to synchronise with"
        run = build_run(smoke_config(sizes, data, out / "syncs", parallel="ddp"))
        for _ in range(2):  # compile and lazy state first
            train_step(run, run.loader.next_batch(run.plan.sequences))
        batch = run.loader.next_batch(run.plan.sequences)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                train_step(run, batch)
            finally:
                torch.cuda.set_sync_debug_mode("default")
        run.rt.close()
        syncs = [str(w.message).splitlines()[0] for w in caught if "synchroniz" in str(w.message)]
        return len(syncs) <= 1, f"{len(syncs)} synchronising call(s) in one step: {syncs}"

    check(results, "one-host-sync-per-step", host_syncs)

    def cli(command: str, *args: str):
        flags = ["--device", "cuda"] if gpu and "--device" in meco(command, "--help") else []
        where = "cuda" if flags else "cpu"
        return meco(command, str(out / "straight"), *args, *flags), where

    def generate():
        text, where = cli("generate", "--prompt", "The", "--max-new-tokens", "8", "--temperature", "0")
        return bool(text.strip()), f"on {where}: {text.strip()[:60]!r}"

    def evaluate():
        text, where = cli("eval", "--max-docs", "3", "--json")
        report = json.loads(text)
        return report["documents"] > 0, f"on {where}: {report['documents']} documents"

    check(results, "meco-generate", generate)
    check(results, "meco-eval", evaluate)
    return results


def meco(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "meco.cli", *args], capture_output=True, text=True, env=child_env())
    if proc.returncode:
        raise RuntimeError(f"meco {' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return proc.stdout


# ----------------------------------------------------------------------------------------------------------
# throughput


def micro_batches(sizes: Sizes, model: str, doc_mask: bool, free: int | None) -> list[int]:
    """Micro batches to try, largest first: those whose memory plan fits 85% of the free memory."""
    mc = preset(model, vocab_size=128 * -(-sizes.vocab // 128), doc_mask=doc_mask)
    strategy = parallel.choose("auto", mc)
    fits = [
        mb
        for mb in sizes.micro_batches
        if free is None
        or memory.plan(
            mc,
            parallel=strategy,
            world_size=1,
            micro_batch=mb,
            seq_len=sizes.seq_len,
            ac="none",
            device=torch.device(sizes.device),
            compiled=parallel.compiles(None, torch.device(sizes.device)),
        ).total
        <= 0.85 * free
    ]
    return fits or [1]


def throughput(sizes: Sizes, data: Path, out: Path, model: str, doc_mask: bool) -> dict:
    """One row: the largest micro batch that runs, its median step time after warmup, MFU and peak memory."""
    device = torch.device(sizes.device)
    row = {"model": model, "doc_mask": doc_mask, "seq_len": sizes.seq_len}
    free = memory.available(device, 1)
    for mb in micro_batches(sizes, model, doc_mask, free):
        cfg = TrainConfig(
            data=str(data),
            out=str(out / f"{model}{'-docmask' if doc_mask else ''}-mb{mb}"),
            model=model,
            doc_mask=doc_mask,
            seq_len=sizes.seq_len,
            micro_batch=mb,
            batch_tokens=mb * sizes.seq_len,
            steps=sizes.warmup + sizes.measured,
            eval_every=0,
            log_every=0,
            device=sizes.device,
        )
        reset(device)
        try:
            row.update(measure(cfg, sizes))
            return row
        except torch.OutOfMemoryError as e:
            row.setdefault("out_of_memory_at", []).append({"micro_batch": mb, "error": str(e).splitlines()[0]})
        finally:
            reset(device)
    row["error"] = "out of memory at every micro batch"
    return row


def measure(cfg: TrainConfig, sizes: Sizes) -> dict:
    run = build_run(cfg)
    try:
        times = []
        for _ in range(sizes.warmup + sizes.measured):
            batch = run.loader.next_batch(run.plan.sequences)
            t0 = time.perf_counter()
            loss = train_step(run, batch).loss  # ends in the step's host sync: the time is the device's
            times.append(time.perf_counter() - t0)
        step = statistics.median(times[sizes.warmup :])
        tokens_per_s = cfg.batch_tokens / step
        peak = peak_flops(run.rt.device)
        flops = run.model_config.flops_per_token(cfg.seq_len)
        return {
            "parallel": run.parallel,
            "compiled": parallel.compiles(cfg.compile, run.rt.device),
            "micro_batch": cfg.micro_batch,
            "params_m": round(run.model_config.num_params() / 1e6, 1),
            "step_s": round(step, 4),
            "first_step_s": round(times[0], 1),
            "tokens_per_s": round(tokens_per_s),
            "mfu": round(flops * tokens_per_s / peak, 4) if peak else None,
            "peak_memory_gib": round(torch.cuda.max_memory_allocated(run.rt.device) / memory.GiB, 2)
            if run.rt.device.type == "cuda"
            else None,
            "planned_memory_gib": round(run.memory_plan.total / memory.GiB, 3),
            "last_loss": round(loss, 4),
        }
    finally:
        run.rt.close()


def reset(device: torch.device) -> None:
    """Each row starts clean: no compiled graphs of the last model (their guards would pile up and turn
    shapes dynamic), no cached blocks, a fresh peak."""
    gc.collect()
    torch._dynamo.reset()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


# ----------------------------------------------------------------------------------------------------------
# report


def table(rows: list[dict]) -> str:
    head = "| model | doc mask | parallel | micro batch | tokens/s | MFU | peak GiB | planned GiB | first step s |"
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "tokens_per_s" not in r:
            lines.append(
                f"| {r['model']} | {'yes' if r['doc_mask'] else 'no'} | {r.get('error') or r.get('skipped')} |||||||"
            )
            continue
        mfu = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        lines.append(
            f"| {r['model']} | {'yes' if r['doc_mask'] else 'no'} | {r['parallel']} | {r['micro_batch']} | "
            f"{r['tokens_per_s']:,} | {mfu} | {r['peak_memory_gib']} | {r['planned_memory_gib']} | {r['first_step_s']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="Folder for the data, the runs and the report.")
    parser.add_argument("--smoke", action="store_true", help="The tiny CPU version of every step (for the tests).")
    parser.add_argument("--budget-s", type=float, default=420.0, help="Start no throughput row after this.")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else GPU
    if sizes.device == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device here; --smoke runs the same steps on the CPU")
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"data -> {args.out}", flush=True)
    samples, synthetic_data = prepare_samples(args.out), synthetic(args.out, sizes.synthetic_tokens, sizes.vocab)
    print("smoke checks", flush=True)
    checks = smoke(sizes, samples, args.out / "smoke")
    rows = []
    for model in sizes.models:
        for doc_mask in (False, True):
            if time.time() - started > args.budget_s:
                rows.append({"model": model, "doc_mask": doc_mask, "skipped": f"past --budget-s {args.budget_s:g}"})
                continue
            rows.append(throughput(sizes, synthetic_data, args.out / "throughput", model, doc_mask))
            print(f"  {json.dumps(rows[-1])}", flush=True)
    device = torch.cuda.get_device_name() if sizes.device == "cuda" else platform.processor() or "cpu"
    report = {
        "device": device,
        "torch": torch.__version__,
        "smoke": args.smoke,
        "wall_s": round(time.time() - started, 1),
        "checks": checks,
        "throughput": rows,
        "sizes": asdict(sizes),
    }
    (args.out / "gpu_throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    failed = [c["check"] for c in checks if c["ok"] is False] + [r["model"] for r in rows if "error" in r]
    summary = f"{device}, torch {torch.__version__}, {report['wall_s']} s; failed: {', '.join(failed) or 'nothing'}"
    (args.out / "gpu_throughput.md").write_text(f"{summary}\n\n{table(rows)}\n")
    print(f"\n{summary}\n\n{table(rows)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
