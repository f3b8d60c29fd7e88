"""Turn a study's JSON lines into markdown tables and PNG plots.

    python -m benchmarks.report --study fashion_mnist_fast_cpu

writes ``benchmarks/results/<study>/report.md`` and
``benchmarks/results/<study>/<dataset>.png`` (a ``NOTE.md`` in the study
folder, if any, is copied to the top of the report):

- accuracy per cycle: mean ± sample std over trials (n = trials);
- difference to Random per cycle, in percentage points: trials are paired
  (a trial's methods share the seed, the initial labels and the learner's
  initial weights), so the interval is the 95% Student-t interval of the
  mean paired difference, ``mean ± t(0.975, n-1) * sd / sqrt(n)``;
- mean seconds per cycle (training, features, selection).

Rows with other settings (``config``) than the study's majority are reported
in their own section, never mixed.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .results_io import load_study

RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: Display order and names of the methods.
METHOD_ORDER = ["random", "coreset", "uncertain_gcn", "core_gcn", "entropy", "margin", "least_confidence",
                "uncertain_gat", "core_gat", "uncertain_transformer", "core_transformer", "featprop",
                "probcover", "typiclust", "learning_loss", "bald", "mc_entropy", "jls", "tjls", "vaal",
                "ta_vaal", "typical_diverse"]
METHOD_NAMES = {
    "typical_diverse": "TypicalDiverse (recommended)",
    "random": "Random",
    "coreset": "CoreSet",
    "uncertain_gcn": "UncertainGCN",
    "core_gcn": "CoreGCN",
    "entropy": "Entropy",
    "margin": "Margin",
    "least_confidence": "Least confidence",
    "uncertain_gat": "UncertainGAT",
    "core_gat": "CoreGAT",
    "uncertain_transformer": "UncertainTransformer",
    "core_transformer": "CoreTransformer",
    "featprop": "FeatProp",
    "probcover": "ProbCover",
    "typiclust": "TypiClust",
    "learning_loss": "Learning Loss",
    "bald": "BALD",
    "mc_entropy": "MC entropy",
    "jls": "JLS",
    "tjls": "TJLS",
    "vaal": "VAAL",
    "ta_vaal": "TA-VAAL",
    "badge": "BADGE",
    "cluster_margin": "Cluster-Margin",
}

__all__ = ["t_critical", "mean_ci", "paired_p_value", "holm_adjusted", "summarise", "paired_differences", "render_markdown", "plot", "main"]


def t_critical(df: int, level: float = 0.95) -> float:
    """Two-sided Student-t critical value (scipy when available, else a table for level 0.95)."""
    if df < 1:
        return float("nan")
    try:
        from scipy.stats import t

        return float(t.ppf(0.5 + level / 2, df))
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn
        if level != 0.95:
            raise
        table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
        return table[df - 1] if df <= len(table) else 1.96 + 2.4 / df


def mean_ci(values: Sequence[float], level: float = 0.95) -> Tuple[float, float, int]:
    """``(mean, half-width, n)`` of a Student-t interval; half-width is NaN for n < 2."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), 0
    if n == 1:
        return float(v[0]), float("nan"), 1
    return float(v.mean()), t_critical(n - 1, level) * float(v.std(ddof=1)) / math.sqrt(n), n


def paired_p_value(values: Sequence[float]) -> float:
    r"""Two-sided p of the paired t-test that the differences ``values`` have
    mean 0, :math:`2\,P(T_{n-1} > |\bar d| \sqrt n / s)`: 1 when every
    difference is 0, 0 when they are equal and not 0; NaN for n < 2."""
    from scipy.stats import t

    v = np.asarray(values, dtype=np.float64)
    if len(v) < 2:
        return float("nan")
    sd = float(v.std(ddof=1))
    if sd == 0.0:
        return 1.0 if float(v.mean()) == 0.0 else 0.0
    return float(2.0 * t.sf(abs(float(v.mean())) * math.sqrt(len(v)) / sd, len(v) - 1))


