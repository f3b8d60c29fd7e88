"""``gcnal demo``: a complete active-learning loop on scikit-learn's digits.

The pool is 1,297 of the 1,797 bundled 8x8 digit images (no download); the
other 500 are the test set. Each cycle a small torch MLP (the learner) is
trained from scratch on the labelled items, its test accuracy is recorded,
its penultimate (post-ReLU) layer gives the pool features, and each method
picks the next batch with :func:`gcnal.select`. All randomness comes from the
seed: the same command prints the same table.
"""
from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .api import select
from .errors import MissingDependencyError
from .registry import METHODS

log = logging.getLogger(__name__)

TEST_SIZE = 500


class DigitsMLP(nn.Module):
    """The demo's learner: 64 -> 128 -> 64 -> 10, ReLU; ``features`` returns
    the 64-d penultimate layer."""

    def __init__(self, generator: torch.Generator, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.head = nn.Linear(64, num_classes)
        with torch.no_grad():
            for layer in (self.body[0], self.body[2], self.head):
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))


def load_digits_split(seed: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Pool and test tensors of the digits data, split by ``seed``."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise MissingDependencyError("scikit-learn", "demo", "gcnal demo") from err
    data = load_digits()
    x = torch.as_tensor(data.data, dtype=torch.float32) / 16.0
    y = torch.as_tensor(data.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    test, pool = order[:TEST_SIZE], order[TEST_SIZE:]
    return x[pool], y[pool], x[test], y[test]


def train_learner(x: Tensor, y: Tensor, seed: int, steps: int = 300) -> DigitsMLP:
    """A fresh :class:`DigitsMLP` trained full-batch with Adam on ``(x, y)``."""
    model = DigitsMLP(torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model.eval()


def run_trial(method: str, seed: int, cycles: int, initial: int, budget: int) -> List[Dict]:
    """One active-learning run; a record per cycle with labelled count and accuracy."""
    x_pool, y_pool, x_test, y_test = load_digits_split(seed)
    labelled = torch.zeros(len(y_pool), dtype=torch.bool)
    first = torch.randperm(len(y_pool), generator=torch.Generator().manual_seed(seed))[:initial]
    labelled[first] = True
    records = []
    for cycle in range(cycles + 1):
        model = train_learner(x_pool[labelled], y_pool[labelled], seed=seed * 1000 + cycle)
        with torch.no_grad():
            accuracy = float((model(x_test).argmax(1) == y_test).float().mean())
            features = model.features(x_pool)
            # methods that read the learner's class probabilities get them
            signal = ({"probs": torch.softmax(model.head(features), dim=1)}
                      if METHODS.resolve(method).signal == "probs" else {})
        records.append({"method": method, "seed": seed, "cycle": cycle,
                        "labelled": int(labelled.sum()), "accuracy": accuracy})
        if cycle < cycles:
            picks = select(features, labelled, budget, method=method, seed=seed * 1000 + cycle,
                           **signal)
            labelled[picks] = True
    return records


def summarize(records: Sequence[Dict], methods: Sequence[str]) -> str:
    """A markdown table of mean ± std test accuracy (%) per labelled count."""
    counts = sorted({r["labelled"] for r in records})
    header = "| labelled | " + " | ".join(methods) + " |"
    lines = [header, "|" + " --- |" * (len(methods) + 1)]
    for n in counts:
        cells = []
        for m in methods:
            acc = np.array([r["accuracy"] for r in records
                            if r["method"] == m and r["labelled"] == n]) * 100
            cells.append(f"{acc.mean():.1f} ± {acc.std():.1f}" if acc.size else "")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(records: Sequence[Dict], methods: Sequence[str], path: Path) -> None:
    """Mean accuracy curves with a ±1 std band, one line per method."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise MissingDependencyError("matplotlib", "demo", "the demo's plot") from err
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for m in methods:
        counts = sorted({r["labelled"] for r in records if r["method"] == m})
        acc = np.array([[r["accuracy"] * 100 for r in records
                         if r["method"] == m and r["labelled"] == n] for n in counts])
        mean, std = acc.mean(1), acc.std(1)
        ax.plot(counts, mean, marker="o", label=m)
        ax.fill_between(counts, mean - std, mean + std, alpha=0.15)
    ax.set_xlabel("labelled images")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("gcnal demo: active learning on digits")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run_demo(out_dir: str = "demo_results", seeds: int = 3, cycles: int = 6, initial: int = 30,
             budget: int = 30, methods: Sequence[str] = ("random", "coreset", "uncertain_gcn",
                                                         "core_gcn", "typical_diverse")
             ) -> List[Dict]:
    """Run every method for every seed, print the table, write JSON + PNG.

    The demo's tensors are small, so it runs torch on one thread, which also
    keeps it unaffected by other work on the machine."""
    torch.set_num_threads(1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    records: List[Dict] = []
    for method in methods:
        for seed in range(seeds):
            records.extend(run_trial(method, seed, cycles, initial, budget))
        log.info("demo: %s done (%.1f s)", method, time.perf_counter() - start)
    table = summarize(records, methods)
    (out / "results.json").write_text(json.dumps(records, indent=1))
    (out / "results.md").write_text(table + "\n")
    plot(records, methods, out / "curves.png")
    log.info("\nTest accuracy (%%, mean ± std over %d seeds) on digits:\n%s\n\n"
             "Wrote %s, %s and %s (%.1f s).", seeds, table, out / "results.md",
             out / "results.json", out / "curves.png", time.perf_counter() - start)
    return records
