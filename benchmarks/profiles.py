"""Benchmark profiles: ``paper``, ``fast`` and ``smoke``.

A profile fixes the learner, its training schedule and the active-learning
protocol (initial labels, budget per cycle, cycles, unlabelled subset scored
per cycle, trials). Any field can be overridden on the command line of
``benchmarks.run``; the overrides are stored in every result row (``config``),
so a row always says exactly how it was produced.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, asdict
from typing import Dict, List, Optional

from .learners import TrainConfig

__all__ = ["Profile", "PROFILES", "get_profile", "DEFAULT_METHODS"]

#: The paper's four methods plus the entropy baseline.
DEFAULT_METHODS = ["random", "coreset", "uncertain_gcn", "core_gcn", "entropy"]


@dataclass
class Profile:
    """One benchmark setting.

    Args:
        name: ``"paper"``, ``"fast"`` or ``"smoke"``.
        learner: ``"resnet18"`` or ``"small_cnn"``.
        train: the learner's :class:`~benchmarks.learners.TrainConfig`.
        initial: random labels before the first cycle.
        budget: labels added per cycle.
        cycles: training cycles (the labelled set goes ``initial``,
            ``initial + budget``, ..., ``initial + (cycles - 1) * budget``).
        subset: unlabelled items scored per cycle (the paper's 10,000).
        trials: number of trials; trial ``t`` uses seed ``t``.
        methods: gcnal presets run by default.
        dataset: default dataset.
        method_options: ``options`` given to every ``gcnal.select`` (stored
            in the rows' ``config`` when given).
    """

    name: str
    learner: str
    train: TrainConfig
    initial: int
    budget: int
    cycles: int
    subset: int
    trials: int
    methods: List[str] = field(default_factory=lambda: list(DEFAULT_METHODS))
    dataset: str = "cifar10"
    method_options: Optional[Dict] = None

    def replace(self, **changes) -> "Profile":
        """A copy with top-level fields and/or ``TrainConfig`` fields changed (``None`` = keep)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
        train_changes = {k: changes.pop(k) for k in list(changes) if k in train_fields}
        unknown = set(changes) - {f.name for f in dataclasses.fields(Profile)}
        if unknown:
            raise ValueError(f"Unknown profile fields {sorted(unknown)}")
        new_train = dataclasses.replace(self.train, **train_changes)
        return dataclasses.replace(self, train=new_train, **changes)

    def config(self) -> Dict:
        """What determines the results of a (dataset, method, trial): stored in each row.

        ``cycles``, ``trials`` and ``methods`` are left out on purpose, so a
        study can be extended with more cycles, trials or methods and still
        resume from the rows it has.
        """
        d = asdict(self)
        for key in ("cycles", "trials", "methods", "dataset", "name"):
            d.pop(key)
        if not d["method_options"]:  # rows run without options have no such key
            d.pop("method_options")
        return d


PROFILES: Dict[str, Profile] = {
    # The Sequential GCN protocol: ResNet-18, 200 epochs, lr x0.1 at 160,
    # 1k + 1k per cycle up to 10k, 10k unlabelled scored per cycle, 5 trials.
    "paper": Profile(
        name="paper",
        learner="resnet18",
        train=TrainConfig(epochs=200, schedule="step", milestones=[160]),
        initial=1000,
        budget=1000,
        cycles=10,
        subset=10000,
        trials=5,
    ),
    # Tiny, for CI: scikit-learn's 8x8 digits, a small CNN, 3 cycles.
    "smoke": Profile(
        name="smoke",
        learner="small_cnn",
        train=TrainConfig(epochs=10, lr=0.05, schedule="cosine", milestones=[], batch_size=64),
        initial=100,
        budget=50,
        cycles=3,
        subset=400,
        trials=1,
        dataset="digits",
    ),
}
# Same protocol, 40 epochs with warm-up + cosine decay instead of 200 with one
# step: meant for quick GPU runs (its accuracy gap to `paper` is not measured
# yet, see benchmarks/README.md).
PROFILES["fast"] = dataclasses.replace(
    PROFILES["paper"], name="fast",
    train=TrainConfig(epochs=40, schedule="cosine", milestones=[]))


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"Unknown profile '{name}'; choose among {sorted(PROFILES)}")
    return PROFILES[name]
