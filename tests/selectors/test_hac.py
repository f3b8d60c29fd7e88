"""Average-linkage HAC against scipy's, cuts, and the sampled version."""
import numpy as np
import pytest
import torch
from scipy.cluster.hierarchy import fcluster, linkage

from gcnal import InvalidParameterError
from gcnal.selectors import average_linkage, cut_dendrogram, sampled_hac_labels


def _same_partition(a, b):
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(set(np.asarray(b).tolist()))


@pytest.mark.parametrize("seed", [0, 1])
def test_dendrogram_and_cuts_match_scipy_average_linkage(seed):
    x = torch.randn(120, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    merges, heights = average_linkage(x)
    reference = linkage(x.numpy(), method="average")
    assert np.allclose(np.sort(heights.numpy()), reference[:, 2])
    for k in (1, 3, 10, 120):
        labels = cut_dendrogram(merges, heights, 120, num_clusters=k)
        assert int(labels.max()) + 1 == k
        assert _same_partition(labels, fcluster(reference, k, criterion="maxclust"))
    threshold = float(reference[60:62, 2].mean())  # between two merge heights
    labels = cut_dendrogram(merges, heights, 120, distance_threshold=threshold)
    assert _same_partition(labels, fcluster(reference, threshold, criterion="distance"))


def test_hand_built_merges_and_scale_invariance():
    # 0-1 at 1, 2-3 at 2, then the pairs at the mean of the four cross distances
    x = torch.tensor([[0.0], [1.0], [10.0], [12.0]], dtype=torch.float64)
    merges, heights = average_linkage(x)
    assert sorted(heights.tolist()) == pytest.approx([1.0, 2.0, (10 + 12 + 9 + 11) / 4])
    assert cut_dendrogram(merges, heights, 4, num_clusters=2).tolist() == [0, 0, 1, 1]
    big = average_linkage(x * 1e200)[1]  # the squares would overflow float64
    assert torch.allclose(big / 1e200, heights)


def test_cut_needs_exactly_one_rule():
    merges, heights = average_linkage(torch.rand(5, 2))
    with pytest.raises(InvalidParameterError, match="'num_clusters' parameter of cut_dendrogram"):
        cut_dendrogram(merges, heights, 5)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        cut_dendrogram(merges, heights, 5, num_clusters=2, distance_threshold=1.0)


def test_sampled_hac_recovers_separated_blobs_and_is_seeded(blobs, gen):
    x, assign = blobs(num_clusters=4, per_cluster=100)
    labels = sampled_hac_labels(x, num_clusters=4, sample=60, generator=gen(0))
    assert labels.shape == (400,) and _same_partition(labels, assign)
    again = sampled_hac_labels(x, num_clusters=4, sample=60, generator=gen(0))
    assert torch.equal(labels, again)
    exact = sampled_hac_labels(x, num_clusters=4, sample=400)
    assert _same_partition(exact, assign)
