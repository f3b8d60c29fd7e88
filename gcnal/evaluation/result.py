r"""What :func:`gcnal.evaluate` returns: the metric per method, seed and cycle,
its mean with a 95% t-interval over seeds, and the paired difference to
Random per cycle (the same initial set, test set and learner seeds on both
sides, so the seed-to-seed variation of the data cancels in the difference).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import numpy as np

from ..errors import InvalidParameterError, MissingDependencyError
from .stats import Interval, paired_interval, t_interval

BASELINE = "random"


@dataclass(frozen=True)
class EvaluationResult:
    """Rows (one per method, seed and cycle: ``labelled``, ``value``,
    ``added`` items, ``selection_seconds`` of the selection that added them)
    and the evaluation's settings."""

    rows: List[dict]
    settings: dict

    @property
    def methods(self) -> List[str]:
        return list(self.settings["methods"])

    @property
    def seeds(self) -> List[int]:
        return list(self.settings["seeds"])

    @property
    def metric(self) -> str:
        return self.settings["metric"]

    @property
    def labelled_counts(self) -> List[int]:
        """Labelled items at each cycle: ``initial`` plus the budgets so far."""
        s = self.settings
        budgets = s["budget"] if isinstance(s["budget"], list) else [s["budget"]] * s["cycles"]
        return [s["initial"] + int(sum(budgets[:c])) for c in range(s["cycles"] + 1)]

    def values(self, method: str) -> np.ndarray:
        """``(seeds, cycles + 1)``: the metric of ``method``, seeds in order."""
        if method not in self.methods:
            raise InvalidParameterError("method", f"one of {self.methods}", repr(method),
                                        "EvaluationResult.values")
        table = np.full((len(self.seeds), len(self.labelled_counts)), np.nan)
        position = {seed: i for i, seed in enumerate(self.seeds)}
        for row in self.rows:
            if row["method"] == method:
                table[position[row["seed"]], row["cycle"]] = row["value"]
        return table

    def curves(self) -> Dict[str, List[Interval]]:
        """Per method, per cycle: the mean over seeds and its 95% t-interval."""
        return {m: [t_interval(list(column)) for column in self.values(m).T] for m in self.methods}

    def differences(self, baseline: str = BASELINE) -> Dict[str, List[Interval]]:
        """Per method other than ``baseline``, per cycle: the mean paired
        difference ``method - baseline`` over seeds and its 95% t-interval
        (empty when ``baseline`` was not evaluated)."""
        if baseline not in self.methods:
            return {}
        base = self.values(baseline)
        return {m: [paired_interval(list(v), list(b)) for v, b in zip(self.values(m).T, base.T)]
                for m in self.methods if m != baseline}

    def selection_seconds(self) -> Dict[str, float]:
        """Per method: the mean wall time of one ``gcnal.select`` call."""
        out = {}
        for m in self.methods:
            times = [r["selection_seconds"] for r in self.rows
                     if r["method"] == m and r["selection_seconds"] is not None]
            out[m] = float(np.mean(times)) if times else float("nan")
        return out

    def to_dict(self) -> dict:
        """JSON-safe: settings, rows, curves, differences to Random, seconds."""

        def intervals(table):
            return {m: [dict(labelled=n, **_finite(i._asdict()))
                        for n, i in zip(self.labelled_counts, cells)] for m, cells in table.items()}

        return {"settings": dict(self.settings), "rows": [dict(r) for r in self.rows],
                "curves": intervals(self.curves()),
                "differences_to_random": intervals(self.differences()),
                "selection_seconds": _finite(self.selection_seconds())}

    def to_markdown(self) -> str:
        """The curves and the differences to Random as markdown tables
        (accuracy in percent, differences in percentage points; for RMSE,
        lower is better, so a negative difference is a gain)."""
        scale, unit = (100.0, "%") if self.metric == "accuracy" else (1.0, "")
        s = self.settings
        lines = [f"{self.metric} on the test set ({s['test']}), learner {s['learner']}, "
                 f"mean ± 95% t-interval half-width over {len(self.seeds)} seeds "
                 f"({', '.join(map(str, self.seeds))}); {s['pool']} pool items.", ""]
        lines += _table(["labelled"] + self.methods, self.labelled_counts,
                        [[_mean_half(i, scale) for i in cells] for cells in self.curves().values()])
        differences = self.differences()
        if differences:
            pp = " (percentage points)" if unit else \
                " (negative: lower than Random's, better)" if self.metric == "rmse" else ""
            lines += ["", f"Difference to {BASELINE}{pp}, paired by seed: mean [95% t-interval]", ""]
            lines += _table(["labelled"] + list(differences), self.labelled_counts,
                            [[_mean_low_high(i, scale) for i in cells]
                             for cells in differences.values()])
        seconds = self.selection_seconds()
        lines += ["", "Seconds per selection (mean): "
                  + ", ".join(f"{m} {seconds[m]:.3g}" for m in self.methods)]
        return "\n".join(lines) + "\n"

    def plot(self, target=None):
        """Learning curves (mean over seeds) with their 95% t-interval bands.

        Args:
            target: a path to save the figure to (PNG, PDF, SVG ...), a
                :class:`matplotlib.axes.Axes` to draw on, or ``None`` (a new
                figure).

        Returns:
            The :class:`matplotlib.axes.Axes` drawn on.
        """
        try:
            import matplotlib
            if isinstance(target, (str, Path)):
                matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt
        except ImportError as err:
            raise MissingDependencyError("matplotlib", "demo", "EvaluationResult.plot") from err
        ax = target if hasattr(target, "plot") else plt.subplots(figsize=(6, 4), dpi=120)[1]
        x = np.asarray(self.labelled_counts)
        for method, cells in self.curves().items():
            mean = np.array([i.mean for i in cells])
            line, = ax.plot(x, mean, marker="o", markersize=3, label=method)
            low, high = np.array([i.low for i in cells]), np.array([i.high for i in cells])
            if np.isfinite(low).all():
                ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2)
        ax.set_xlabel("labelled items")
        ax.set_ylabel(self.metric)
        ax.legend()
        ax.grid(alpha=0.3)
        if isinstance(target, (str, Path)):
            ax.figure.savefig(target, bbox_inches="tight")
            plt.close(ax.figure)
        return ax


def _finite(mapping: dict) -> dict:
    """NaN -> None, for JSON."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in mapping.items()}


def _number(value: float, scale: float, sign: str = "") -> str:
    """Percent with one decimal (``scale`` 100), else four significant digits."""
    return f"{scale * value:{sign}.1f}" if scale == 100.0 else f"{scale * value:{sign}.4g}"


def _mean_half(interval: Interval, scale: float) -> str:
    if interval.n < 2:
        return _number(interval.mean, scale)
    return f"{_number(interval.mean, scale)} ± {_number(interval.high - interval.mean, scale)}"


def _mean_low_high(interval: Interval, scale: float) -> str:
    if interval.n < 2:
        return _number(interval.mean, scale, "+")
    return (f"{_number(interval.mean, scale, '+')} [{_number(interval.low, scale, '+')}, "
            f"{_number(interval.high, scale, '+')}]")


def _table(header: List[str], labelled: List[int], columns: List[List[str]]) -> List[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " ---: |" * len(header)]
    for row, n in enumerate(labelled):
        lines.append("| " + " | ".join([str(n)] + [column[row] for column in columns]) + " |")
    return lines
