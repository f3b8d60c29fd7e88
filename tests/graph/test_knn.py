import pytest
import torch

from gcnal import CosineAdjacency, KNNAdjacency


def test_knn_graph_by_hand():
    # v0 = e0, v1 = (e0+e1)/sqrt2, v2 = e1, v3 = e2: with k = 1, 0 -> 1, 1 -> 0 or 2, 2 -> 1,
    # 3 has only zero similarities (no edge). Symmetrised: edges 0-1 and 1-2.
    x = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 2, 0], [0, 0, 5]])
    dense = KNNAdjacency(x, k=1).to_dense()
    expected = torch.tensor([[1, 1, 0, 0], [0.5, 1, 0.5, 0], [0, 1, 1, 0], [0, 0, 0, 1.0]])
    assert torch.allclose(dense, expected, atol=1e-6)


@pytest.mark.parametrize("normalization", ["row", "column"])
def test_full_knn_equals_the_dense_graph(normalization):
    x = torch.rand(40, 5, generator=torch.Generator().manual_seed(1))
    knn = KNNAdjacency(x, k=39, normalization=normalization)
    dense = CosineAdjacency(x, normalization)
    assert torch.allclose(knn.to_dense(), dense.to_dense(), atol=1e-5)


def test_knn_graph_is_symmetric_and_row_normalised():
    x = torch.randn(80, 8, generator=torch.Generator().manual_seed(2))
    adj = KNNAdjacency(x, k=5)
    w = adj.to_dense() - torch.eye(80)
    assert torch.equal(w > 0, (w > 0).T)  # symmetric support
    rows = w.sum(1)
    assert torch.allclose(rows[rows > 0], torch.ones_like(rows[rows > 0]), atol=1e-5)
    assert (w >= 0).all()  # negative similarities dropped


@pytest.mark.parametrize("normalization", ["row", "column"])
def test_matmul_equals_dense_product_and_backpropagates_through_the_transpose(normalization):
    x = torch.rand(30, 4, generator=torch.Generator().manual_seed(3))
    adj = KNNAdjacency(x, k=3, normalization=normalization)
    y = torch.randn(30, 2, requires_grad=True)
    out = adj @ y
    assert torch.allclose(out, adj.to_dense() @ y, atol=1e-5)
    grad = torch.randn(30, 2, generator=torch.Generator().manual_seed(4))
    out.backward(grad)
    assert torch.allclose(y.grad, adj.to_dense().T @ grad, atol=1e-5)
    assert torch.allclose(adj @ y[:, 0], out[:, 0])


def test_edge_index_follows_pyg_convention():
    x = torch.rand(25, 3, generator=torch.Generator().manual_seed(4))
    adj = KNNAdjacency(x, k=2)
    dense = adj.to_dense()
    source, target = adj.edge_index
    assert torch.allclose(dense[target, source], adj.edge_weight)


def test_faiss_knn_graph_in_select():
    pytest.importorskip("faiss", reason="faiss-cpu not installed (pip install 'gcnal[faiss]')")
    import gcnal

    x = torch.rand(80, 6, generator=torch.Generator().manual_seed(0))
    mask = torch.arange(80) < 10
    picks = {}
    for backend in ("torch", "faiss"):
        sel = gcnal.select(x, mask, 5, method="uncertain_gcn", graph="knn", k=5, epochs=5, seed=0,
                           knn_backend=backend, return_info=True)
        assert sel.info["graph"].endswith(f"{backend} search)")
        picks[backend] = sel.indices.tolist()
    assert picks["torch"] == picks["faiss"]
