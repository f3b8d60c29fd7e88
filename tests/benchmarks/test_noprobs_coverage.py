"""Where the default's no-probs picks land on Friedman #1 (issue 14's loss)."""
from benchmarks import noprobs_coverage


def test_default_picks_cover_the_pool_better_than_typiclusts_and_stay_typical():
    # columns: cover_unit, cover_x, mean_x, pick norm, typ_pct, separation, auto radius
    m = noprobs_coverage.measure("friedman_dev", [0], budgets=(20,))
    default, typiclust, random = m[(20, "pool")], m[(20, "typiclust")], m[(20, "random")]
    # typicality x novelty: the picks reach the parts of the pool far from the
    # labelled set, so labelled + picked leave a smaller cover radius than
    # TypiClust's k-means cells or Random (on the unit vectors and the inputs)
    assert default[0] < typiclust[0] and default[0] < random[0]
    assert default[1] < typiclust[1]
    # yet they are still drawn from the typical part of the pool, not its outliers
    assert default[4] > 0.9 > random[4]
    # and the default's picks are at least the auto radius apart
    assert default[5] >= default[6]
