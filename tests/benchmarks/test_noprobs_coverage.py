"""Where the default's no-probs picks land on Friedman #1 (issue 14's loss)."""
from benchmarks import noprobs_coverage


def test_default_picks_sit_higher_in_pool_typicality_than_typiclusts():
    # columns: cover_unit, cover_x, mean_x, pick norm, typ_pct, separation, auto radius
    m = noprobs_coverage.measure("friedman_dev", [0], budgets=(20,))
    default, typiclust, random = m[(20, "pool")], m[(20, "typiclust")], m[(20, "random")]
    # the default takes the top of pool typicality (near-diagonal directions),
    # TypiClust each k-means cell's most typical item, Random the pool's spread
    assert default[4] > typiclust[4] > random[4]
    # both typicality-led selections lie farther from the pool's centre than Random's
    assert default[3] > random[3] and typiclust[3] > random[3]
    # and the default's picks are at least the auto radius apart
    assert default[5] >= default[6]
