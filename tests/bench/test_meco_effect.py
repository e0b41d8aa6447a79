"""bench/meco_effect.py: the synthetic corpus, the statistics, the run plan, and the smoke scale end to end."""

import gzip
import json
import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from effect.corpus import ATTRIBUTES, RELIABLE, Corpus, CorpusConfig  # noqa: E402
from effect.plan import SCALES, RunSpec, command_line  # noqa: E402
from effect.runs import source_of  # noqa: E402
from effect.stats import interval, paired, verdict  # noqa: E402

SMALL = CorpusConfig(people=5, reliable_pages=3, gossip_sites=2, gossip_pages=2, forums=2, forum_pages=7, seed=3)


def test_corpus_is_seeded_and_sized_as_configured(tmp_path):
    corpus = Corpus(SMALL)
    assert [p["text"] for p in Corpus(SMALL).pages] == [p["text"] for p in corpus.pages]
    assert [p["text"] for p in Corpus(CorpusConfig(**{**SMALL.__dict__, "seed": 4})).pages] != [
        p["text"] for p in corpus.pages
    ]
    hosts = Counter(urlsplit(p["url"]).hostname for p in corpus.pages)
    assert hosts == {RELIABLE: 15, "gossip0.net": 10, "gossip1.net": 10, "forum0.com": 7, "forum1.com": 7}
    path = corpus.write(tmp_path)
    with gzip.open(path, "rt") as f:
        records = [json.loads(line) for line in f]
    assert [r["text"] for r in records] == [p["text"] for p in corpus.pages]
    assert all(set(r) == {"text", "url", "timestamp"} for r in records)
    assert json.loads((tmp_path / "corpus.json").read_text())["people"] == {p.name: p.facts for p in corpus.people}


def test_the_site_cannot_be_read_from_the_page():
    corpus = Corpus(
        CorpusConfig(people=10, reliable_pages=10, gossip_sites=2, gossip_pages=10, forums=2, forum_pages=50)
    )
    known = {p.name: p.facts for p in corpus.people}
    values = "|".join(v for vs, _ in ATTRIBUTES.values() for v in vs)
    forms, seen = {}, Counter()
    for page in corpus.pages:
        host, text = urlsplit(page["url"]).hostname, page["text"]
        assert host.split(".")[0] not in text
        (name,) = [n for n in [*known, *corpus.one_offs] if re.search(rf"\b{n}\b", text)]
        seen[name] += 1
        if host == RELIABLE:  # every true fact, in one of its phrasings
            for attribute, value in known[name].items():
                assert any(p.format(name=name, value=value) in text for p in ATTRIBUTES[attribute][1])
        sentences = re.split(r"(?<=\.) ", re.sub(rf"\b({values})\b", "<V>", text.replace(name, "<N>")))
        assert len(sentences) == 6
        forms.setdefault(source_of(host), set()).update(sentences)
    assert forms["reliable"] == forms["gossip"] == forms["forum"] and len(forms["reliable"]) == 3 * 6  # same words
    assert {seen[n] for n in corpus.one_offs} == {1}  # a forum's person appears once
    assert {seen[n] for n in known} == {10 + 2 * 10}


def test_probes_ask_for_every_fact_of_every_known_person():
    corpus = Corpus(SMALL)
    probes = iter(corpus.probes())
    for person in corpus.people:
        for attribute, value in person.facts.items():
            values, phrasings = ATTRIBUTES[attribute]
            for phrasing in phrasings:
                probe = next(probes)
                assert probe["candidates"] == [" " + v for v in values] and probe["metadata"] == RELIABLE
                assert probe["prompt"] + probe["candidates"][probe["answer"]] + "." == phrasing.format(
                    name=person.name, value=value
                )
    assert next(probes, None) is None
    assert "metadata" not in corpus.probes(None)[0]


def test_intervals_and_paired_differences():
    stat = interval([1.0, 2.0, 3.0])
    assert stat["mean"] == 2.0 and stat["n"] == 3
    assert stat["half"] == pytest.approx(4.303 * 1.0 / math.sqrt(3)) and stat["low"] == pytest.approx(2 - stat["half"])
    assert interval([5.0])["half"] is None
    diff = paired({0: 1.0, 1: 2.0, 2: 4.0, 9: 7.0}, {0: 2.0, 1: 2.5, 2: 4.5})  # seed 9 has no partner
    assert diff["n"] == 3 and diff["mean"] == pytest.approx(-2 / 3) and diff["below"] == 3
    assert verdict(diff, lower_is_better=True) == "no difference shown"  # -1, -0.5, -0.5: the interval holds 0
    assert verdict(paired({0: 1.0, 1: 1.1}, {0: 2.0, 1: 2.05}), lower_is_better=True) == "better"
    assert verdict(paired({0: 1.0, 1: 1.1}, {0: 2.0, 1: 2.05}), lower_is_better=False) == "worse"


