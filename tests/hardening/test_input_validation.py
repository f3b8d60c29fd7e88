"""Unusual inputs: converted, or refused with an InvalidParameterError naming the parameter."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal.errors import InvalidParameterError
from gcnal.validation import MAX_REPR


def _coreset(features, mask, seed=0):
    return gcnal.select(features, mask, 5, method="coreset", seed=seed)


@pytest.mark.parametrize("dtype", [np.longdouble, ">f4", ">f8", "<f8", np.float16, ">i8"])
def test_numeric_dtypes_are_converted_and_pick_as_float32(signed_pool, dtype):
    x, mask = signed_pool
    if np.dtype(dtype).kind == "i":
        x = np.round(x * 100)
    np.testing.assert_array_equal(_coreset(x.astype(dtype), mask),
                                  _coreset(x.astype(np.float16 if dtype == np.float16
                                                    else np.float32), mask))


@pytest.mark.parametrize("dtype", [str, object, np.complex64, "datetime64[s]", "V8"])
def test_non_numeric_features_are_refused_naming_features(signed_pool, dtype):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError, match="'features'") as err:
        _coreset(x.astype(dtype) if dtype != "datetime64[s]" else x.astype(np.int64).astype(dtype),
                 mask)
    assert err.value.parameter == "features"


@pytest.mark.parametrize("make_mask", [lambda m: m.astype(str), lambda m: m.astype(object),
                                       lambda m: "".join("1" if v else "0" for v in m)])
def test_a_string_mask_is_refused_naming_labelled_mask(signed_pool, make_mask):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError) as err:
        _coreset(x, make_mask(mask))
    assert err.value.parameter == "labelled_mask"


def test_a_big_endian_integer_mask_is_read_like_a_native_one(signed_pool):
    x, mask = signed_pool
    np.testing.assert_array_equal(_coreset(x, mask.astype(">i4")), _coreset(x, mask))


@pytest.mark.parametrize("seed", [2**64, -1, 10**400, 1.5, True],
                         ids=["2**64", "-1", "10**400", "1.5", "True"])
def test_seeds_outside_the_generators_range_are_refused_naming_seed(signed_pool, seed):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError) as err:
        _coreset(x, mask, seed=seed)
    assert err.value.parameter == "seed"
    assert len(str(err.value)) < 300


def test_the_largest_seed_works(signed_pool):
    x, mask = signed_pool
    assert len(gcnal.select(x, mask, 5, method="coreset", seed=2**64 - 1)) == 5


@pytest.mark.parametrize("method", gcnal.available_methods())
def test_features_and_signals_that_require_grad_are_detached(signed_pool, method, make_signal,
                                                             fast_options):
    # 13 of 22 methods raised raw autograd errors (out= matmuls, in-place updates)
    x, mask = signed_pool
    signal = gcnal.registry.METHODS.resolve(method).signal
    kwargs = {} if signal is None else \
        {signal: torch.tensor(make_signal(signal, 40), requires_grad=True)}
    features = torch.tensor(x, requires_grad=True)
    picks = gcnal.select(features, mask, 5, method=method, seed=0,
                         options=fast_options(method, epochs=2), **kwargs)
    plain = gcnal.select(torch.tensor(x), mask, 5, method=method, seed=0,
                         options=fast_options(method, epochs=2),
                         **{name: value.detach() for name, value in kwargs.items()})
    assert torch.equal(picks, plain)
    assert features.grad is None


def test_a_huge_python_list_error_is_short(signed_pool):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError, match="list of length 80000") as err:
        _coreset(x.tolist() * 2000, mask)  # the message was 3.9 MB
    assert len(str(err.value)) < 400


def test_long_reprs_are_cut(signed_pool):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError) as err:
        gcnal.select(x, mask, "x" * 10_000, method="coreset")
    assert err.value.parameter == "budget" and len(str(err.value)) < 200 + MAX_REPR


def test_float64_values_beyond_float32_are_reported_as_such(signed_pool):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError, match="float32's range") as err:
        _coreset(x.astype(np.float64) * 1e300, mask)
    assert err.value.parameter == "features" and "NaN" not in str(err.value)


@pytest.mark.parametrize("k", [0, -5, True, 2.5])
@pytest.mark.parametrize("graph", ["knn", "dense", "auto"])
def test_pool_graph_refuses_a_bad_k_for_every_graph(signed_pool, k, graph):
    # k=0 and k=-5 used to return a dense graph quietly
    x, _ = signed_pool
    with pytest.raises(InvalidParameterError, match="'k' parameter of pool_graph") as err:
        gcnal.pool_graph(x, graph=graph, k=k)
    assert err.value.parameter == "k"


@pytest.mark.parametrize("data", [[1, 2], {"x": 1}, None, torch.zeros(3)])
def test_to_networkx_on_something_else_than_a_pool_graph_names_data(data):
    with pytest.raises(InvalidParameterError) as err:
        gcnal.to_networkx(data)
    assert err.value.parameter == "data"


def test_to_networkx_refuses_a_non_finite_min_weight(signed_pool):
    x, _ = signed_pool
    with pytest.raises(InvalidParameterError) as err:
        gcnal.to_networkx(gcnal.pool_graph(x, graph="knn"), min_weight=float("nan"))
    assert err.value.parameter == "min_weight"
