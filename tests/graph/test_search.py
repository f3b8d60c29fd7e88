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


def _clustered(n=3000, d=32, clusters=30, seed=0):
    # clustered post-ReLU features, like a CNN's (on unstructured Gaussian noise the recall of
    # 16 probed lists out of sqrt(N) drops: 0.86 at N = 2000, d = 32; see docs/scaling.md)
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(clusters, d, generator=g) * 2
    return torch.relu(centres[torch.randint(clusters, (n,), generator=g)]
                      + torch.randn(n, d, generator=g))


@pytest.mark.parametrize("backend", ["faiss-approx", "ivf", "ivf-bf16"])
def test_approximate_recall_on_clustered_features_is_at_least_99_percent(backend):
    if backend.startswith("faiss"):
        pytest.importorskip("faiss", reason="faiss-cpu not installed (pip install 'gcnal[faiss]')")
    x = _clustered()
    index, sim = knn_search(x, 10, backend=backend)
    ref_index, ref_sim = knn_search(x, 10)
    found = (index[:, :, None] == ref_index[:, None, :]).any(dim=2).float().mean()
    assert found >= 0.99
    assert not (index == torch.arange(3000)[:, None]).any()
    assert (sim[:, :-1] >= sim[:, 1:]).all()
    # a found neighbour's similarity is its true cosine similarity
    v = torch.nn.functional.normalize(x)
    assert torch.allclose(sim, (v[:, None, :] * v[index]).sum(-1), atol=1e-5)


@pytest.mark.parametrize("backend", ["ivf", "ivf-bf16"])
def test_ivf_is_deterministic_and_pads_lists_with_too_few_rows(backend):
    x = _clustered(n=400, d=8, clusters=5, seed=1)
    first, second = knn_search(x, 6, backend=backend), knn_search(x, 6, backend=backend)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    # 4 rows in 2 lists, both probed: every other row is found
    tiny = torch.rand(4, 3, generator=torch.Generator().manual_seed(0))
    index, _ = knn_search(tiny, 3, backend=backend)
    assert torch.equal(index.sort(dim=1).values,
                       torch.tensor([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]))


@pytest.mark.parametrize("backend", ["ivf", "ivf-bf16"])
def test_ivf_pads_a_list_with_fewer_than_k_others(monkeypatch, backend):
    monkeypatch.setattr(search, "IVF_PROBES", 1)  # each list searches only itself
    x = _clustered(n=64, d=8, clusters=8, seed=2)  # 8 lists of about 8 rows, k = 12
    index, sim = knn_search(x, 12, backend=backend)
    missing = index == -1
    assert missing.any() and torch.isinf(sim[missing]).all() and torch.isfinite(sim[~missing]).all()
    assert (missing[:, :-1] <= missing[:, 1:]).all()  # found first, padding last
    assert not (index == torch.arange(64)[:, None]).any()
