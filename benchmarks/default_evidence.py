r"""Does a method earn the default? Per study and cycle, its paired gain over
Random and over the best baseline of that cycle.

    python -m benchmarks.default_evidence --method typical_margin \
        --results benchmarks/results/regimes benchmarks/results/default

Reads every ``*.jsonl`` row file under the ``--results`` folders (rows of the
same study, method and trial from several folders: the first folder wins).
At each labelled count after the first, the best baseline is the one of
``--baselines`` with the highest mean metric (lowest RMSE) over the trials
both it and the method ran; the gains are paired over trials, with a 95%
Student-t interval. A cycle is a win (``+``) when the interval lies above 0,
a loss (``-``) when it lies below, a tie (``=``) otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .report import mean_ci
from .results_io import read_rows

BASELINES = ("random", "margin", "badge", "typiclust", "cluster_margin")


def load(folders: Sequence[Path]) -> Dict[Tuple[str, str], Dict[int, Dict[int, float]]]:
    """``(study, method) -> labelled -> trial -> value``, in the metric's
    better-is-higher orientation (accuracy in pp; RMSE negated)."""
    out: Dict[Tuple[str, str], Dict[int, Dict[int, float]]] = {}
    seen = set()
    for folder in folders:
        found = {}
        for path in sorted(Path(folder).rglob("*.jsonl")):
            for r in read_rows(path):
                if "study" not in r or "value" not in r or "labelled" not in r:
                    continue
                key = (r["study"], r["method"], r["trial"])
                if key in seen:
                    continue
                found[key] = True
                sign = -1.0 if r.get("metric") == "rmse" else 100.0
                out.setdefault((r["study"], r["method"]), {}).setdefault(
                    r["labelled"], {})[r["trial"]] = sign * r["value"]
        seen |= set(found)
    return out


def paired(a: Dict[int, float], b: Dict[int, float]) -> Tuple[float, float, int]:
    trials = sorted(set(a) & set(b))
    return mean_ci([a[t] - b[t] for t in trials])


def outcome(mean: float, half: float) -> str:
    if np.isnan(half):
        return "?"
    return "+" if mean - half > 0 else "-" if mean + half < 0 else "="


def evidence(values, method: str, baselines: Sequence[str] = BASELINES) -> List[Dict]:
    """One entry per (study, labelled) where ``method`` and Random ran."""
    rows = []
    for (study, name), curve in sorted(values.items()):
        if name != method or (study, "random") not in values:
            continue
        first = min(values[(study, "random")])
        for labelled in sorted(curve):
            if labelled == first:
                continue
            mine = curve[labelled]
            others = {b: values[(study, b)][labelled] for b in baselines
                      if (study, b) in values and labelled in values[(study, b)]}
            if "random" not in others:
                continue
            common = {b: v for b, v in others.items() if len(set(v) & set(mine)) >= 2}
            best = max(common, key=lambda b: np.mean([common[b][t] for t in set(common[b]) & set(mine)]))
            vs_random, vs_best = paired(mine, others["random"]), paired(mine, common[best])
            rows.append({"study": study, "labelled": labelled, "best": best,
                         "vs_random": vs_random, "vs_best": vs_best,
                         "baselines": sorted(common)})
    return rows


def render(rows: List[Dict], method: str, roles: Dict[str, str]) -> str:
    lines = [f"| study | role | labelled | {method} - Random | best baseline | "
             f"{method} - best |", "|---|---|---|---|---|---|"]
    for r in rows:
        (m1, h1, n1), (m2, h2, _) = r["vs_random"], r["vs_best"]
        lines.append(f"| {r['study']} | {roles.get(r['study'], '')} | {r['labelled']:,} | "
                     f"{m1:+.2f} [{m1 - h1:+.2f}, {m1 + h1:+.2f}] {outcome(m1, h1)} | "
                     f"{r['best']} | {m2:+.2f} [{m2 - h2:+.2f}, {m2 + h2:+.2f}] "
                     f"{outcome(m2, h2)} | ")
    lines += ["", "| study | role | n | vs Random W/T/L | mean gain | vs best W/T/L | mean vs best |",
              "|---|---|---|---|---|---|---|"]
    for study in dict.fromkeys(r["study"] for r in rows):
        mine = [r for r in rows if r["study"] == study]
        count = lambda key, sign: sum(outcome(*r[key][:2]) == sign for r in mine)  # noqa: E731
        lines.append(
            f"| {study} | {roles.get(study, '')} | {min(r['vs_random'][2] for r in mine)} | "
            f"{count('vs_random', '+')}/{count('vs_random', '=')}/{count('vs_random', '-')} | "
            f"{np.mean([r['vs_random'][0] for r in mine]):+.2f} | "
            f"{count('vs_best', '+')}/{count('vs_best', '=')}/{count('vs_best', '-')} | "
            f"{np.mean([r['vs_best'][0] for r in mine]):+.2f} |")
    return "\n".join(lines)


def study_roles(folders: Sequence[Path]) -> Dict[str, str]:
    roles = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.jsonl")):
            for r in read_rows(path):
                if "study" in r and "role" in r:
                    roles.setdefault(r["study"], r["role"])
    return roles


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.default_evidence",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="typical_margin")
    parser.add_argument("--results", nargs="+", type=Path, required=True)
    parser.add_argument("--baselines", nargs="+", default=list(BASELINES))
    parser.add_argument("--studies", nargs="+", default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the tables here")
    args = parser.parse_args(argv)
    values = load(args.results)
    if args.studies:
        values = {k: v for k, v in values.items() if k[0] in args.studies}
    text = ("Accuracy in pp (RMSE: the baseline's minus the method's); "
            "mean [95% paired t-interval]; + win, = tie, - loss.\n\n"
            + render(evidence(values, args.method, args.baselines), args.method,
                     study_roles(args.results)) + "\n")
    print(text)
    if args.out:
        command = " ".join(["python -m benchmarks.default_evidence"] + list(argv or sys.argv[1:]))
        args.out.write_text(f"# {args.method}: gains over Random and the best baseline\n\n"
                            f"`{command}`\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
