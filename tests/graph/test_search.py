import pytest
import torch

from gcnal import InvalidParameterError, knn_search
from gcnal.graph import search
from gcnal.nn import layout


def brute_force_knn(x, k):
    v = torch.nn.functional.normalize(x)
    s = v @ v.T
    s.fill_diagonal_(float("-inf"))
    return s.topk(k, dim=1)


def test_knn_search_matches_brute_force_across_blocks(monkeypatch):
    monkeypatch.setattr(layout, "BLOCK_ELEMENTS", 100)  # many small row blocks
    x = torch.randn(57, 6, generator=torch.Generator().manual_seed(0))
    index, sim = knn_search(x, 4)
    ref = brute_force_knn(x, 4)
    assert torch.equal(index, ref.indices) and torch.allclose(sim, ref.values)
    assert not (index == torch.arange(57)[:, None]).any()  # never itself


def test_bad_k():
    with pytest.raises(InvalidParameterError, match="'k'.*\\[1, 3\\]"):
        knn_search(torch.rand(4, 2), 4)


def test_unknown_knn_backend_is_refused():
    x = torch.rand(10, 3)
    with pytest.raises(InvalidParameterError, match="'backend' parameter of knn_search"):
        knn_search(x, 2, backend="annoy")


def test_missing_faiss_names_the_package_and_the_extra(monkeypatch):
    from gcnal import MissingDependencyError

    monkeypatch.setattr(search, "WITH_FAISS", False)
    with pytest.raises(MissingDependencyError, match=r"faiss-cpu.*gcnal\[faiss\]"):
        knn_search(torch.rand(10, 3), 2, backend="faiss")


def test_faiss_exact_equals_torch_exact():
    pytest.importorskip("faiss", reason="faiss-cpu not installed (pip install 'gcnal[faiss]')")
    x = torch.randn(300, 16, generator=torch.Generator().manual_seed(0))
    index, sim = knn_search(x, 7, backend="faiss")
    ref_index, ref_sim = knn_search(x, 7)
    assert torch.equal(index, ref_index) and torch.allclose(sim, ref_sim, atol=1e-5)


def test_faiss_approx_recall_on_clustered_features_is_at_least_99_percent():
    # clustered post-ReLU features, like a CNN's (on unstructured Gaussian noise the recall of
    # 16 probed lists out of sqrt(N) drops: 0.86 at N = 2000, d = 32; see docs/scaling.md)
    pytest.importorskip("faiss", reason="faiss-cpu not installed (pip install 'gcnal[faiss]')")
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(30, 32, generator=g) * 2
    x = torch.relu(centres[torch.randint(30, (3000,), generator=g)]
                   + torch.randn(3000, 32, generator=g))
    index, sim = knn_search(x, 10, backend="faiss-approx")
    ref_index, _ = knn_search(x, 10)
    found = (index[:, :, None] == ref_index[:, None, :]).any(dim=2).float().mean()
    assert found >= 0.99
    assert not (index == torch.arange(3000)[:, None]).any()
    assert (sim[:, :-1] >= sim[:, 1:]).all()
