"""bench/meco_effect.py: the synthetic corpus, the statistics, the run plan, and the smoke scale end to end."""

import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from meco.trainer.config import switch_step

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

from effect.corpus import ATTRIBUTES, RELIABLE, Corpus, CorpusConfig  # noqa: E402
from effect.plan import ARMS, SCALES, RunSpec, command_line, plan_runs  # noqa: E402
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


def fake_plans(spec):
    """(steps, switch) as the trainer would give them, with MeCo's prefixes costing 18% more steps."""
    arm = ARMS[spec.arm]
    steps = spec.steps or round(spec.budget / 1000 * (1.18 if arm.mode == "meco" else 1.0))
    return steps, switch_step(arm.mode, steps, arm.cooldown_fraction)


def test_runs_on_one_stream_train_once_and_the_others_branch_from_its_checkpoints():
    scale = SCALES["cpu"]  # budgets 125k, 250k, 500k document tokens: here 125, 250, 500 standard steps
    runs = {(r.arm, r.budget): r for r in plan_runs(scale, fake_plans) if r.seed == 3}
    assert len(runs) == 2 * 3 + 3
    # standard: its longest run is the compute control (590 steps, as many as meco's), flat until step 531
    control = runs["standard-steps", 500_000]
    assert (control.steps, control.parent, control.save_at) == (590, None, (113, 225, 450))
    for budget, flat in ((125_000, 113), (250_000, 225), (500_000, 450)):  # each branches at its decay start
        assert (runs["standard", budget].parent, runs["standard", budget].branch_step) == (control.name, flat)
    # meco: the headline run, checkpointed at every other switch, of 10% and of 25% cooldown
    top = runs["meco", 500_000]
    assert (top.parent, top.save_at) == (None, (133, 265, 442))  # 148 - 15, 295 - 30, 590 - 148
    assert [(runs[a, b].parent, runs[a, b].branch_step) for a, b in (("meco", 125_000), ("meco-cd25", 500_000))] == [
        (top.name, 133),
        (top.name, 442),
    ]
    assert (runs["mix90", 500_000].parent, runs["mix90", 500_000].save_at) == (None, ())  # a stream of its own
    ordered = plan_runs(scale, fake_plans)
    whole = [r for r in ordered if not r.parent]
    assert len(whole) == 3 * len(scale.seeds) and ordered[: len(whole)] == whole  # parents first
    assert len(ordered) == len(scale.runs()) and len({r.name for r in ordered}) == len(ordered)


def test_every_run_is_the_command_it_reports():
    from meco.trainer.cli import train_command
    from meco.trainer.config import TrainConfig

    scale = SCALES["cpu"]
    for spec in plan_runs(scale, fake_plans):
        cfg = spec.train_config(scale, "data", "runs", threads=1)
        args = command_line(cfg).split()[2:]
        assert TrainConfig(**train_command.make_context("train", args).params) == cfg  # the command is the run
        assert (cfg.schedule, cfg.decay, cfg.warmup_steps) == ("wsd", ARMS[spec.arm].cooldown_fraction or 0.1, 25)
    branch = RunSpec("standard", 1000, 2, parent="standard-steps-d1000-s2", branch_step=90)
    assert (
        branch.train_config(scale, "d", "runs", 1).branch_from
        == "runs/standard-steps-d1000-s2/checkpoints/step-0000090"
    )
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
    assert sorted((r["arm"], r["budget"], r["seed"]) for r in results["runs"]) == sorted(expected)
    runs = {f"{r['arm']}-d{r['budget']}-s{r['seed']}": r for r in results["runs"]}
    for seed in smoke.seeds:
        assert runs[f"standard-steps-d12000-s{seed}"]["steps"] == runs[f"meco-d12000-s{seed}"]["steps"]
    # per seed two streams train once (standard-steps, meco at the top budget) and mix90 whole; the rest branch
    whole = {n for n, r in runs.items() if not r["branch"]}
    assert whole == {f"{a}-d12000-s{seed}" for a in ("standard-steps", "meco", "mix90") for seed in smoke.seeds}
    for name, r in runs.items():
        if r["branch"]:
            parent, step = runs[r["branch"]["from"]], r["branch"]["step"]
            assert (
                parent["arm"] == ("standard-steps" if r["arm"] == "standard" else "meco")
                and parent["seed"] == r["seed"]
            )
            flat = r["steps"] - round(0.25 * r["steps"] if r["arm"] == "meco-cd25" else 0.1 * r["steps"])
            assert step == flat and step == (r["switch_step"] or step)  # at its own switch and decay start
            records = (out / "runs" / name / "metrics.jsonl").read_text().splitlines()
            before = (out / "runs" / r["branch"]["from"] / "metrics.jsonl").read_text().splitlines()[:step]
            assert records[:step] == before and len(records) == r["steps"]  # the parent's steps, then its own
    # a branch is the whole run it replaces: its reported command without --branch-from trains the same steps
    branched = runs["meco-d6000-s0"]
    args = branched["command"].split()[2:]
    at = args.index("--branch-from")
    whole = tmp_path / "whole"
    args[args.index("--out") + 1] = str(whole)
    subprocess.run(
        [sys.executable, "-m", "meco.cli", "train", *args[:at], *args[at + 2 :]],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},  # this checkout's meco
    )

    def steps(run: Path) -> list:
        return [(r["step"], r["loss"], r["lr"], r["phase"]) for r in map(json.loads, open(run / "metrics.jsonl"))]

    assert steps(whole) == steps(out / "runs" / "meco-d6000-s0") and len(steps(whole)) == branched["steps"]
    cpu = results["summary"]["cpu"]
    assert cpu["branches"] == 8 and cpu["whole_runs_train_cpu_s"] > cpu["train_cpu_s"]
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

    # a branch cut before its first checkpoint starts again from its parent's, to the same result
    cut = out / "runs" / "standard-d6000-s0"
    before = json.loads((cut / "result.json").read_text())
    shutil.rmtree(cut)
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    after = json.loads((cut / "result.json").read_text())
    assert {k: v for k, v in after.items() if not k.endswith("_s")} == {
        k: v for k, v in before.items() if not k.endswith("_s")
    }
    shutil.rmtree(out / "runs")
