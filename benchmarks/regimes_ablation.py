"""The dev-study ablation that fixed ``typical_diverse``'s defaults.

    python -m benchmarks.regimes_ablation run --studies fmnist_small fmnist_linear \\
        --methods random margin entropy typiclust td_w0 td_w03 td_w05 td_w07 td_w1 td_w05_r0 \\
        --trials 0 1 2 --results-dir benchmarks/results/regimes_ablation

Registers one preset per variant (``td_w<weight>``: ``uncertainty_weight``;
``_r0``: no radius) and runs :mod:`benchmarks.regimes` with them. Only the
dev studies were used: the held-out ones never saw a variant.
"""
import functools
import sys

from gcnal import register_method
from gcnal.selectors import typical_diverse

from .regimes import main

VARIANTS = {
    "td_w0": dict(uncertainty_weight=0.0),
    "td_w03": dict(uncertainty_weight=0.3),
    "td_w05": dict(uncertainty_weight=0.5),
    "td_w07": dict(uncertainty_weight=0.7),
    "td_w1": dict(uncertainty_weight=1.0),
    "td_w05_r0": dict(uncertainty_weight=0.5, radius=0.0),
}

for _name, _options in VARIANTS.items():
    register_method(_name, selector=functools.partial(typical_diverse, **_options), signal="probs",
                    signal_required=False, description=f"typical_diverse with {_options}")

if __name__ == "__main__":
    sys.exit(main())
