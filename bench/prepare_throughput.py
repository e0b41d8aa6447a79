"""Benchmark `meco prepare` against datatrove's DocumentTokenizer and the raw fast tokenizer, side by side.

    python bench/prepare_throughput.py [--copies 40] [--scale 4] [--rounds 3] [--workers 2] [--shared ../shared/data]

Input: the real shared samples repeated `--copies` times as jsonl.zst files. Every copy after the first
spells its words of 7 or more letters with its own permutation of the alphabet, so each copy brings new
words the way new input does, instead of meeting a warm tokenizer cache (short, frequent words stay). At 40
copies each of 2 workers gets about 100 M characters, enough to fill meco's 64 MiB budget for gigatoken's
cache a few times, so that the memory check compares full caches: a small input shows caches still filling.
Tokenizer: the default cl100k_base as a tokenizer.json. Each round runs, in an order rotated per round:
  (a) the raw fast tokenizer (gigatoken, as meco builds it) on the same texts in memory, all cores;
  (b) datatrove `DocumentTokenizer` writing the two variants: prefixed text with `no_loss_ranges`, then plain;
  (c) `meco prepare` writing both variants, with the tokenizer.json, with tiktoken's cl100k_base, and with
      the tokenizer.json on the reference tokenizer alone (MECO_FAST_TOKENIZER=0).
  (d) the floor (`io_floor`): inflating and parsing the input, writing and hashing the shards' bytes,
      nothing else, in this process; with (a) of the same round it bounds (c)/(a) from above, whatever
      meco does.
After the rounds, `meco prepare` on the tokenizer.json runs once on `--scale` times the input.

Per run: wall time; CPU time of the whole process tree (datatrove's pool workers included), the larger of
two lower bounds: every process's own CPU time sampled from /proc every 20 ms, and what the kernel credits
to this process's waited-for children; and the peak resident memory (VmHWM) of the largest process in the
tree, a worker. Reported: median with min and max over the rounds, and per-round ratios against targets
(c)/(b) <= 0.20 in wall and CPU time, (c)/(a) >= 0.8 in tokens/s, and the peak memory per worker at
`--scale` times the input within 10% of that at 1x. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import read_records  # noqa: E402  (the benchmark reuses the tests' independent reader)

DATATROVE_RUN = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer
data, out, tokenizer, workers, prefixed = sys.argv[1:6]

def with_prefix(data, rank=0, world_size=1):
    from meco.pipeline.metadata import parse_host  # imported here: dill ships this function to the workers

    for doc in data:
        host = parse_host(doc.metadata.get("url") or "")
        prefix = f"URL: {host}\\n\\n" if host else ""
        doc.text = prefix + doc.text
        doc.metadata["no_loss_ranges"] = [(0, len(prefix))] if prefix else []
        yield doc

steps = [JsonlReader(data)] + ([with_prefix] if prefixed == "1" else []) + [
    DocumentTokenizer(out, tokenizer, eos_token="<|endoftext|>", save_loss_metadata=prefixed == "1",
                      shuffle_documents=False)]
LocalPipelineExecutor(steps, tasks=int(workers), workers=int(workers), logging_dir=out + "/logs").run()
"""
LONG_WORD = re.compile(r"[A-Za-z]{7,}")
TARGETS = {"time": 0.20, "tokens/s": 0.8, "memory": 0.10}


def copy_texts(texts: list[str], copy: int) -> list[str]:
    """Copy 0 as it is; copy c with its long words spelt through a permutation of the alphabet seeded by c."""
    if copy == 0:
        return texts
    letters = list(string.ascii_lowercase)
    random.Random(copy).shuffle(letters)
    table = str.maketrans(string.ascii_letters, "".join(letters) + "".join(letters).upper())
    return [LONG_WORD.sub(lambda m: m.group().translate(table), t) for t in texts]


def write_inputs(records: list[dict], copies: int, scale: int, folder: Path) -> list[str]:
    """`folder/1x` with `copies` jsonl.zst files and `folder/{scale}x` with `scale` times as many (the first
    ones shared, as hard links); returns the texts of 1x."""
    import zstandard

    for name in ("1x", f"{scale}x"):
        (folder / name).mkdir(parents=True)
    texts = [r["text"] for r in records]
    first = []
    for c in range(copies * scale):
        copy = copy_texts(texts, c)
        lines = b"".join(
            json.dumps({"text": t, "url": r["url"], "id": f"{c}/{i}"}).encode() + b"\n"
            for i, (t, r) in enumerate(zip(copy, records, strict=True))
        )
        path = folder / f"{scale}x" / f"part-{c:04d}.jsonl.zst"
        path.write_bytes(zstandard.ZstdCompressor(level=3).compress(lines))
        if c < copies:
            os.link(path, folder / "1x" / path.name)
            first += copy
    return first


