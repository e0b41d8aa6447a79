"""`meco inspect`: what a prepared folder holds, from its manifest plus a decoded sample of the documents.

Counts come from the manifest (already checked against the files at write time); metadata values are
parsed back from the decoded prefixes (or suffixes) of a sample of conditioned documents, so they show what
the model will actually be conditioned on (or asked to predict). The variants section says which of the
method's variants the folder supports: its kinds, fields, metadata position and the options that apply.
"""

from __future__ import annotations

import os
from collections import Counter

import click
import numpy as np

from ..errors import OptionError
from ..shards import VARIANTS, Manifest, Shards, prefix_span, suffix_span


def sample_indices(n: int, sample: int) -> np.ndarray:
    """`sample` document indices spread evenly over `n` (all of them when `sample >= n`): deterministic."""
    return np.unique(np.linspace(0, n - 1, min(n, sample)).astype(np.int64)) if n and sample else np.zeros(0, np.int64)


def mark_masked(tokens: np.ndarray, loss: np.ndarray, decode, style: bool = False) -> str:
    """Decoded text with each run of untrained tokens in [brackets] (and dimmed with `style`)."""
    cuts = np.flatnonzero(np.diff(loss.astype(np.int8))) + 1
    parts = []
    for run_tokens, run_loss in zip(np.split(tokens, cuts), np.split(loss, cuts), strict=True):
        text = decode(run_tokens.tolist())
        parts.append(text if run_loss[0] else click.style(f"[{text}]", dim=True) if style else f"[{text}]")
    return "".join(parts)


def variants(manifest: Manifest) -> dict:
    """What the folder supports: metadata kinds, how each field renders, the position, the options that apply."""
    fields = {
        name: f"bucket {how['bucket']}" if "bucket" in how else f"date {how['date']}" if "date" in how else "as is"
        for name, how in manifest.fields.items()
    }
    if manifest.position == "suffix":
        options = [
            "meco train --mode meco|standard: conditioned (document then trained metadata) then cooldown, or plain",
            "meco train --metadata-prob P: each document trained with its appended metadata with probability P",
            "meco train --packing concat|complete|repeat-prefix (repeat-prefix repeats only BOS: there is no prefix)",
            "meco eval: loss without metadata, and the accuracy at predicting the held-out metadata values",
            "meco generate/eval --metadata and --guidance do not apply (no prefix to condition on)",
        ]
    else:
        options = [
            "meco train --mode meco|standard: conditioned (masked prefix) then cooldown, or plain",
            "meco train --metadata-prob P: mixing (with --cooldown-fraction 0) or metadata dropout",
            "meco train --packing concat|complete|repeat-prefix (repeat-prefix repeats the prefix on continued chunks)",
            "meco generate --metadata VALUE [--guidance G]; meco eval --metadata VALUE: condition on a prefix",
        ]
    return {
        "kinds": list(manifest.kinds),
        "fields": fields,
        "position": manifest.position,
        "template": manifest.template,
        "options": options,
    }


