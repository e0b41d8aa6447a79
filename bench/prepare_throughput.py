"""Benchmark `meco prepare` against raw tokenization and datatrove's DocumentTokenizer, side by side.

    python bench/prepare_throughput.py [--copies 24] [--workers 2] [--shared ../shared/data]

On one input (the real shared samples repeated `--copies` times, as jsonl.zst files), one tokenizer (the
default cl100k_base as a tokenizer.json) and the same cores, it measures in one run:
  (a) raw `Tokenizer.encode_batch` tokens/s on the texts in memory,
  (b) datatrove `DocumentTokenizer` writing the two variants: prefixed text with `no_loss_ranges`, then plain,
  (c) `meco prepare` writing both variants,
and reports (c)/(b) time (target <= 0.6) and (c)/(a) tokens/s (target >= 0.8), plus `meco prepare` on the
tiktoken path and the peak memory of the largest process (a worker) of each run, at 1x and 2x the input.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
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


def write_input(records: list[dict], copies: int, folder: Path) -> int:
    """`copies` jsonl.zst files of all records (ids differ per copy); returns the document count."""
    import zstandard

    folder.mkdir(parents=True)
    for c in range(copies):
        lines = b"".join(
            json.dumps({"text": r["text"], "url": r["url"], "id": f"{c}/{i}"}).encode() + b"\n"
            for i, r in enumerate(records)
        )
        (folder / f"part-{c:03d}.jsonl.zst").write_bytes(zstandard.ZstdCompressor(level=3).compress(lines))
    return copies * len(records)


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, peak RSS in KiB) of every process, from /proc (Linux)."""
    table = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            table[int(status.parent.name)] = (int(fields["PPid"]), int(fields.get("VmHWM", "0 kB").split()[0]))
        except (OSError, KeyError, ValueError):  # the process ended while we looked
            continue
    return table


def timed_subprocess(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds, and the largest peak RSS (MiB) of any process in the command's tree (workers included),
    sampled every 20 ms from each process's own high-water mark."""
    log = tempfile.TemporaryFile()  # not a pipe: datatrove logs a lot, and a full pipe would block the run
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    peak = 0
    while proc.poll() is None:
        table = _process_table()
        tree = {proc.pid}
        for _ in range(4):  # the launcher, datatrove's forkserver, its workers
            tree |= {pid for pid, (ppid, _) in table.items() if ppid in tree}
        peak = max([peak] + [table[pid][1] for pid in tree if pid in table])
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode:
        log.seek(0)
        raise RuntimeError(f"{cmd[:4]} failed:\n{log.read().decode()[-2000:]}")
    return seconds, peak // 1024


def meco_prepare(data: Path, out: Path, tokenizer: str, workers: int) -> tuple[float, int]:
    return timed_subprocess(
        [
            sys.executable,
            "-m",
            "meco.cli",
            "prepare",
            str(data),
            "-o",
            str(out),
            "--tokenizer",
            tokenizer,
            "--tasks",
            str(workers),
            "--workers",
            str(workers),
            "--val-fraction",
            "0",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--copies", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from meco.tokenizer import load_tokenizer

    records = [r for r in read_records(args.shared) if r["text"].strip()]
    tmp = Path(tempfile.mkdtemp(prefix="meco-bench-"))
    tokenizer_json = tmp / "tokenizer.json"
    load_tokenizer().huggingface().save(str(tokenizer_json))
    docs = write_input(records, args.copies, tmp / "input")
    write_input(records, 2 * args.copies, tmp / "input2x")

    hf = load_tokenizer(str(tokenizer_json)).backend
    texts = [r["text"] for r in records] * args.copies
    start = time.perf_counter()
    tokens = sum(len(e.ids) for e in hf.encode_batch(texts, add_special_tokens=False))
    raw_s = time.perf_counter() - start
    del texts

    dt_cmd = [sys.executable, "-c", DATATROVE_RUN, str(tmp / "input")]
    dt_prefixed, dt_mem1 = timed_subprocess(
        [*dt_cmd, str(tmp / "dt-prefixed"), str(tokenizer_json), str(args.workers), "1"]
    )
    dt_plain, dt_mem2 = timed_subprocess([*dt_cmd, str(tmp / "dt-plain"), str(tokenizer_json), str(args.workers), "0"])
    meco_s, meco_mem = meco_prepare(tmp / "input", tmp / "meco-hf", str(tokenizer_json), args.workers)
    meco_tt_s, meco_tt_mem = meco_prepare(tmp / "input", tmp / "meco-tiktoken", "cl100k_base", args.workers)
    meco_2x_s, meco_2x_mem = meco_prepare(tmp / "input2x", tmp / "meco-2x", str(tokenizer_json), args.workers)

    manifest = json.loads((tmp / "meco-hf" / "manifest.json").read_text())
    assert manifest.document_tokens == tokens, "meco and the raw tokenizer disagree on the token count"
    datatrove_s = dt_prefixed + dt_plain
    rows = [
        ("(a) raw encode_batch, in memory", raw_s, tokens / raw_s, None),
        ("(b) datatrove DocumentTokenizer, prefixed", dt_prefixed, tokens / dt_prefixed, dt_mem1),
        ("(b) datatrove DocumentTokenizer, plain", dt_plain, tokens / dt_plain, dt_mem2),
        ("(b) datatrove, both variants", datatrove_s, tokens / datatrove_s, max(dt_mem1, dt_mem2)),
        ("(c) meco prepare, tokenizer.json", meco_s, tokens / meco_s, meco_mem),
        ("(c) meco prepare, tiktoken cl100k_base", meco_tt_s, tokens / meco_tt_s, meco_tt_mem),
        ("(c) meco prepare, tokenizer.json, 2x input", meco_2x_s, 2 * tokens / meco_2x_s, meco_2x_mem),
    ]
    out = io.StringIO()
    print(f"input: {docs:,} documents, {tokens:,} document tokens, {args.workers} workers, {tmp}", file=out)
    print(f"{'run':<46}{'seconds':>9}{'tokens/s':>13}{'peak MiB':>10}", file=out)
    for name, s, tps, mem in rows:
        print(f"{name:<46}{s:>9.1f}{tps:>13,.0f}{mem if mem is not None else '':>10}", file=out)
    print(f"(c)/(b) time:     {meco_s / datatrove_s:.2f}  (target <= 0.6)", file=out)
    print(f"(c)/(a) tokens/s: {raw_s / meco_s:.2f}  (target >= 0.8)", file=out)
    print(out.getvalue(), end="")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
