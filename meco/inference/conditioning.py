"""Metadata prefixes at inference, rendered and tokenized exactly as `meco prepare` did in training.

`--metadata` VALUEs fill the manifest's kinds in order (`en.wikipedia.org` is the `host` of a host-only
folder); `kind=value` names the kind, which must be one of the manifest's (a `field:NAME` kind is named
`NAME=value` or `field:NAME=value`, and takes the value as rendered in training: a bucket number, `2019-04`).
Data prepared with `--position suffix` has no prefix: a model trained on it was never conditioned, and
`--metadata` is refused. The prefix is tokenized on its own, as prepare does, and goes after
BOS (when the tokenizer has one) and before the text.
"""

from __future__ import annotations

from ..shards import FIELD, KINDS, placeholder
from .loading import InferenceError, Loaded


def metadata_values(values: list[str], kinds: list[str]) -> dict[str, str]:
    """Map `--metadata` VALUEs onto the template's fields: `kind=value` by name, the others in the manifest's
    kind order."""
    names = [placeholder(k) for k in kinds]
    named, plain = {}, []
    for v in values:
        kind, sep, value = v.partition("=")
        name = placeholder(kind)
        if sep and (kind in KINDS or kind.startswith(FIELD)) and name not in names:  # not a value holding "="
            raise InferenceError(f"--metadata {v}: the model was not trained with kind {kind!r}, only with {kinds}")
        if sep and name in names:
            named[name] = value
        else:
            plain.append(v)
    free = [k for k in names if k not in named]
    if len(plain) > len(free):
        raise InferenceError(
            f"--metadata {values}: {len(plain)} unnamed values but only {free} left to fill "
            f"(the model was trained with kinds {kinds})"
        )
    return named | dict(zip(free, plain, strict=False))  # fewer values than kinds leave the rest empty


def prefix_ids(loaded: Loaded, values: list[str]) -> list[int]:
    """BOS (if any) and the rendered prefix tokens for these `--metadata` VALUEs (no VALUEs: BOS only)."""
    bos = [loaded.tokenizer.bos_id] if loaded.tokenizer.bos_id is not None else []
    if not values:
        return bos
    if loaded.manifest.position == "suffix":
        raise InferenceError(
            f"--metadata {values}: {loaded.data} holds metadata after each document (--position suffix), so the "
            "model was never conditioned on a prefix; leave --metadata out"
        )
    text = loaded.template.render(metadata_values(values, loaded.kinds))
    if not text:
        raise InferenceError(f"--metadata {values}: fills none of the template's fields {loaded.template.fields}")
    return bos + loaded.tokenizer.encode_batch([text])[0]
