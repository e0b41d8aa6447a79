"""Property: every input line is written exactly or counted with its reason, and the counts add up to the input.

hypothesis writes JSON-lines files of good records (any Unicode text, control and format characters, NULs,
numbers beyond 64 bits or double range, lone surrogate escapes, a BOM), bad lines (form feeds, cut JSON,
invalid UTF-8, arbitrary bytes, non-objects, missing or non-string texts) and URLs with and without a host.
The real reader, prefix step and shard writer run on each file; every written document must be its record's
text exactly (token ids as the tokenizer gives them, decoding back to the text) in the cooldown variant, and
the expected prefix plus the same ids in the conditioned variant, loss masked on the prefix.

MECO_FUZZ_EXAMPLES sets the number of files (bench/reliability.py runs many, with random seeds)."""

from __future__ import annotations

import json
import os
import string
import unicodedata
from collections import Counter
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meco.pipeline import writer as writer_module
from meco.pipeline.prefix import AttachMetadataPrefix
from meco.pipeline.readers import CheckedJsonlReader
from meco.pipeline.writer import MecoShardWriter
from meco.shards import ShardFile
from meco.tokenizer import load_tokenizer
from tests.fault.invariants import FIGURES

EXAMPLES = int(os.environ.get("MECO_FUZZ_EXAMPLES", "25"))
MAX_CHARS = 120
TEMPLATE = "URL: {host}\n\n"

# ---- the oracle: what must happen to each line, decided without meco's code ----------------------------------


def blank(text: str) -> bool:
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in text)


def expect_record(text, url_outcome, surrogate=False):
    """('written', text, prefix, without-metadata reason, repairs) or ('skipped', reason, repairs)."""
    repairs = ["nul_bytes_removed"] if "\0" in text else []
    text = text.replace("\0", "")
    if blank(text):
        return ("skipped", "empty_text", repairs)
    if len(text) > MAX_CHARS:
        return ("skipped", "too_long", repairs)
    if surrogate:
        repairs.append("lone_surrogates_replaced")
        text = text.replace("\ud800", "\ufffd")
    host, reason = url_outcome
    return ("written", text, TEMPLATE.format(host=host) if host else "", reason, repairs)


def expect_junk(line: bytes):
    """What Python's json (the reference reader) makes of a line that is not a generated record."""
    line = line.removeprefix(b"\xef\xbb\xbf")
    if not line.strip(b" \t\r\n"):
        return ("blank",)
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return ("skipped", "invalid_utf8", [])
    except (ValueError, RecursionError):
        return ("skipped", "malformed_json", [])
    return None if isinstance(value, dict) else ("skipped", "not_an_object", [])


# ---- strategies ------------------------------------------------------------------------------------------------

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(label, min_size=1, max_size=3),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
url_tail = st.text(string.ascii_letters + string.digits + "/?#=&%._~-:@", max_size=30).map(lambda t: "/" + t)
invisible = st.sampled_from(["\x00", "\x01", "\x1f", "\x7f", "\x85", "\u200b", "\u202e", "\u2028", "\t"])


@st.composite
def urls(draw):
    """(JSON value or a marker for no field, (expected host or None, without-metadata reason or None))."""
    kind = draw(
        st.sampled_from(["host", "host", "host", "schemeless", "ip", "none", "absent", "number", "no_host", "control"])
    )
    host = draw(hosts)
    shown = "".join(c.upper() if draw(st.booleans()) else c for c in host)
    tail = draw(url_tail)
    if kind == "host":
        scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp"]))
        user = draw(st.sampled_from(["", "user@", "user:pw@"]))
        port = draw(st.sampled_from(["", ":80", ":8080"]))
        return f"{scheme}://{user}{shown}{port}{tail}", (host, None)
    if kind == "schemeless":
        return f"{shown}{tail}", (host, None)
    if kind == "ip":
        ip = ".".join(str(draw(st.integers(0, 255))) for _ in range(4))
        return f"http://{ip}{tail}", (ip, None)
    if kind == "none":
        return draw(st.sampled_from([None, "", "   "])), (None, "no_url")
    if kind == "absent":
        return ABSENT, (None, "no_url")
    if kind == "number":
        return draw(st.integers()), (None, "non_string_url")
    if kind == "no_host":
        start = draw(
            st.sampled_from(
                [
                    "/",
                    "./",
                    "?",
                    "javascript:",
                    "mailto:user@",
                    "data:text/plain,",
                    "tel:+",
                    "urn:x:",
                    "http:\\\\",
                    "http:/",
                ]
            )
        )
        return start + shown + tail, (None, "unparsable_url")
    at = draw(st.integers(0, len(shown)))
    return f"https://{shown[:at]}{draw(invisible)}{shown[at:]}{tail}", (None, "unparsable_url")


ABSENT = object()
EXTRAS = {
    "": "",
    "bigint": ', "n": 123456789012345678901234567890123456789',
    "beyond double": ', "x": 1e400, "y": -2.5e-999',
    "NaN": ', "z": NaN, "w": -Infinity',
    "nested": ', "meta": {"a": [1, {"b": null}], "c": "d"}',
}


@st.composite
def record_lines(draw):
    text = draw(st.text(max_size=MAX_CHARS + 20))
    url, outcome = draw(urls())
    extra = draw(st.sampled_from(list(EXTRAS)))
    fields = {"text": text} | ({} if url is ABSENT else {"url": url})
    raw = json.dumps(fields, ensure_ascii=draw(st.booleans()))
    surrogate = draw(st.integers(0, 9)) == 0  # a lone surrogate escape: orjson refuses it, json reads it
    if surrogate:
        raw = raw.replace('"text": "', '"text": "\\ud800', 1)
        text = "\ud800" + text
    return (raw[:-1] + EXTRAS[extra] + "}").encode(), expect_record(text, outcome, surrogate)


