"""The scale benchmark's kNN-search study on a small pool."""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

from benchmarks.scale import knn_search_rows  # noqa: E402
from gcnal.typing import WITH_FAISS  # noqa: E402


def test_knn_search_study_measures_every_installed_backend_against_the_exact_search():
    args = argparse.Namespace(size=3000, dims=[32], k=15, seed=0, threads=1, device="cpu")
    rows = knn_search_rows(args)
    backends = [r["backend"] for r in rows]
    assert backends == (["torch", "faiss", "faiss-approx"] if WITH_FAISS else ["torch"])
    by_backend = {r["backend"]: r for r in rows}
    assert by_backend["torch"]["recall"] == 1.0 and by_backend["torch"]["speed_up_over_torch"] == 1.0
    if WITH_FAISS:
        assert by_backend["faiss"]["recall"] > 0.999  # exact up to ties
        assert by_backend["faiss-approx"]["recall"] > 0.9  # clustered pool: few misses
    assert all(r["seconds"] > 0 and r["n"] == 3000 and r["d"] == 32 for r in rows)
