"""`meco eval --probe FILE`: how likely the model finds given continuations of a prompt, with and without a
metadata prefix (a fact probe: "Ada Lovelace was born in" followed by " London", " Paris", ...).

Each line of FILE is a JSON object: `prompt` (text), `candidates` (at least two non-empty texts), `answer`
(the index of the true candidate) and, optionally, `metadata` (a VALUE or a list of VALUEs, as `--metadata`):
the probe's own prefix. Other keys are ignored. Every candidate is scored under up to three conditions:

    unconditional  [BOS] + prompt + candidate
    true           [BOS] + P + prompt + candidate     P: the line's own metadata (when every line has some)
    chosen         [BOS] + P' + prompt + candidate    P': the `--metadata` prefix

The prompt and each candidate are tokenized on their own (as the prefix is), so a candidate's tokens are the
same under every condition; its score is the summed log-probability of those tokens. The model's pick is the
candidate with the highest score (the first on a tie).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .conditioning import prefix_ids
from .loading import InferenceError, Loaded

LOGITS_BUDGET = 1 << 24  # logits computed in one forward (rows x width x vocabulary): 64 MiB in float32


@dataclass(frozen=True)
class Probe:
    prompt: str
    candidates: tuple[str, ...]
    answer: int
    metadata: tuple[str, ...] | None  # the probe's own `--metadata` VALUEs


def read_probes(path: str | Path) -> list[Probe]:
    """The probes of a JSON-lines file; a bad line is an error naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InferenceError(f"{path}: cannot read the probe file ({e})") from e
    probes = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            probes.append(_probe(line, f"{path}:{number}"))
    if not probes:
        raise InferenceError(f"{path}: no probes (one JSON object per line)")
    with_metadata = {p.metadata is not None for p in probes}
    if len(with_metadata) > 1:
        raise InferenceError(f"{path}: some probes have metadata and some do not; give it on every line or on none")
    return probes


def _probe(line: str, where: str) -> Probe:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise InferenceError(f"{where}: not valid JSON ({e})") from e
    if not isinstance(obj, dict):
        raise InferenceError(f"{where}: not a JSON object")
    prompt, candidates, answer, metadata = (obj.get(k) for k in ("prompt", "candidates", "answer", "metadata"))
    if not isinstance(prompt, str):
        raise InferenceError(f"{where}: field prompt: {prompt!r} is not a string")
    if not (
        isinstance(candidates, list) and len(candidates) >= 2 and all(isinstance(c, str) and c for c in candidates)
    ):
        raise InferenceError(
            f"{where}: field candidates: {candidates!r} is not a list of at least two non-empty strings"
        )
    if not (isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(candidates)):
        raise InferenceError(f"{where}: field answer: {answer!r} is not an index into the {len(candidates)} candidates")
    if isinstance(metadata, str):
        metadata = [metadata]
    if metadata is not None and not (metadata and all(isinstance(v, str) and v for v in metadata)):
        raise InferenceError(f"{where}: field metadata: {obj['metadata']!r} is not a VALUE or a list of VALUEs")
    return Probe(prompt, tuple(candidates), answer, tuple(metadata) if metadata is not None else None)


def probe_conditions(loaded: Loaded, probe: Probe, chosen: list[str] | None) -> dict[str, list[int]]:
    """The token context before the candidates, per condition: BOS (if any), the prefix, the prompt."""
    prompt = loaded.tokenizer.encode_batch([probe.prompt])[0] if probe.prompt else []
    contexts = {"unconditional": prefix_ids(loaded, []) + prompt}
    if probe.metadata is not None:
        contexts["true"] = prefix_ids(loaded, list(probe.metadata)) + prompt
    if chosen:
        contexts["chosen"] = prefix_ids(loaded, chosen) + prompt
    if not contexts["unconditional"]:
        raise InferenceError(
            f"probe {probe.prompt!r}: an empty prompt leaves nothing before the first candidate token "
            "(the tokenizer has no BOS); give a prompt"
        )
    return contexts


