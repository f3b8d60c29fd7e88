import numpy as np
import pytest
import torch

import gcnal
from gcnal.signals import SIGNALS


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_valid_signal_is_accepted_and_not_mutated(signal, make_signal):
    value = make_signal(signal, 7)
    before = value.copy()
    out = SIGNALS[signal](value, 7)
    assert out.dtype == torch.float32 and out.shape[0] == 7
    np.testing.assert_array_equal(value, before)


@pytest.mark.parametrize("signal, bad", [
    ("probs", np.full((7, 3), 0.5, np.float32)),             # rows sum to 1.5
    ("probs", np.ones((6, 3), np.float32) / 3),               # wrong length
    ("mc_probs", np.ones((7, 3), np.float32) / 3),            # 2-D, not (N, T, C)
    ("mc_probs", np.ones((7, 1, 3), np.float32) / 3),         # one sample only
    ("predicted_loss", np.ones((7, 1), np.float32)),          # 2-D
    ("predicted_loss", np.array([np.nan] * 7, np.float32)),   # NaN
    ("labelled_scores", np.full(7, 1.5, np.float32)),         # not a probability
    ("labelled_scores", np.zeros(7, bool)),                   # bool
])
def test_invalid_signal_names_the_parameter(signal, bad):
    with pytest.raises(gcnal.InvalidParameterError, match=signal):
        SIGNALS[signal](bad, 7)


def test_method_that_reads_no_signal_refuses_one(pool, make_signal):
    features, mask = pool
    for signal in SIGNALS:
        with pytest.raises(gcnal.InvalidParameterError, match=signal):
            gcnal.select(features, mask, 3, method="coreset",
                         **{signal: make_signal(signal, len(mask))})


def test_missing_signal_is_an_error(pool):
    features, mask = pool
    with pytest.raises(gcnal.InvalidParameterError, match="probs"):
        gcnal.select(features, mask, 3, method="entropy")


def test_register_method_checks_the_signal_name():
    with pytest.raises(gcnal.InvalidParameterError, match="signal"):
        gcnal.register_method("uses_logits", selector="entropy", signal="logits")