def _tree_sample(root: int, seen: dict[int, tuple[float, int]]) -> None:
    """Record (CPU seconds so far, peak RSS KiB) of `root` and every process below it."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            table[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])))
        except (OSError, IndexError, ValueError):  # the process ended while we looked
            continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _) in table.items() if ppid in tree} - tree
        tree, grew = tree | more, bool(more)
    for pid in tree & table.keys():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peak = re.search(r"VmHWM:\s+(\d+)", status)  # absent once the process has exited (a zombie)
        cpu, before = table[pid][1] / os.sysconf("SC_CLK_TCK"), seen.get(pid, (0.0, 0))
        seen[pid] = (max(cpu, before[0]), max(int(peak[1]) if peak else 0, before[1]))


def measured(cmd: list[str], env: dict | None = None) -> dict:
    """Wall and process-tree CPU seconds, and the peak RSS (MiB) of the largest process of the tree."""
    log = tempfile.TemporaryFile()  # not a pipe: datatrove logs a lot, and a full pipe would block the run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
    seen: dict[int, tuple[float, int]] = {}
    while proc.poll() is None:
        _tree_sample(proc.pid, seen)
        time.sleep(0.02)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        log.seek(0)
        raise RuntimeError(f"{cmd[:5]} failed:\n{log.read().decode()[-3000:]}")
    reaped = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    cpu = max(reaped, sum(c for c, _ in seen.values()))
    return {"wall": wall, "cpu": cpu, "peak_mib": max((p for _, p in seen.values()), default=0) / 1024}


def raw_fast(tokenizer_json: Path, texts: list[str]) -> dict:
    """The fast tokenizer as meco builds it, fresh (cold cache), on all cores, on texts in memory."""
    from meco.tokenizer import load_tokenizer

    fast = load_tokenizer(str(tokenizer_json)).fast
    assert fast.unavailable() is None, fast.unavailable()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    ids, counts = fast.encode_flat(texts)
    wall = time.perf_counter() - start
    end = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall": wall, "cpu": end.ru_utime + end.ru_stime - usage.ru_utime - usage.ru_stime, "tokens": len(ids)}


def io_floor(data: Path, tokens: int, work: Path) -> dict:
    """Wall and CPU seconds of what every exact run writing meco's shards must do besides tokenizing, done
    the fastest way Python has: inflate every input file once, parse every record (orjson), and write and
    sha256 the shards' 10 bytes a token (ids as uint32 in both variants, one loss byte in each; `hash_cpu`, the
    sha256 alone, is the part another format could drop). No process start, tokenizer build, metadata or
    memory bound: a floor. Against it, (c)/(a) can reach at most raw / (raw + floor) in CPU time."""
    import hashlib

    import orjson
    import zstandard

    usage, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for path in sorted(data.glob("*.jsonl.zst")):
        inflated = zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())
        for line in inflated.splitlines():
            orjson.loads(line)
    block, left, digest, hashing = bytes(1 << 24), 10 * tokens, hashlib.sha256(), 0.0
    with open(work, "wb") as f:
        while left > 0:
            piece = memoryview(block)[: min(left, len(block))]
            f.write(piece)
            before = time.process_time()
            digest.update(piece)
            hashing += time.process_time() - before
            left -= len(piece)
    work.unlink()
    end, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - start
    return {"wall": wall, "cpu": end.ru_utime + end.ru_stime - usage.ru_utime - usage.ru_stime, "hash_cpu": hashing}


def meco_prepare(data: Path, out: Path, tokenizer: str, workers: int, env: dict | None = None) -> dict:
    """`meco prepare` measured, with the document tokens its manifest counts."""
    options = ["-o", str(out), "--tokenizer", tokenizer, "--tasks", str(workers), "--workers", str(workers)]
    run = measured([sys.executable, "-m", "meco.cli", "prepare", str(data), *options, "--val-fraction", "0"], env)
    run["tokens"] = json.loads((out / "manifest.json").read_text())["document_tokens"]
    stats = json.loads((out / "logs" / "tokenize" / "stats.json").read_text())
    run["steps"] = {step["name"].split(": ", 1)[-1]: step["time_stats"]["total"] for step in stats}
    shutil.rmtree(out)
    return run


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--copies", type=int, default=40, help="copies of the samples in the 1x input")
    parser.add_argument("--scale", type=int, default=4, help="the memory check's larger input, in times 1x")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.scale < 2:
        parser.error("--scale must be at least 2")

    from meco.tokenizer import load_tokenizer

    records = [r for r in read_records(args.shared) if r["text"].strip()]
    tmp = Path(tempfile.mkdtemp(prefix="meco-bench-"))
    tokenizer_json = tmp / "tokenizer.json"
    load_tokenizer().huggingface().save(str(tokenizer_json))
    texts = write_inputs(records, args.copies, args.scale, tmp)
    data, w, tj = tmp / "1x", args.workers, str(tokenizer_json)
    dt = [sys.executable, "-c", DATATROVE_RUN, str(data)]
    runs = {
        "(b) datatrove, prefixed": lambda out: measured([*dt, str(out), tj, str(w), "1"]),
        "(b) datatrove, plain": lambda out: measured([*dt, str(out), tj, str(w), "0"]),
        "(c) meco, tokenizer.json": lambda out: meco_prepare(data, out, tj, w),
        "(c) meco, tiktoken cl100k_base": lambda out: meco_prepare(data, out, "cl100k_base", w),
        "(c) meco, tokenizer.json, reference only": lambda out: meco_prepare(
            data, out, tj, w, env={"MECO_FAST_TOKENIZER": "0"}
        ),
        "(d) reading and writing alone, 1 process": lambda out: io_floor(data, tokens, out),
    }
    tokens = raw_fast(tokenizer_json, texts)["tokens"]  # how much the floor writes (and a warm page cache)
    results: dict[str, list[dict]] = {name: [] for name in ["(a) raw fast tokenizer, in memory", *runs]}
    names = list(results)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            out = tmp / f"out-{r}-{names.index(name)}"
            results[name].append(raw_fast(tokenizer_json, texts) if name.startswith("(a)") else runs[name](out))
            shutil.rmtree(out, ignore_errors=True)
            print(f"round {r + 1}: {name}: {results[name][-1]['wall']:.1f} s", file=sys.stderr, flush=True)
    counted = {x["tokens"] for rs in results.values() for x in rs if "tokens" in x}
    assert counted == {tokens}, f"meco and the raw tokenizer count different tokens: {counted}"
    big = meco_prepare(tmp / f"{args.scale}x", tmp / "out-big", tj, w)

    both = [p["wall"] + q["wall"] for p, q in zip(results[names[1]], results[names[2]], strict=True)]
    both_cpu = [p["cpu"] + q["cpu"] for p, q in zip(results[names[1]], results[names[2]], strict=True)]
    meco = results[names[3]]
    print(f"input: {len(texts):,} documents, {tokens:,} document tokens, {w} workers, {args.rounds} rounds, {tmp}")
    print(f"{'run':<44}{'wall s':>20}{'CPU s':>20}{'tokens/s':>12}{'peak MiB/worker':>17}")
    for name, rs in results.items():
        peak = max(x.get("peak_mib", 0) for x in rs)
        speed = f"{tokens / statistics.median(x['wall'] for x in rs):,.0f}" if not name.startswith("(d)") else ""
        print(
            f"{name:<44}{spread([x['wall'] for x in rs], '.1f'):>20}{spread([x['cpu'] for x in rs], '.1f'):>20}"
            f"{speed:>12}{f'{peak:,.0f}' if peak else '':>17}"
        )
    print(f"{'(b) datatrove, both variants':<44}{spread(both, '.1f'):>20}{spread(both_cpu, '.1f'):>20}")
    print(f"{f'(c) meco, tokenizer.json, {args.scale}x input':<44}{big['wall']:>20.1f}{big['cpu']:>20.1f}", end="")
    print(f"{args.scale * tokens / big['wall']:>12,.0f}{big['peak_mib']:>17,.0f}")
    wall_ratio = [m["wall"] / b for m, b in zip(meco, both, strict=True)]
    cpu_ratio = [m["cpu"] / b for m, b in zip(meco, both_cpu, strict=True)]
    speed_ratio = [a["wall"] / m["wall"] for a, m in zip(results[names[0]], meco, strict=True)]
    growth = big["peak_mib"] / max(m["peak_mib"] for m in meco) - 1
    steps = {step: [m["steps"][step] for m in meco] for step in meco[0]["steps"]}
    print(
        f"{names[3]}, seconds in each step, all tasks: "
        + ", ".join(f"{k} {spread(v, '.1f')}" for k, v in steps.items())
    )
    print(f"(c)/(b) wall time: {spread(wall_ratio, '.3f')}  (target <= {TARGETS['time']})")
    print(f"(c)/(b) CPU time:  {spread(cpu_ratio, '.3f')}  (target <= {TARGETS['time']})")
    print(f"(c)/(a) tokens/s:  {spread(speed_ratio, '.3f')}  (target >= {TARGETS['tokens/s']})")
    floors = results[names[6]]
    ceiling = [a["cpu"] / (a["cpu"] + f["cpu"]) for a, f in zip(results[names[0]], floors, strict=True)]
    unhashed = [
        a["cpu"] / (a["cpu"] + f["cpu"] - f["hash_cpu"]) for a, f in zip(results[names[0]], floors, strict=True)
    ]
    print(
        f"(c)/(a) can reach at most {spread(ceiling, '.3f')} in CPU time, raw / (raw + (d)) round by round "
        f"({spread(unhashed, '.3f')} without the sha256 of (d), {spread([f['hash_cpu'] for f in floors], '.2f')} s)"
    )
    print(f"peak memory per worker, {args.scale}x against 1x: {growth:+.1%}  (target within ±{TARGETS['memory']:.0%})")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