def score(loaded: Loaded, probes: list[Probe], chosen: list[str] | None) -> list[dict[str, list[tuple[float, int]]]]:
    """Per probe and condition, (summed log-probability, tokens) of every candidate after its context.

    The model reads context + candidate[:-1] and the candidate's tokens are looked up at the positions that
    predict them; candidates whose inputs coincide (every single-token candidate of a context) share one row.
    Rows run many at a time, as long as their logits stay within LOGITS_BUDGET."""
    rows: dict[tuple[int, ...], list] = {}  # model input -> (probe, condition, candidate, first position, ids)
    for i, p in enumerate(probes):
        candidates = loaded.tokenizer.encode_batch(list(p.candidates))  # each on its own
        for condition, context in probe_conditions(loaded, p, chosen).items():
            for k, ids in enumerate(candidates):
                rows.setdefault(tuple(context + ids[:-1]), []).append((i, condition, k, len(context) - 1, ids))
    loaded.model.extend_positions(max(map(len, rows)))
    scores = [{} for _ in probes]
    for row, logp in row_logprobs(loaded.model, list(rows), loaded.config.vocab_size):
        for i, condition, k, start, ids in rows[row]:
            at = torch.arange(start, start + len(ids), device=logp.device)
            total = float(logp[at, torch.tensor(ids, device=logp.device)].sum())
            scores[i].setdefault(condition, [None] * len(probes[i].candidates))[k] = (total, len(ids))
    return scores


@torch.no_grad()
def row_logprobs(model, inputs: list[tuple[int, ...]], vocab: int):
    """Yield (input, next-token log-probabilities (len, vocab) in float64) for every input, the inputs
    right-padded into batches whose logits stay within LOGITS_BUDGET."""
    start = 0
    while start < len(inputs):
        end, width = start, 0
        while end < len(inputs) and (
            end == start or (end + 1 - start) * max(width, len(inputs[end])) * vocab <= LOGITS_BUDGET
        ):
            width = max(width, len(inputs[end]))
            end += 1
        batch = np.zeros((end - start, width), np.int64)
        for r, ids in enumerate(inputs[start:end]):
            batch[r, : len(ids)] = ids
        logp = torch.log_softmax(model(torch.as_tensor(batch, device=model.output.weight.device)).double(), -1)
        yield from ((ids, logp[r, : len(ids)]) for r, ids in enumerate(inputs[start:end]))
        start = end


def score_probes(loaded: Loaded, probes: list[Probe], metadata: list[str] | None = None, source: str = "") -> dict:
    """Per condition: `accuracy` (the pick is the answer), `answer_prob` (the answer's probability among the
    candidates, softmax of the scores, averaged over probes) and `answer_loss` (nats per answer token); and
    every probe's scores."""
    chosen = list(metadata or [])
    results, totals = [], {}
    for p, scores in zip(probes, score(loaded, probes, chosen), strict=True):
        row = {"prompt": p.prompt, "answer": p.answer, "metadata": list(p.metadata or []), "conditions": {}}
        for condition, pairs in scores.items():
            logprobs = [lp for lp, _ in pairs]
            pick = int(np.argmax(logprobs))
            top = max(logprobs)
            prob = math.exp(logprobs[p.answer] - top) / sum(math.exp(lp - top) for lp in logprobs)
            row["conditions"][condition] = {"logprobs": logprobs, "tokens": [n for _, n in pairs], "pick": pick}
            t = totals.setdefault(condition, {"correct": 0, "prob": 0.0, "loss": 0.0, "tokens": 0})
            t["correct"] += pick == p.answer
            t["prob"] += prob
            t["loss"] -= logprobs[p.answer]
            t["tokens"] += pairs[p.answer][1]
        results.append(row)
    n = len(probes)
    return {
        "checkpoint": str(loaded.path),
        "probes": source,
        "count": n,
        "metadata": chosen,
        "chosen_prefix": loaded.tokenizer.decode(prefix_ids(loaded, chosen)[int(loaded.has_bos) :]) if chosen else None,
        "conditions": {
            c: {"accuracy": t["correct"] / n, "answer_prob": t["prob"] / n, "answer_loss": t["loss"] / t["tokens"]}
            for c, t in totals.items()
        },
        "results": results,
    }


def format_probe_report(report: dict) -> str:
    lines = [f"meco eval: {report['checkpoint']}, probes {report['probes']}: {report['count']:,} probes"]
    if report["chosen_prefix"] is not None:
        lines.append(f"chosen prefix: {report['chosen_prefix']!r}")
    lines.append(f"{'condition':<16}{'accuracy':>10}{'answer prob':>14}{'answer loss':>14}")
    for condition, m in report["conditions"].items():
        lines.append(f"{condition:<16}{m['accuracy']:>10.4f}{m['answer_prob']:>14.4f}{m['answer_loss']:>14.4f}")
    return "\n".join(lines)