@st.composite
def bad_lines(draw):
    kind = draw(st.sampled_from(["fixed", "bytes", "non-object", "no text", "text not a string"]))
    if kind == "fixed":
        line = draw(
            st.sampled_from(
                [
                    b"\x0c\x0c",
                    b"\x0b",
                    b"\x0c\x0b\x0c",
                    b'{"text": "cut',
                    b"[1, 2",
                    b'{"text": "bad \xff byte"}',
                    b"nul\x00",
                    b"{}x",
                    b"\x1c",
                    b"\xa0",
                ]
            )
        )
    elif kind == "bytes":
        line = draw(st.binary(max_size=40).filter(lambda b: b"\n" not in b))
    elif kind == "non-object":
        line = json.dumps(
            draw(st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3), st.none()))
        ).encode()
    elif kind == "no text":
        return json.dumps({"url": "https://a.org", "txt": "x"}).encode(), ("skipped", "missing_text", [])
    else:
        value = draw(st.one_of(st.integers(), st.lists(st.text(max_size=3), max_size=2), st.booleans()))
        return json.dumps({"text": value}).encode(), ("skipped", "non_string_text", [])
    expected = expect_junk(line)
    if expected is None:  # the bytes happen to be a JSON object: not what this strategy is for
        return json.dumps({"text": None}).encode(), ("skipped", "missing_text", [])
    return line, expected


blank_lines = st.sampled_from([b"", b" ", b"\t", b"\r", b" \t \r"]).map(lambda b: (b, ("blank",)))
lines = st.lists(st.one_of(record_lines(), record_lines(), bad_lines(), blank_lines), min_size=1, max_size=25)

# ---- the property ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cached_tokenizer():
    """The real tokenizer, loaded once instead of once per example (the writer loads it per task)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(writer_module, "load_tokenizer", cache(load_tokenizer))
    yield load_tokenizer()
    patch.undo()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("MECO_FUZZ_RANDOM") is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(lines=lines, bom=st.booleans(), crlf=st.booleans())
def test_every_line_is_written_exactly_or_counted(tmp_path_factory, cached_tokenizer, lines, bom, crlf):
    tok = cached_tokenizer
    folder = tmp_path_factory.mktemp("fuzz")
    data = (b"\r\n" if crlf else b"\n").join(raw for raw, _ in lines) + b"\n"
    (folder / "in").mkdir()
    (folder / "in" / "docs.jsonl").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    reader = CheckedJsonlReader(str(folder / "in"), max_chars=MAX_CHARS)
    prefix = AttachMetadataPrefix(["host"], TEMPLATE)
    writer = MecoShardWriter(str(folder / "out"), "cl100k_base")
    for _ in writer.run(prefix.run(reader.run())):
        pass

    expected = [e for _, e in lines]
    written = [e for e in expected if e[0] == "written"]
    stats = Counter()
    for step in (reader, prefix):
        stats.update({k: v.total for k, v in step.stats.stats.items()})
    skipped = Counter({k.removeprefix("skipped."): v for k, v in stats.items() if k.startswith("skipped.")})
    assert skipped == Counter(e[1] for e in expected if e[0] == "skipped")
    assert sum(skipped.values()) + len(written) == sum(e[0] != "blank" for e in expected)  # counts add up
    repaired = Counter({k.removeprefix("repaired."): v for k, v in stats.items() if k.startswith("repaired.")})
    assert repaired == Counter(r for e in expected if e[0] != "blank" for r in e[-1])
    without = Counter(
        {k.removeprefix("without_metadata."): v for k, v in stats.items() if k.startswith("without_metadata.")}
    )
    assert without == Counter(e[3] for e in written if not e[2])

    if written:
        check_documents(folder / "out", tok, written)
    else:
        assert not (folder / "out" / "cooldown").exists()
    blank_lines = sum(e[0] == "blank" for e in expected)
    FIGURES.update({"fuzzed files": 1, "fuzzed lines": len(lines), "fuzzed lines written": len(written)})
    FIGURES.update({"fuzzed blank lines": blank_lines, "fuzzed lines skipped": sum(skipped.values())})
    FIGURES.update({f"fuzzed lines skipped: {reason}": n for reason, n in skipped.items()})
    FIGURES.update({f"fuzzed lines repaired: {what}": n for what, n in repaired.items()})
    FIGURES.update({f"fuzzed documents without host: {why}": n for why, n in without.items()})


def check_documents(out, tok, written) -> None:
    """Cooldown: the text's own ids and EOS, all targets; conditioned: the expected prefix's ids first,
    masked, then the very same ids."""
    cool = ShardFile.open(out / "cooldown" / "00000.ds", np.dtype("<u4"))
    cond = ShardFile.open(out / "conditioned" / "00000.ds", np.dtype("<u4"))
    assert len(cool) == len(cond) == len(written)
    for i, (_, text, expected_prefix, _, _) in enumerate(written):
        tokens, loss = cool.document(i)
        ctokens, closs = cond.document(i)
        ids = tok.encode_batch([text])[0]
        prefix_ids = tok.encode_batch([expected_prefix])[0] if expected_prefix else []
        assert tokens.tolist() == [*ids, tok.eos_id] and tok.decode(ids) == text
        assert ctokens.tolist() == [*prefix_ids, *ids, tok.eos_id]
        assert loss.all() and closs.tolist() == [0] * len(prefix_ids) + [1] * (len(ids) + 1)