def inspect_data(
    root: str | os.PathLike, sample: int = 1000, top: int = 10, doc: int = 0, show_tokens: int = 200
) -> dict:
    from ..tokenizer import load_recorded_tokenizer

    manifest = Manifest.read(root)
    tokenizer = load_recorded_tokenizer(manifest.tokenizer)
    splits = {
        split: {
            variant: {
                "documents": v.documents,
                "tokens": v.tokens,
                "target_tokens": v.target_tokens,
                "masked_fraction": 1 - v.target_tokens / v.tokens if v.tokens else 0.0,
            }
            for variant, v in variants.items()
        }
        for split, variants in manifest.splits.items()
    }
    opened = {(split, v): Shards.open(root, v, split) for split in manifest.splits for v in VARIANTS}  # checks sizes
    conditioned, cooldown = opened["train", "conditioned"], opened["train", "cooldown"]
    values: dict[str, Counter] = {}
    indices = sample_indices(len(conditioned), sample)
    cooldown_lengths = cooldown.lengths() if manifest.position == "suffix" else None  # where each suffix starts
    for i in indices:
        tokens, loss = conditioned.document(int(i))
        if cooldown_lengths is not None:
            start, end = suffix_span(len(tokens), int(cooldown_lengths[i]))
        else:
            start, end = prefix_span(tokens, loss, manifest.bos_id)
        for key, value in manifest.prefix_template.parse(tokenizer.decode(tokens[start:end].tolist())).items():
            values.setdefault(key, Counter())[value] += 1
    report = {
        "data": str(root),
        "tokenizer": manifest.tokenizer.name,
        "token_dtype": manifest.token_dtype.name,
        "vocab_size": manifest.vocab_size,
        "splits": splits,
        "variants": variants(manifest),
        "metadata": {
            "sampled_documents": len(indices),
            "values": {k: c.most_common(top or None) for k, c in values.items()},
        },
    }
    if doc and not 0 <= doc < len(conditioned):  # the default 0 of an empty folder just shows no sample
        raise OptionError(
            f"--doc {doc}: {root}'s train/conditioned holds {len(conditioned):,} documents, numbered from 0"
        )
    if doc < len(conditioned):
        tail = manifest.position == "suffix"  # the metadata is at the end: show the end
        tokens, loss = (a[-show_tokens:] if tail else a[:show_tokens] for a in conditioned.document(doc))
        report["sample"] = {
            "document": doc,
            "tokens": len(tokens),
            "part": "last" if tail else "first",
            "marked": mark_masked(tokens, loss, tokenizer.decode),
            "styled": mark_masked(tokens, loss, tokenizer.decode, style=True),
        }
    return report


def format_report(report: dict) -> str:
    lines = [
        f"meco inspect: {report['data']}",
        f"  tokenizer  {report['tokenizer']} ({report['token_dtype']} tokens, vocabulary {report['vocab_size']:,})",
        f"  {'split/variant':<18} {'documents':>10} {'tokens':>14} {'target tokens':>14} {'masked':>8}",
    ]
    for split, variants in report["splits"].items():
        for variant, v in variants.items():
            lines.append(
                f"  {split + '/' + variant:<18} {v['documents']:>10,} {v['tokens']:>14,} "
                f"{v['target_tokens']:>14,} {v['masked_fraction']:>8.2%}"
            )
    v = report["variants"]
    fields = ", ".join(f"{name} ({how})" for name, how in v["fields"].items()) or "none"
    lines += [
        f"  metadata   {', '.join(v['kinds'])}; record fields: {fields}",
        f"  position   {v['position']}: "
        + ("before the document, untrained" if v["position"] == "prefix" else "after the document, trained"),
        f"  template   {v['template']!r}",
        "  variants this folder supports:",
        *(f"    {option}" for option in v["options"]),
    ]
    meta = report["metadata"]
    lines.append(f"  metadata values in {meta['sampled_documents']:,} sampled conditioned documents:")
    for key, counts in meta["values"].items():
        lines += [f"    {key}: {value}  {n:,}" for value, n in counts]
    if "sample" in report:
        s = report["sample"]
        lines += [
            f"  document {s['document']} of train/conditioned, {s['part']} {s['tokens']} tokens, untrained ones in "
            "[brackets]:",
            s["styled"],
        ]
    return "\n".join(lines)


def plot(root: str | os.PathLike, report: dict, path: str | os.PathLike) -> None:
    """Document lengths per variant and the most common value of the first metadata key, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lengths_ax, values_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    lengths = {variant: Shards.open(root, variant).lengths() for variant in report["splits"].get("train", {})}
    longest = max((int(v.max()) for v in lengths.values() if len(v)), default=1)
    for variant, v in lengths.items():
        lengths_ax.hist(v, bins=np.logspace(0, np.log10(longest + 1), 50), histtype="step", label=variant)
    lengths_ax.set(xscale="log", xlabel="tokens per document", ylabel="documents", title="document lengths (train)")
    lengths_ax.legend()
    key, counts = next(iter(report["metadata"]["values"].items()), ("metadata", []))
    values_ax.barh([v for v, _ in counts][::-1], [n for _, n in counts][::-1])
    values_ax.set(
        xlabel=f"documents (of {report['metadata']['sampled_documents']:,} sampled)", title=f"top {key} values"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
