"""The scale benchmark's in-process studies on small pools."""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

import pytest  # noqa: E402
import torch  # noqa: E402

import gcnal  # noqa: E402
from benchmarks.scale import (epoch_ab_rows, knn_search_rows, make_pool, precision_rows,  # noqa: E402
                              search_precision_rows)
from gcnal.typing import WITH_FAISS  # noqa: E402


def test_knn_search_study_measures_every_installed_backend_against_the_exact_search():
    args = argparse.Namespace(size=3000, dims=[32], k=15, seed=0, threads=1, device="cpu")
    rows = knn_search_rows(args)
    backends = [r["backend"] for r in rows]
    assert backends == (["torch", "faiss", "faiss-approx", "ivf", "ivf-bf16"] if WITH_FAISS
                        else ["torch", "ivf", "ivf-bf16"])
    by_backend = {r["backend"]: r for r in rows}
    assert by_backend["torch"]["recall"] == 1.0 and by_backend["torch"]["speed_up_over_torch"] == 1.0
    if WITH_FAISS:
        assert by_backend["faiss"]["recall"] > 0.999  # exact up to ties
        assert by_backend["faiss-approx"]["recall"] > 0.9  # clustered pool: few misses
    assert by_backend["ivf"]["recall"] > 0.9 and by_backend["ivf-bf16"]["recall"] > 0.9
    assert all(r["seconds"] > 0 and r["n"] == 3000 and r["d"] == 32 for r in rows)


def test_sampled_recall_leaves_the_exact_backends_out_and_matches_the_full_recall():
    args = argparse.Namespace(size=3000, dims=[32], k=15, seed=0, threads=1, device="cpu")
    full = {r["backend"]: r for r in knn_search_rows(
        argparse.Namespace(**vars(args), backends=["torch", "ivf"]))}
    sampled = knn_search_rows(argparse.Namespace(**vars(args), backends=["torch", "ivf"],
                                                 recall_queries=3000))
    assert [r["backend"] for r in sampled] == ["ivf"]  # no exact search of all N
    # every row a query: the sampled recall is the full one
    assert abs(sampled[0]["recall"] - full["ivf"]["recall"]) < 1e-9
    assert sampled[0]["recall_queries"] == 3000 and sampled[0]["speed_up_over_torch"] is None


def test_epoch_study_times_each_speed_up_against_the_defaults_with_the_same_losses():
    args = argparse.Namespace(sizes=[2000], dims=[16], k=15, seed=0, threads=1, device="cpu",
                              graph="dense", knn_backend="torch", epochs=3, rounds=2)
    rows = {r["arm"]: r for r in epoch_ab_rows(args)}
    assert set(rows) == {"defaults", "fresh tensors", "row-major features"}
    assert rows["defaults"]["defaults_speed_up"] == 1.0
    assert rows["fresh tensors"]["same_losses_as_defaults"]  # reused buffers change no value
    assert all(r["ms_per_epoch"] > 0 and len(r["ms_per_epoch_rounds"]) == 2 for r in rows.values())
    knn = epoch_ab_rows(argparse.Namespace(**{**vars(args), "graph": "knn"}))
    assert [r["arm"] for r in knn] == ["defaults", "fresh tensors"]  # no layout arm on kNN


def test_precision_study_compares_the_picks_select_makes_in_each_precision():
    args = argparse.Namespace(sizes=[2000], dims=[16], k=15, seed=0, threads=1, device="cpu",
                              knn_backend="torch", epochs=5, labelled_fraction=0.05,
                              methods=["uncertain_gcn"])
    [row] = precision_rows(args)
    features, labelled = make_pool(2000, 16, 0, "cpu")
    options = {"graph": "knn", "k": 15, "knn_backend": "torch", "epochs": 5}
    for precision, extra in (("float32", {}), ("bfloat16", {"compute_dtype": torch.bfloat16})):
        picks = gcnal.select(features, labelled, 20, method="uncertain_gcn", seed=0,
                             options={**options, **extra})
        # budget 1% of N = 20: the study's picks are select's, in order
        assert row[f"picks_head_{precision}"] == picks.tolist()
    shared = len(set(row["picks_head_float32"]) & set(row["picks_head_bfloat16"])) / 20
    assert row["picks_shared"] == shared and row["budget"] == 20
    assert row["train_seconds_float32"] > 0 and row["train_seconds_bfloat16"] > 0


def test_precision_study_refuses_a_method_without_a_sampler():
    args = argparse.Namespace(sizes=[500], dims=[8], k=15, seed=0, threads=1, device="cpu",
                              knn_backend="torch", epochs=2, labelled_fraction=0.05,
                              methods=["coreset"])
    with pytest.raises(SystemExit, match="GNN presets"):
        precision_rows(args)


def test_search_precision_study_compares_select_s_picks_on_the_two_ivf_graphs():
    args = argparse.Namespace(sizes=[2000], dims=[16], k=15, seed=0, threads=1, device="cpu",
                              epochs=5, labelled_fraction=0.05, methods=["uncertain_gcn"],
                              bf16=False)
    [row] = search_precision_rows(args)
    features, labelled = make_pool(2000, 16, 0, "cpu")
    picks = {backend: set(gcnal.select(features, labelled, 20, method="uncertain_gcn", seed=0,
                                       options={"graph": "knn", "knn_backend": backend,
                                                "epochs": 5}).tolist())
             for backend in ("ivf", "ivf-bf16")}
    assert row["picks_shared"] == len(picks["ivf"] & picks["ivf-bf16"]) / 20
    assert row["edges_kept"] > 0.99  # a clustered pool: bfloat16 rounding loses few neighbours
    assert row["graph_seconds_ivf"] > 0 and row["graph_seconds_ivf_bf16"] > 0
