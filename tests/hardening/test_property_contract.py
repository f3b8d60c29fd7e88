"""Property-based check of select's contract over every registered method.

For any pool (features of any scale from 1e-30 to 1e30, signed or not, with
duplicate and zero rows, d from 1 to 2N), any mask and any budget, a method
either returns exactly ``budget`` unique unlabelled int64 indices or raises a
ValueError that names the offending parameter; never a bad selection and never
a raw traceback.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gcnal

#: Examples per method: the suite runs every registered method (24 today)
#: on pools of at most 30 items, GNN samplers with 2 epochs.
EXAMPLES = 40


@st.composite
def pools(draw):
    n = draw(st.integers(2, 30))
    d = draw(st.integers(1, min(2 * n, 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, d))
    if not draw(st.booleans()):
        x = np.abs(x)
    rows = st.integers(0, n - 1)
    for _ in range(draw(st.integers(0, n // 2))):  # duplicates
        x[draw(rows)] = x[draw(rows)]
    for _ in range(draw(st.integers(0, n // 3))):  # all-zero rows
        x[draw(rows)] = 0.0
    x = (x * 10.0 ** draw(st.integers(-30, 30))).astype(np.float32)
    mask = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]))
    num_unlabelled = int((~mask).sum())
    if draw(st.integers(0, 4)) == 0:  # now and then a budget out of range
        budget = draw(st.sampled_from([0, num_unlabelled + 1]))
    else:
        budget = draw(st.integers(1, max(num_unlabelled, 1)))
    return x, mask, budget, draw(st.integers(0, 2**16))


@pytest.mark.parametrize("method", gcnal.available_methods())
def test_select_keeps_its_contract_or_names_the_parameter(method, method_kwargs, fast_options):
    options = fast_options(method, epochs=2)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(pools())
    def check(pool):
        x, mask, budget, seed = pool
        try:
            picks = gcnal.select(x, mask, budget, method=method, seed=seed, options=options,
                                 **method_kwargs(method, x.shape[0], seed))
        except ValueError as err:
            assert getattr(err, "parameter", None), \
                f"{type(err).__name__} names no parameter: {err}"
            assert err.parameter in str(err)
            return
        assert isinstance(picks, np.ndarray) and picks.dtype == np.int64
        assert picks.shape == (budget,)
        assert np.unique(picks).size == budget, f"repeated picks {picks}"
        assert ((picks >= 0) & (picks < x.shape[0])).all()
        assert not mask[picks].any(), f"labelled picks {picks[mask[picks]]}"

    check()
