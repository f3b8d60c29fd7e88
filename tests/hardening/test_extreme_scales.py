"""Greedy selectors at extreme feature scales, and the final check of every selection."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal.errors import InvalidSelectionError
from gcnal.scaling import power_of_two_scale, rows_divided_by_power_of_two
from gcnal.selectors.kcenter import k_center_greedy_picks
from gcnal.selectors.kmeans import kmeans_plus_plus
from gcnal.selectors.typical_diverse import typical_diverse

DISTANCE_METHODS = ["coreset", "typical_diverse", "probcover", "typiclust", "featprop"]


def _signed_pool(n=60, d=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    mask = np.zeros(n, dtype=bool)
    mask[:5] = True
    return x, mask


@pytest.mark.parametrize("method", DISTANCE_METHODS)
@pytest.mark.parametrize("scale", [1e20, 1e30, 1e-20, 1e-30])
def test_distance_methods_pick_the_same_at_any_feature_scale(method, scale):
    # the case: coreset at 1e20 returned [30, 0, 1, 0, 1, ...] (repeats, labelled)
    x, mask = _signed_pool()
    reference = gcnal.select(x, mask, 10, method=method, seed=0)
    scaled = gcnal.select(x * np.float32(scale), mask, 10, method=method, seed=0)
    np.testing.assert_array_equal(scaled, reference)


def test_k_center_never_picks_a_centre_or_repeats_even_on_nan_points():
    points = torch.randn(30, 4)
    points[3] = float("nan")  # a NaN row: its distance to everything is NaN
    centres = torch.zeros(30, dtype=torch.bool)
    centres[:4] = True
    picks, _ = k_center_greedy_picks(points, centres, 26)
    assert picks.unique().numel() == 26
    assert not centres[picks].any()


def test_typical_diverse_ends_on_nan_distances_with_a_valid_selection():
    # all-NaN embeddings used to loop forever once the radius reached -1
    embeddings = torch.full((20, 3), float("nan"))
    mask = torch.zeros(20, dtype=torch.bool)
    mask[:2] = True
    picks, _ = typical_diverse(None, embeddings, mask, 6,
                               generator=torch.Generator().manual_seed(0), k=3)
    assert picks.unique().numel() == 6 and not mask[picks].any()


def test_kmeans_plus_plus_seeds_are_distinct_with_infinite_distances():
    points = torch.randn(12, 2)
    points[0] = float("inf")
    seeds = kmeans_plus_plus(points, 6, torch.Generator().manual_seed(1))
    assert seeds.unique().numel() == 6


def _constant_selector(picks):
    def bad_selector(scores, embeddings, labelled_mask, budget):
        return torch.as_tensor(picks)
    return bad_selector


@pytest.mark.parametrize("picks,problem", [
    ([5, 5, 6], "repeated"),
    ([0, 5, 6], "labelled"),
    ([5, 6], "shape"),
    ([5.0, 6.0, 7.0], "dtype"),
    ([5, 6, 600], "outside"),
])
def test_an_invalid_selector_output_is_an_error_naming_the_selector(picks, problem):
    x, mask = _signed_pool()
    with pytest.raises(InvalidSelectionError, match=f"'bad_selector'.*{problem}"):
        gcnal.select(x, mask, 3, method="coreset", selector=_constant_selector(picks), seed=0)


@pytest.mark.parametrize("scale", [1e20, 1e-20])
def test_k_center_reports_distances_at_the_features_scale(scale):
    x, mask = _signed_pool()
    plain = gcnal.select(x, mask, 10, method="coreset", seed=0, return_info=True)
    scaled = gcnal.select(x * np.float32(scale), mask, 10, method="coreset", seed=0,
                          return_info=True)
    np.testing.assert_allclose(np.asarray(scaled.pick_scores["distance"]),
                               np.asarray(plain.pick_scores["distance"]) * scale, rtol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rows_divided_by_power_of_two_are_ldexp_bit_for_bit_at_any_row_scale(dtype):
    # rows from 1e-30 to 1e30 (subnormal-adjacent and square-overflowing in float32)
    scales = torch.logspace(-30, 30, 13, dtype=torch.float64).to(dtype)
    points = torch.randn(13, 6, generator=torch.Generator().manual_seed(0), dtype=dtype) \
        * scales[:, None]
    points[4] = 0.0
    exponent = power_of_two_scale(points, dim=1)
    divided = rows_divided_by_power_of_two(points)
    assert divided.dtype == dtype
    assert torch.equal(divided, torch.ldexp(points, -exponent).to(dtype))
    assert (divided.abs().amax(dim=1)[torch.arange(13) != 4] >= 0.5).all()
    assert (divided.abs().amax(dim=1) < 1).all()
