"""Where the default's no-probs blend picks land on Friedman #1 (issue 14's loss)."""
from benchmarks import noprobs_coverage


def test_default_picks_cover_the_pool_better_than_typiclusts_and_stay_typical():
    # columns: cover_unit, cover_x, mean_x, pick norm, typ_pct, separation, auto radius
    m = noprobs_coverage.measure("friedman_dev", [0, 1, 2], budgets=(40,))
    default, typiclust, random = m[(40, "pool")], m[(40, "typiclust")], m[(40, "random")]
    # typicality x novelty: labelled + picked leave the pool's items nearer to
    # them on average (the inputs) and a smaller cover radius (the unit
    # vectors) than TypiClust's k-means cells or Random
    assert default[2] < typiclust[2] and default[2] < random[2]
    assert default[0] < typiclust[0] and default[0] < random[0]
    # yet they are still drawn from the typical part of the pool, not its outliers
    assert default[4] > 0.85 > 0.6 > random[4]
    # and the default's picks are at least the auto radius apart
    assert default[5] >= default[6]
