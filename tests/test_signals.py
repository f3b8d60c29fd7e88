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


@pytest.mark.parametrize("method", gcnal.available_methods())
@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_every_method_accepts_every_signal(method, signal, pool, make_signal, method_kwargs,
                                           fast_options):
    features, mask = pool
    kwargs = {**method_kwargs(method, len(mask)), signal: make_signal(signal, len(mask), 1)}
    sel = gcnal.select(features, mask, 4, method=method, seed=0, return_info=True,
                       options=fast_options(method, epochs=3), **kwargs)
    assert len(set(sel.indices.tolist())) == 4 and not mask[sel.indices].any()
    reads = gcnal.registry.METHODS.resolve(method).signal
    assert sel.info["signals_used"] == ([reads] if reads in kwargs else [])


def test_a_signal_that_is_not_read_changes_nothing(pool, make_signal):
    features, mask = pool
    for signal in SIGNALS:
        given = gcnal.select(features, mask, 5, method="coreset", seed=0,
                             **{signal: make_signal(signal, len(mask))})
        assert given.tolist() == gcnal.select(features, mask, 5, method="coreset",
                                              seed=0).tolist()


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_a_bad_signal_is_an_error_even_where_unread(signal, pool):
    features, mask = pool
    with pytest.raises(gcnal.InvalidParameterError, match=f"'{signal}'"):
        gcnal.select(features, mask, 3, method="coreset", **{signal: np.ones(3)})


def test_the_default_method_reads_probs_when_given(pool, make_signal):
    features, mask = pool
    probs = make_signal("probs", len(mask))
    with_probs = gcnal.select(features, mask, 5, probs=probs, seed=0, return_info=True)
    without = gcnal.select(features, mask, 5, seed=0, return_info=True)
    assert with_probs.info["signals_used"] == ["probs"] and without.info["signals_used"] == []


def test_the_select_docstring_lists_every_signal_from_the_table():
    doc = " ".join(gcnal.select.__doc__.split())
    for signal in SIGNALS.values():
        entry = f"``{signal.name}`` :math:`{signal.shape}`: {signal.help} ("
        assert entry in doc
        # the presets that read it, as registered when gcnal was imported
        readers = doc.split(entry, 1)[1].split(")", 1)[0].split(", ")
        assert readers and all(gcnal.registry.METHODS.resolve(r).signal == signal.name
                               for r in readers)


def test_missing_signal_is_an_error(pool):
    features, mask = pool
    with pytest.raises(gcnal.InvalidParameterError, match="probs"):
        gcnal.select(features, mask, 3, method="entropy")


def test_register_method_checks_the_signal_name():
    with pytest.raises(gcnal.InvalidParameterError, match="signal"):
        gcnal.register_method("uses_logits", selector="entropy", signal="logits")
