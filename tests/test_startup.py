"""`import gcnal` stays light: torch_geometric loads only with a PyG graph or layer."""
import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
import gcnal
assert "torch_geometric" not in sys.modules, "import gcnal loaded torch_geometric"
features = np.random.default_rng(0).random((50, 4), dtype=np.float32)
labelled = np.arange(50) < 5
picks = gcnal.select(features, labelled, 3, method="coreset", seed=0)
assert "torch_geometric" not in sys.modules, "a selection without a graph loaded torch_geometric"
gcnal.pool_graph(features, labelled, graph="knn", k=3)
assert "torch_geometric" in sys.modules
print(len(picks))
"""


def test_import_and_a_graph_free_selection_leave_torch_geometric_unloaded():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
