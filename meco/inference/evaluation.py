"""`meco eval`: held-out loss on document tokens under three conditions.

    unconditional  [BOS] + D + [EOS]            the cooldown variant, as stored
    true           [BOS] + P + D + [EOS]        the conditioned variant, as stored (P: the document's own metadata)
    chosen         [BOS] + P' + D + [EOS]       P': the `--metadata` prefix, rendered and tokenized as in training

Every condition scores the very same tokens: those of D + [EOS] with loss in the cooldown variant and
something before them, so the first document token counts only where the tokenizer has a BOS. Documents
are cut so that the longest of their versions fits the context (by default the training seq_len) + 1 tokens.

Data prepared with `--position suffix` (`[BOS] + D + S + [EOS]`) has no prefix to condition on: the loss is
the unconditional one only, and the report adds how often the model predicts the held-out metadata values
of S (prediction.py).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

from ..shards import Shards, prefix_span, suffix_span
from .conditioning import prefix_ids
from .loading import InferenceError, Loaded
from .prediction import MetadataPrediction

NO_METADATA = "(none)"


def conditions(
    cond: np.ndarray,
    cond_loss: np.ndarray,
    cool: np.ndarray,
    cool_loss: np.ndarray,
    bos_id: int | None,
    chosen: list[int] | None,
    context: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Token sequences and target masks per condition for one document, and its true prefix ids."""
    nb, end = prefix_span(cond, cond_loss, bos_id)
    body, body_mask = cool[nb:], cool_loss[nb:].astype(bool)
    true = cond[nb:end]
    if not np.array_equal(cond[end:], body):
        raise InferenceError(
            "the conditioned and cooldown variants disagree on a document's tokens: not document-aligned"
        )
    prefixes = {"unconditional": cond[:0], "true": true} | (
        {"chosen": np.asarray(chosen, cond.dtype)} if chosen is not None else {}
    )
    keep = max(context + 1 - nb - max(len(p) for p in prefixes.values()), 1)
    body, body_mask = body[:keep], body_mask[:keep].copy()
    if not nb:
        body_mask[0] = False  # nothing precedes it in the unconditional sequence
    tokens = {c: np.concatenate([cond[:nb], p, body]).astype(np.int64) for c, p in prefixes.items()}
    masks = {c: np.concatenate([np.zeros(nb + len(p), bool), body_mask]) for c, p in prefixes.items()}
    return tokens, masks, true


@torch.no_grad()
def token_losses(model, tokens: dict[str, np.ndarray], masks: dict[str, np.ndarray]) -> dict[str, tuple[float, int]]:
    """(summed loss, target count) per condition: one forward over the conditions, right-padded."""
    names = list(tokens)
    width = max(len(t) for t in tokens.values())
    batch, target = np.zeros((len(names), width), np.int64), np.zeros((len(names), width), bool)
    for i, c in enumerate(names):
        batch[i, : len(tokens[c])], target[i, : len(masks[c])] = tokens[c], masks[c]
    device = model.output.weight.device
    batch, target = torch.as_tensor(batch, device=device), torch.as_tensor(target, device=device)
    logits = model(batch[:, :-1]).float()
    losses = F.cross_entropy(logits.transpose(1, 2), batch[:, 1:], reduction="none").double()
    return {c: (float(losses[i][target[i, 1:]].sum()), int(target[i, 1:].sum())) for i, c in enumerate(names)}


