"""typical_diverse's lazy greedy scan picks what the loop that updates every
item's distance after each pick picks."""
import pytest
import torch

from gcnal.graph import l2_normalize
from gcnal.selectors import min_distance_to
from gcnal.selectors.typical_diverse import radius_picks


def full_update_picks(score, vectors, available, delta, radius, budget):
    """The loop the scan replaced: every distance updated after every pick,
    each pick the highest-scoring available item farther than r."""
    available, delta = available.clone(), delta.clone()
    picks, radii = [], []
    for _ in range(budget):
        eligible = available & (delta > radius)
        while not bool(eligible.any()):
            if radius < 0:
                eligible = available
                break
            radius = radius / 2 if radius > 1e-6 else -1.0
            eligible = available & (delta > radius)
        pick = int(torch.argmax(torch.where(eligible, score, float("-inf"))))
        picks.append(pick)
        radii.append(max(radius, 0.0))
        available[pick] = False
        delta = torch.minimum(delta, (2.0 - 2.0 * (vectors @ vectors[pick])).clamp(min=0).sqrt())
    return picks, radii


def pool(kind, seed):
    g = torch.Generator().manual_seed(seed)
    if kind == "gaussian":
        x = torch.randn(1500, 16, generator=g)
    else:  # clustered, every item three times: tied scores and zero distances
        means = torch.randn(12, 16, generator=g) * 3
        x = torch.relu(means[torch.randint(12, (500,), generator=g)]
                       + 0.4 * torch.randn(500, 16, generator=g)).repeat(3, 1)
    return l2_normalize(x), g


# radius 0 only without duplicates: a duplicate's distance, sqrt(2 - 2 v.v), is
# rounding noise (up to about 1e-3 at d = 16) that either loop may put above 0
@pytest.mark.parametrize("kind, radius", [("gaussian", 0.0), ("gaussian", 0.3),
                                          ("gaussian", 0.9), ("clustered, duplicates", 0.3),
                                          ("clustered, duplicates", 0.9)])
@pytest.mark.parametrize("labelled", [0, 60])
def test_the_scan_picks_what_updating_every_distance_picks(kind, radius, labelled):
    vectors, g = pool(kind, 0)
    n = vectors.size(0)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.randperm(n, generator=g)[:labelled]] = True
    score = torch.where(mask, -1.0, torch.rand(n, generator=g).mul(50).floor())  # many ties
    delta = min_distance_to(vectors, vectors[mask]).sqrt()
    budget = 400  # past the point where the radius has to halve
    picks, radii = radius_picks(score, vectors, ~mask, delta.clone(), radius, budget)
    expected, expected_radii = full_update_picks(score, vectors, ~mask, delta, radius, budget)
    assert picks.tolist() == expected
    assert radii == expected_radii