def holm_adjusted(p_values: Sequence[float]) -> List[float]:
    r"""Holm's step-down adjusted p-values of a family of :math:`m` tests, in
    the input's order: with :math:`p_{(1)} \le \dots \le p_{(m)}`,
    :math:`\tilde p_{(i)} = \max_{j \le i} \min(1, (m - j + 1)\, p_{(j)})`;
    a test whose :math:`\tilde p \le \alpha` is significant with the chance
    of any false one in the family at most :math:`\alpha`."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _order(methods: Iterable[str]) -> List[str]:
    methods = set(methods)
    return [m for m in METHOD_ORDER if m in methods] + sorted(methods - set(METHOD_ORDER))


def _learner_overrides() -> Dict[str, Dict]:
    from .task_aware import LEARNER_OVERRIDES

    return LEARNER_OVERRIDES


@lru_cache(maxsize=1)
def _overridden_fields() -> frozenset:
    return frozenset(f for fields in _learner_overrides().values() for f in fields)


def _config_key(row: Dict) -> str:
    """Rows with equal keys form one table. Training fields that a method's
    paper sets for it (:data:`~benchmarks.task_aware.LEARNER_OVERRIDES`) are
    left out, so such a method stays beside the others; the table says so."""
    overridden = _overridden_fields()
    config = dict(row.get("config") or {})
    config["train"] = {k: v for k, v in (config.get("train") or {}).items() if k not in overridden}
    return json.dumps({"dataset": row["dataset"], "profile": row["profile"], "config": config}, sort_keys=True)


def summarise(rows: List[Dict]) -> Dict:
    """Group rows: ``{(method, labelled): {trial: accuracy}}`` plus time and meta data."""
    acc: Dict[Tuple[str, int], Dict[int, float]] = defaultdict(dict)
    times: Dict[str, Dict[str, List[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        key = (r["method"], int(r["labelled"]))
        if r["trial"] in acc[key]:
            raise ValueError(f"duplicate row for {r['dataset']} {r['method']} trial {r['trial']} cycle {r['cycle']}")
        acc[key][int(r["trial"])] = float(r["accuracy"])
        for k in ("train_time_s", "feature_time_s", "selection_time_s", "eval_time_s"):
            if r.get(k) is not None:
                times[r["method"]][k].append(float(r[k]))
    methods = _order({m for m, _ in acc})
    labelled = sorted({n for _, n in acc})
    return {"acc": acc, "times": times, "methods": methods, "labelled": labelled}


def paired_differences(summary: Dict, method: str, labelled: int, baseline: str = "random") -> List[float]:
    """Accuracy of ``method`` minus ``baseline``, per trial both have, in percentage points."""
    a = summary["acc"].get((method, labelled), {})
    b = summary["acc"].get((baseline, labelled), {})
    return [100.0 * (a[t] - b[t]) for t in sorted(set(a) & set(b))]


def _fmt_mean_std(values: Sequence[float]) -> str:
    if not values:
        return ""
    v = 100.0 * np.asarray(values)
    if len(v) == 1:
        return f"{v[0]:.1f} (n=1)"
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f} (n={len(v)})"


def _fmt_diff(diffs: Sequence[float]) -> str:
    if not diffs:
        return ""
    m, h, n = mean_ci(diffs)
    if n < 2:
        return f"{m:+.1f} (n=1)"
    mark = " *" if (m - h > 0 or m + h < 0) else ""
    return f"{m:+.1f} [{m - h:+.1f}, {m + h:+.1f}]{mark}"


def render_markdown(rows: List[Dict], title: str, image: Optional[str] = None) -> str:
    """Markdown for one group of rows (one dataset, profile and config)."""
    s = summarise(rows)
    methods, labelled = s["methods"], s["labelled"]
    overrides = _learner_overrides()
    first = next((r for r in rows if r["method"] not in overrides), rows[0])
    cfg = first.get("config", {})
    train = cfg.get("train", {})
    trials = sorted({int(r["trial"]) for r in rows})
    devices = sorted({r.get("device", "?") for r in rows})
    commits = sorted({r.get("commit", "?") for r in rows})
    dates = sorted(r.get("date", "") for r in rows)
    out = [f"## {title}", ""]
    out.append(
        f"Dataset **{first.get('dataset_label', first['dataset'])}**, profile `{first['profile']}`, learner "
        f"`{cfg.get('learner', first.get('learner'))}`, {train.get('epochs')} epochs ({train.get('schedule')} schedule, "
        f"lr {train.get('lr')}, batch {train.get('batch_size')}, augmentation {'on' if train.get('augment') else 'off'}), "
        f"{cfg.get('initial')} initial labels + {cfg.get('budget')} per cycle, {cfg.get('subset')} unlabelled items "
        f"scored per cycle; trials (seeds) {trials}."
    )
    own = sorted({r["method"] for r in rows} & set(overrides))
    if own:
        out.append("Per-method learner settings (from their papers): " + "; ".join(
            f"{METHOD_NAMES.get(m, m)} " + ", ".join(f"{k} {v}" for k, v in overrides[m].items())
            for m in own) + ".")
    out.append(f"Device: {', '.join(devices)}. Commits: {', '.join(c[:12] + ('+dirty' if c.endswith('+dirty') else '') for c in commits)}. "
               f"Run {dates[0][:16]} to {dates[-1][:16]} UTC.")
    out.append("")
    out.append("### Test accuracy (%), mean ± std over trials")
    out.append("")
    names = [METHOD_NAMES.get(m, m) for m in methods]
    out.append("| labelled | " + " | ".join(names) + " |")
    out.append("| --- |" + " --- |" * len(methods))
    for n in labelled:
        cells = [_fmt_mean_std(list(s["acc"].get((m, n), {}).values())) for m in methods]
        out.append(f"| {n:,} | " + " | ".join(cells) + " |")
    out.append("")
    if "random" in methods and len(methods) > 1:
        others = [m for m in methods if m != "random"]
        out.append("### Difference to Random (percentage points), mean [95% t-interval] over paired trials")
        out.append("")
        out.append("`*`: the interval excludes 0.")
        out.append("")
        out.append("| labelled | " + " | ".join(METHOD_NAMES.get(m, m) for m in others) + " |")
        out.append("| --- |" + " --- |" * len(others))
        for n in labelled:
            out.append(f"| {n:,} | " + " | ".join(_fmt_diff(paired_differences(s, m, n)) for m in others) + " |")
        out.append("")
    out.append("### Seconds per cycle (mean over cycles and trials)")
    out.append("")
    out.append("| method | train learner | test | features | gcnal.select |")
    out.append("| --- | --- | --- | --- | --- |")
    for m in methods:
        t = s["times"][m]
        cell = lambda k: f"{np.mean(t[k]):.1f}" if t.get(k) else ""  # noqa: E731
        sel = f"{np.mean(t['selection_time_s']):.2f}" if t.get("selection_time_s") else ""
        out.append(f"| {METHOD_NAMES.get(m, m)} | {cell('train_time_s')} | {cell('eval_time_s')} | {cell('feature_time_s')} | {sel} |")
    out.append("")
    if image:
        out.append(f"![accuracy against labelled images]({image})")
        out.append("")
    return "\n".join(out)


def _colour(method: str) -> str:
    """The same colour for a method in every plot (one of tab20's, by its place in
    :data:`METHOD_ORDER`; unknown methods share the last ones); the recommended
    method is black."""
    import matplotlib

    if method == "typical_diverse":
        return "black"
    index = METHOD_ORDER.index(method) if method in METHOD_ORDER else 18 + sum(map(ord, method)) % 2
    return matplotlib.colormaps["tab20"](index % 20)


def plot(rows: List[Dict], path: Path, title: str) -> None:
    """Accuracy (mean ± std band) and difference to Random (95% interval band) against labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = summarise(rows)
    has_random = "random" in s["methods"]
    many = len(s["methods"]) > 8  # then one legend, outside, and fainter bands
    width = (11 if has_random else 6) + (3 if many else 0)
    fig, axes = plt.subplots(1, 2 if has_random else 1, figsize=(width, 4.5 if many else 4), squeeze=False)
    band = 0.06 if many else 0.12
    ax = axes[0, 0]
    for m in s["methods"]:
        xs, mu, sd = [], [], []
        for n in s["labelled"]:
            v = list(s["acc"].get((m, n), {}).values())
            if v:
                xs.append(n)
                mu.append(100 * np.mean(v))
                sd.append(100 * np.std(v, ddof=1) if len(v) > 1 else 0.0)
        mu, sd = np.asarray(mu), np.asarray(sd)
        ax.plot(xs, mu, marker="o", color=_colour(m), label=METHOD_NAMES.get(m, m))
        ax.fill_between(xs, mu - sd, mu + sd, color=_colour(m), alpha=band)
    ax.set_xlabel("labelled images")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if not (many and has_random):
        ax.legend(fontsize=8)
    if has_random:
        ax = axes[0, 1]
        ax.axhline(0, color="k", lw=0.8)
        for m in s["methods"]:
            if m == "random":
                continue
            xs, mu, hw = [], [], []
            for n in s["labelled"]:
                d = paired_differences(s, m, n)
                if d:
                    mm, h, _ = mean_ci(d)
                    xs.append(n)
                    mu.append(mm)
                    # an interval from fewer than 3 trials is too wide to draw
                    hw.append(h if len(d) >= 3 else float("nan"))
            mu, hw = np.asarray(mu), np.asarray(hw)
            ax.plot(xs, mu, marker="o", color=_colour(m), label=METHOD_NAMES.get(m, m))
            ax.fill_between(xs, mu - hw, mu + hw, color=_colour(m), alpha=band)
        ax.set_xlabel("labelled images")
        ax.set_ylabel("accuracy − Random (pp), 95% interval (n ≥ 3)")
        ax.grid(alpha=0.3)
        if many:  # every method, Random included, from the accuracy panel
            handles, labels = axes[0, 0].get_legend_handles_labels()
            ax.legend(handles, labels, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        else:
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report_study(folder: Path, plots: bool = True) -> str:
    """Write ``report.md`` (and one PNG per group) into ``folder``; returns the markdown."""
    rows = load_study(folder)
    if not rows:
        raise SystemExit(f"no result rows under {folder}")
    groups: Dict[str, List[Dict]] = defaultdict(list)
    for r in rows:
        groups[_config_key(r)].append(r)
    parts = [f"# Study `{folder.name}`", "", "Generated by `python -m benchmarks.report` from the JSON lines in this folder.", ""]
    note = folder / "NOTE.md"  # optional hand-written context, e.g. "CPU fallback, not the paper's learner"
    if note.exists():
        parts += [note.read_text(encoding="utf-8").strip(), ""]
    for i, (key, grp) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1]))):
        first = grp[0]
        title = f"{first.get('dataset_label', first['dataset'])}, profile {first['profile']}"
        if len(groups) > 1:
            title += f" (settings group {i + 1})"
        image = None
        if plots:
            image = f"{first['dataset']}{'' if i == 0 else f'_{i + 1}'}.png"
            plot(grp, folder / image, f"{title}: {first.get('config', {}).get('learner')}, "
                                      f"{first.get('config', {}).get('train', {}).get('epochs')} epochs")
        parts.append(render_markdown(grp, title, image))
    text = "\n".join(parts)
    (folder / "report.md").write_text(text, encoding="utf-8")
    return text


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--study", nargs="+", required=True, help="study folder names under --results-dir")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=f"(default: {RESULTS_DIR})")
    p.add_argument("--no-plots", action="store_true", help="tables only")
    p.add_argument("--print", action="store_true", help="also print the markdown")
    args = p.parse_args(argv)
    for study in args.study:
        text = report_study(args.results_dir / study, plots=not args.no_plots)
        if args.print:
            print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
