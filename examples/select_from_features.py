"""
Pick the next items to label from a pool of features
====================================================

The smallest complete use of gcnal: features for a pool (here, scikit-learn's
digits pixels stand in for a model's embeddings), a few labelled items, and
one call per method. Run with ``python examples/select_from_features.py``.
"""
# %%
import numpy as np
from sklearn.datasets import load_digits

import gcnal

features = load_digits().data.astype(np.float32)          # (1797, 64), non-negative
labelled = np.zeros(len(features), dtype=bool)
labelled[np.random.default_rng(0).choice(len(features), 50, replace=False)] = True

# %%
# One selection per method, same seed: 20 pool indices each, most wanted first.
for method in ["typical_diverse", "random", "coreset", "uncertain_gcn", "core_gcn"]:
    picks = gcnal.select(features, labelled, budget=20, method=method, seed=0)
    print(f"{method:15s} {picks[:10].tolist()} ...")

# %%
# What the sampler saw and how long each stage took.
sel = gcnal.select(features, labelled, 20, method="uncertain_gcn", seed=0, return_info=True)
print("graph:", sel.info["graph"], "| timings (s):",
      {k: round(v, 3) for k, v in sel.timings.items()})
print("sampler score of labelled vs unlabelled items: "
      f"{sel.scores[labelled].mean():.2f} vs {sel.scores[~labelled].mean():.2f}")

# %%
# The pool graph of the first 100 items as PyG Data, then networkx.
data = gcnal.pool_graph(features[:100], labelled[:100])
graph = gcnal.to_networkx(data)
print(data, "->", graph.number_of_edges(), "weighted networkx edges")