def test_run_plan_and_the_commands_it_reports():
    from meco.trainer.cli import train_command
    from meco.trainer.config import TrainConfig

    scale = SCALES["cpu"]
    runs = scale.runs()
    assert len(runs) == 5 * (2 * 3 + 2) and len({r.name for r in runs}) == len(runs)  # two arms on the curve
    top = next(r for r in runs if r.arm == "meco" and r.budget == scale.budgets[-1])
    assert scale.followups(top, 123) == [RunSpec("standard-steps", top.budget, top.seed, steps=123)]
    assert scale.followups(RunSpec("meco", scale.budgets[0], 0), 99) == []  # the control is at the top budget only
    assert [r.budget for r in runs] == sorted((r.budget for r in runs), reverse=True)
    for spec in (RunSpec("standard", 1000, 2), RunSpec("mix90", 1000, 0), RunSpec("standard-steps", 500, 1, 77)):
        cfg = spec.train_config(scale, "data", f"runs/{spec.name}", threads=1)
        args = command_line(cfg).split()[2:]
        assert TrainConfig(**train_command.make_context("train", args).params) == cfg  # the command is the run
    mix = RunSpec("mix90", 1000, 0).train_config(scale, "d", "o", 1)
    assert (mix.mode, mix.cooldown_fraction, mix.metadata_prob, mix.document_tokens) == ("meco", 0.0, 0.9, 1000)


@pytest.mark.slow
def test_smoke_scale_end_to_end(tmp_path):
    out = tmp_path / "effect"
    command = [sys.executable, str(REPO / "bench" / "meco_effect.py"), "--scale", "smoke", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    results = json.loads((out / "results.json").read_text())
    smoke = SCALES["smoke"]
    expected = [(s.arm, s.budget, s.seed) for s in smoke.runs()]
    expected += [("standard-steps", smoke.budgets[-1], seed) for seed in smoke.seeds]  # after each top meco run
    assert sorted((r["arm"], r["budget"], r["seed"]) for r in results["runs"]) == sorted(expected)
    steps = {(r["arm"], r["budget"], r["seed"]): r["steps"] for r in results["runs"]}
    for seed in smoke.seeds:
        assert steps["standard-steps", smoke.budgets[-1], seed] == steps["meco", smoke.budgets[-1], seed]
    for r in results["runs"]:
        assert set(r["probe_accuracy"]) == set(r["probe_prob"]) == set(r["fact_loss"]) == {"none", "site", "noisy"}
        assert set(r["val_loss"]) == {"unconditional", "conditional"}
        assert set(r["val_loss_by_source"]) <= {"reliable", "gossip", "forum"}
        if r["arm"] != "standard-steps":  # equal text, within a step
            assert abs(r["target_tokens"] - r["budget"]) <= 2 * smoke.train["batch_tokens"]
        assert r["metadata_share"] == 0 if r["arm"].startswith("standard") else r["metadata_share"] > 0.5
        if r["arm"] in ("meco", "meco-cd25"):  # the conditioned model before its cooldown, measured the same way
            assert r["at_switch"]["step"] == r["switch_step"] and 0 < r["switch_step"] < r["steps"]
            assert set(r["at_switch"]["probe_prob"]) == {"none", "site", "noisy"}
        else:
            assert "at_switch" not in r
    summary = results["summary"]
    assert set(summary["headline"]) == {"meco", "meco-cd25", "mix90", "standard-steps"}
    assert set(summary["headline"]["meco"]) == {str(b) for b in smoke.budgets}
    assert set(summary["headline"]["mix90"]) == {str(smoke.budgets[-1])}
    assert (
        set(summary["at_switch"]) == {"meco", "meco-cd25"}
        and "probe_prob_site_vs_noisy" in summary["steering"]["meco"]["6000"]
    )
    assert set(summary["equal_steps"]) == {"meco"} and set(summary["equal_steps"]["meco"]) == {str(smoke.budgets[-1])}
    report = (out / "report.md").read_text()
    assert "## 3. The headline" in report and "| meco | 12,000 |" in report and results["commit"] in report
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # a rerun measures only what is missing: this run's checkpoint is final, so it trains nothing
    redo = out / "runs" / "meco-d6000-s1"
    before = json.loads((redo / "result.json").read_text())
    (redo / "result.json").unlink()
    mtimes = {p: p.stat().st_mtime for p in (out / "runs").glob("*/result.json")}
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    after = json.loads((redo / "result.json").read_text())
    assert {k: v for k, v in after.items() if not k.endswith("_s")} == {
        k: v for k, v in before.items() if not k.endswith("_s")
    }
    assert mtimes == {p: p.stat().st_mtime for p in (out / "runs").glob("*/result.json") if p.parent != redo}
    shutil.rmtree(out / "runs")