def evaluate(
    loaded: Loaded,
    split: str = "val",
    metadata: list[str] | None = None,
    max_docs: int = 1000,
    top: int = 10,
    context: int = 0,
) -> dict:
    """Loss per condition over the first `max_docs` documents of `split` (0: all), overall and per value of the
    template's first metadata kind (`host`), the `top` most frequent values listed (0: all). Sequences hold
    at most `context` + 1 tokens (0: the training seq_len)."""
    cond, cool = (Shards.open(loaded.data, v, split) for v in ("conditioned", "cooldown"))
    n = len(cool) if max_docs <= 0 else min(max_docs, len(cool))
    if n == 0:
        raise InferenceError(f"{loaded.data}: the {split} split holds no documents")
    context = context or loaded.seq_len
    loaded.model.extend_positions(context)
    chosen = prefix_ids(loaded, metadata)[int(loaded.has_bos) :] if metadata else None
    key = loaded.template.fields[0]
    suffix = loaded.manifest.position == "suffix"
    prediction = MetadataPrediction(loaded.model, loaded.tokenizer.decode, loaded.template, context, loaded.device)
    totals = defaultdict(lambda: defaultdict(lambda: [0.0, 0, 0]))  # group -> condition -> [loss, targets, documents]
    for i in range(n):
        (ct, cl), (kt, kl) = cond.document(i), cool.document(i)
        if suffix:
            tokens, masks, _ = conditions(kt, kl, kt, kl, loaded.manifest.bos_id, None, context)
            del tokens["true"], masks["true"]  # the metadata comes after the document: nothing to condition on
            start, end = suffix_span(len(ct), len(kt))
            if not np.array_equal(ct[:start], kt[:start]):
                raise InferenceError(
                    "the conditioned and cooldown variants disagree on a document's tokens: not document-aligned"
                )
            prediction.add(ct, start, end)
            true = ct[start:end]
        else:
            tokens, masks, true = conditions(ct, cl, kt, kl, loaded.manifest.bos_id, chosen, context)
        group = loaded.template.parse(loaded.tokenizer.decode(true.tolist())).get(key, NO_METADATA)
        for c, (loss, count) in token_losses(loaded.model, tokens, masks).items():
            for g in ("all", group):
                totals[g][c][0] += loss
                totals[g][c][1] += count
                totals[g][c][2] += 1

    def summary(group: dict) -> dict:
        first = next(iter(group.values()))
        return {
            "documents": first[2],
            "targets": first[1],
            "loss": {c: s / max(t, 1) for c, (s, t, _) in group.items()},
        }

    groups = sorted(
        ((g, summary(v)) for g, v in totals.items() if g != "all"), key=lambda x: (-x[1]["documents"], x[0])
    )
    return {
        "checkpoint": str(loaded.path),
        "data": str(loaded.data),
        "split": split,
        "context": context,
        "metadata": list(metadata or []),
        "chosen_prefix": loaded.tokenizer.decode(chosen) if chosen is not None else None,
        "position": loaded.manifest.position,
        **summary(totals["all"]),
        "by": key,
        "groups": [{"value": g, **s} for g, s in (groups[:top] if top > 0 else groups)],
    } | ({"metadata_prediction": prediction.report()} if suffix else {})


def format_report(report: dict) -> str:
    names = list(report["loss"])
    lines = [
        f"meco eval: {report['checkpoint']} on {report['data']} ({report['split']}): {report['documents']:,} documents, "
        f"{report['targets']:,} target tokens in every condition"
    ]
    if report["chosen_prefix"] is not None:
        lines.append(f"chosen prefix: {report['chosen_prefix']!r}")
    lines.append(f"{'':<32}{'docs':>8}{'targets':>10}" + "".join(f"{c:>15}" for c in names))
    for label, row in [("all", report), *((f"{report['by']} {g['value']}", g) for g in report["groups"])]:
        lines.append(
            f"{label[:31]:<32}{row['documents']:>8,}{row['targets']:>10,}"
            + "".join(f"{row['loss'][c]:>15.4f}" for c in names)
        )
    if "metadata_prediction" in report:
        p = report["metadata_prediction"]
        lines.append(
            "metadata after the document, predicted exactly (greedy, given the document and the text before "
            f"the value; {p['documents_without_metadata']:,} documents without metadata):"
        )
        lines += [
            f"  {name:<30}{f['count']:>8,} values {f['correct']:>8,} correct  accuracy {f['accuracy']:.4f}"
            for name, f in p["fields"].items()
        ]
    return "\n".join(lines)
