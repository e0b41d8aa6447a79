"""From the runs' results to the three measures, most robust first, each with its 95% interval over seeds:

1. held-out loss with each page's own metadata minus without (per arm): does the model use the metadata?
2. steering: fact-probe accuracy and probability with the reliable site's prefix, and with a gossip site's,
   minus with none (per arm; the standard model never saw a prefix, so it should not move);
3. the headline: at equal document tokens, each MeCo arm minus standard on the unconditional fact probe
   (accuracy, and loss of the true fact's tokens) and on held-out loss without metadata, per budget, paired
   by seed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .plan import ARMS
from .stats import interval, paired, verdict

HEADLINE = {  # metric -> (the run's value without metadata, lower is better)
    "probe_accuracy": (lambda r: r["probe_accuracy"]["none"], False),
    "fact_loss": (lambda r: r["fact_loss"]["none"], True),
    "val_loss": (lambda r: r["val_loss"]["unconditional"], True),
}


def by_seed(results: list[dict], arm: str, budget: int, value) -> dict[int, float]:
    return {r["seed"]: value(r) for r in results if r["arm"] == arm and r["budget"] == budget}


def has(results: list[dict], arm: str, budget: int) -> bool:
    return any(r["arm"] == arm and r["budget"] == budget for r in results)


def compare(results: list[dict], arm: str, other: str, budget: int) -> dict:
    """`arm` minus `other` on the headline metrics, paired by seed, each with its verdict."""
    out = {}
    for metric, (value, lower_is_better) in HEADLINE.items():
        stat = paired(by_seed(results, arm, budget, value), by_seed(results, other, budget, value))
        out[metric] = stat | {"verdict": verdict(stat, lower_is_better)}
    return out


STEERING = {"site": ("site", "none"), "noisy": ("noisy", "none"), "site_vs_noisy": ("site", "noisy")}


def steering(runs: list[dict], view) -> dict:
    """Probe accuracy and probability under one prefix minus another, paired by seed: `site` and `noisy` against
    no prefix, and `site_vs_noisy` (both prefixed, so an unfamiliar prefix alone does not count)."""
    return {
        f"{metric}_{name}": paired(
            {r["seed"]: view(r)[metric][a] for r in runs}, {r["seed"]: view(r)[metric][b] for r in runs}
        )
        for metric in ("probe_accuracy", "probe_prob")
        for name, (a, b) in STEERING.items()
    }


def cpu_cost(results: list[dict]) -> dict:
    """CPU seconds of training and evaluation, and what training whole runs instead of branches would have cost:
    each branch's steps before its branch point at its parent's CPU seconds per step."""
    by_name = {f"{r['arm']}-d{r['budget']}-s{r['seed']}": r for r in results}

    def per_step(name: str) -> float:
        return by_name[name]["train_cpu_s"] / by_name[name]["steps"]

    train = sum(r["train_cpu_s"] for r in results)
    shared = sum(r["branch"]["step"] * per_step(r["branch"]["from"]) for r in results if r.get("branch"))
    return {
        "train_cpu_s": train,
        "eval_cpu_s": sum(r["eval_cpu_s"] for r in results),
        "whole_runs_train_cpu_s": train + shared,
        "branches": sum(1 for r in results if r.get("branch")),
    }


def summarize(results: list[dict], arms: list[str], budgets: list[int]) -> dict:
    """Every interval the report shows, keyed by arm and budget (budgets as strings, JSON keys)."""
    summary = {"means": {}, "metadata_gain": {}, "steering": {}, "at_switch": {}, "headline": {}, "equal_steps": {}}
    for arm in arms:
        for budget in budgets:
            runs = [r for r in results if r["arm"] == arm and r["budget"] == budget]
            if not runs:
                continue
            key = str(budget)
            summary["means"].setdefault(arm, {})[key] = {
                metric: {c: interval([r[metric][c] for r in runs]) for c in runs[0][metric]}
                for metric in ("val_loss", "probe_accuracy", "probe_prob", "fact_loss")
            } | {
                "steps": interval([r["steps"] for r in runs]),
                "target_tokens": interval([r["target_tokens"] for r in runs]),
            }
            summary["metadata_gain"].setdefault(arm, {})[key] = paired(
                by_seed(results, arm, budget, lambda r: r["val_loss"]["conditional"]),
                by_seed(results, arm, budget, lambda r: r["val_loss"]["unconditional"]),
            )
            summary["steering"].setdefault(arm, {})[key] = steering(runs, lambda r: r)
            switched = [r for r in runs if "at_switch" in r]
            if switched:
                summary["at_switch"].setdefault(arm, {})[key] = {
                    metric: {
                        c: interval([r["at_switch"][metric][c] for r in switched]) for c in ("none", "site", "noisy")
                    }
                    for metric in ("probe_accuracy", "probe_prob")
                } | steering(switched, lambda r: r["at_switch"])
            if arm != "standard" and has(results, "standard", budget):
                summary["headline"].setdefault(arm, {})[key] = compare(results, arm, "standard", budget)
            for control in (c for c in arms if ARMS[c].matches == arm and has(results, c, budget)):
                summary["equal_steps"].setdefault(arm, {})[key] = compare(results, arm, control, budget)
    summary["cpu"] = cpu_cost(results)
    return summary


def fmt(stat: dict, digits: int = 3) -> str:
    if stat["half"] is None:
        return f"{stat['mean']:+.{digits}f}"
    return f"{stat['mean']:+.{digits}f} [{stat['low']:+.{digits}f}, {stat['high']:+.{digits}f}]"


def mean(stat: dict, digits: int = 3) -> str:
    return f"{stat['mean']:.{digits}f}" + (f" ± {stat['half']:.{digits}f}" if stat["half"] is not None else "")


def steering_table(rows: dict[str, tuple[dict, dict]]) -> list[str]:
    """Markdown rows: per arm (means, steering intervals)."""
    lines = [
        "| arm | accuracy: none | site | noisy | probability: none | site | noisy | site - none (prob.) | "
        "site - noisy (prob.) | site - noisy (acc.) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for arm, (means, st) in rows.items():
        a, p = means["probe_accuracy"], means["probe_prob"]
        lines.append(
            f"| {arm} | {mean(a['none'])} | {mean(a['site'])} | {mean(a['noisy'])} | {mean(p['none'])} | "
            f"{mean(p['site'])} | {mean(p['noisy'])} | {fmt(st['probe_prob_site'])} | "
            f"{fmt(st['probe_prob_site_vs_noisy'])} | {fmt(st['probe_accuracy_site_vs_noisy'])} |"
        )
    return lines


def report_markdown(results: dict) -> str:
    s, top = results["summary"], str(results["budgets"][-1])
    n, cpu = len(results["seeds"]), cpu_cost(results["runs"])
    lines = [
        f"# MeCo effect, scale `{results['scale']}`",
        "",
        f"Commit `{results['commit']}`, {results['machine']}; {results['started']}; {results['wall_s'] / 60:.1f} "
        f"minutes for {len(results['runs'])} runs, {results['jobs']} at once, {results['threads']} thread(s) each; "
        f"training took {cpu['train_cpu_s'] / 60:.1f} CPU-minutes in all ({cpu['branches']} runs branched from "
        f"another's checkpoint; whole runs would have taken about {cpu['whole_runs_train_cpu_s'] / 60:.1f}), "
        f"evaluation {cpu['eval_cpu_s'] / 60:.1f}. {results['note']}"
        + (
            f" Measures recomputed at commit `{results['remeasured']['commit']}` ({results['remeasured']['started']}, "
            f"`--remeasure`), the training as recorded."
            if "remeasured" in results
            else ""
        ),
        "",
        f"Corpus: {results['corpus']['people']} people x {results['corpus']['attributes']} attributes; "
        f"{results['documents']['train']:,} training and {results['documents']['val']:,} held-out pages "
        f"(reliable site, {results['corpus']['gossip_sites']} gossip sites, {results['corpus']['forums']} forums); "
        f"{results['probes']} fact probes. Model: {results['model']}. Budgets in document tokens: "
        f"{', '.join(f'{b:,}' for b in results['budgets'])}. Seeds: {n}. Intervals: 95%, Student's t over seeds; "
        "differences are paired by seed.",
        "",
        f"## 1. Does the model use the metadata? Held-out loss, budget {int(top):,}",
        "",
        "| arm | without metadata | with its own metadata | difference | seeds lower |",
        "|---|---:|---:|---:|---:|",
    ]
    for arm, per_budget in s["metadata_gain"].items():
        if top in per_budget:
            m, g = s["means"][arm][top]["val_loss"], per_budget[top]
            lines.append(
                f"| {arm} | {mean(m['unconditional'])} | {mean(m['conditional'])} | {fmt(g)} | {g['below']}/{g['n']} |"
            )
    lines += [
        "",
        f"## 2. Does a URL steer it? Fact probes, budget {int(top):,}",
        "",
        "Accuracy (the true value scores highest of all the attribute's values) and the true value's probability "
        "among them, with no prefix, the reliable site's and a gossip site's; then paired differences. `site - noisy` "
        "compares two prefixed inputs, so a prefix the model never saw in training (the standard arms) does not count.",
        "",
        *steering_table({a: (s["means"][a][top], st[top]) for a, st in s["steering"].items() if top in st}),
    ]
    at_switch = {a: (st[top], st[top]) for a, st in s["at_switch"].items() if top in st}
    if at_switch:
        lines += [
            "",
            "The same runs at their switch checkpoint, before the cooldown (a conditioned model, to which text without "
            "a prefix is new):",
            "",
            *steering_table(at_switch),
        ]
    lines += [
        "",
        "## 3. The headline: MeCo minus standard at equal document tokens, no metadata at test time",
        "",
        "Each arm minus standard, paired by seed (the `standard-steps` row: what the extra steps alone give). "
        "Negative loss and positive accuracy differences favour the arm. A verdict needs the whole interval on one side "
        "of zero. At equal document tokens an arm with prefixes takes more steps (it also trains on the prefixes' "
        "positions, untrained but computed), so its compute is the standard arm's times the steps ratio.",
        "",
        "| arm | budget | steps / standard's | probe accuracy | fact loss | held-out loss | verdict (fact loss) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for arm, per_budget in s["headline"].items():
        for budget, h in per_budget.items():
            steps = s["means"][arm][budget]["steps"]["mean"] / s["means"]["standard"][budget]["steps"]["mean"]
            lines.append(
                f"| {arm} | {int(budget):,} | {steps:.2f} | {fmt(h['probe_accuracy'])} | {fmt(h['fact_loss'])} | "
                f"{fmt(h['val_loss'])} | {h['fact_loss']['verdict']} |"
            )
    if s["equal_steps"]:
        lines += [
            "",
            "At equal steps instead (the control trains the standard arm for as many steps as the MeCo run of the "
            "same seed, so it reads more text):",
            "",
            "| arm | budget | probe accuracy | fact loss | held-out loss | verdict (fact loss) |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for arm, per_budget in s["equal_steps"].items():
            for budget, h in per_budget.items():
                lines.append(
                    f"| {arm} - standard-steps | {int(budget):,} | {fmt(h['probe_accuracy'])} | {fmt(h['fact_loss'])} | "
                    f"{fmt(h['val_loss'])} | {h['fact_loss']['verdict']} |"
                )
    lines += [
        "",
        "## Runs",
        "",
        "One command per arm (seed 0, the largest budget of the arm). `--seed` varies, and with it the steps of "
        "`--save-at` and `--branch-from` (a document-token budget's steps depend on the seed's document order). A run "
        "with `--branch-from` starts from that checkpoint of its family's longest run, exactly as a whole run would "
        "be there (every run is flat and on the same stream up to its own switch):",
        "",
    ]
    for arm in results["arms"]:
        runs = [r for r in results["runs"] if r["arm"] == arm]
        if runs:
            last = max(runs, key=lambda r: (r["budget"], -r["seed"]))
            lines.append(f"- {ARMS[arm].label}: `{last['command']}`")
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    """Unconditional fact loss per arm over budgets; each MeCo arm minus standard; steering at the largest budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, budgets, top = results["summary"], results["budgets"], str(results["budgets"][-1])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for arm, per_budget in s["means"].items():
        xs = [b for b in budgets if str(b) in per_budget]
        stats = [per_budget[str(b)]["fact_loss"]["none"] for b in xs]
        ax.errorbar(
            xs, [t["mean"] for t in stats], yerr=[t["half"] or 0 for t in stats], marker="o", capsize=3, label=arm
        )
    ax.set(xscale="log", xlabel="document tokens", ylabel="fact loss, no prefix (nats/token)", title="Fact loss")
    ax.legend()
    ax = axes[1]
    ax.axhline(0, color="gray", lw=0.8)
    for arm, per_budget in s["headline"].items():
        xs = [b for b in budgets if str(b) in per_budget]
        stats = [per_budget[str(b)]["fact_loss"] for b in xs]
        ax.errorbar(
            xs, [t["mean"] for t in stats], yerr=[t["half"] or 0 for t in stats], marker="o", capsize=3, label=arm
        )
    ax.set(
        xscale="log",
        xlabel="document tokens",
        ylabel="arm - standard (nats/token)",
        title="Headline: fact loss vs standard",
    )
    ax.legend()
    ax = axes[2]
    arms = [a for a in s["means"] if top in s["means"][a]]
    width = 0.25
    for k, prefix in enumerate(("none", "site", "noisy")):
        stats = [s["means"][a][top]["probe_accuracy"][prefix] for a in arms]
        ax.bar(
            [i + (k - 1) * width for i in range(len(arms))],
            [t["mean"] for t in stats],
            width,
            yerr=[t["half"] or 0 for t in stats],
            capsize=2,
            label=prefix,
        )
    ax.set_xticks(range(len(arms)), arms)
    ax.set(ylabel="fact probe accuracy", title=f"Steering at {int(top):,} tokens", ylim=(0, 1))
    ax.legend(title="prefix")
    fig.suptitle(f"MeCo effect ({results['scale']}, {len(results['seeds'])} seeds, 95% intervals)")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def write_outputs(results: dict, out: Path) -> None:
    """results.json, report.md and curves.png, each under a temporary name first."""
    for name, write in (
        ("results.json", lambda p: p.write_text(json.dumps(results, indent=1) + "\n")),
        ("report.md", lambda p: p.write_text(report_markdown(results))),
        ("curves.png", lambda p: plot(results, p)),
    ):
        partial = out / f".{name}.partial"
        write(partial)
        partial.rename(out / name)
