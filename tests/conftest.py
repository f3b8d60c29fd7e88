import numpy as np
import pytest
import torch

import gcnal

def synthetic_signal(signal, num_items, seed=0):
    """A valid random learner signal (see gcnal.signals) for ``num_items`` items."""
    rng = np.random.default_rng(seed)
    if signal == "probs":
        return rng.dirichlet(np.ones(4), size=num_items).astype(np.float32)
    if signal == "mc_probs":
        return rng.dirichlet(np.ones(4), size=(num_items, 5)).astype(np.float32)
    if signal == "predicted_loss":
        return rng.normal(size=num_items).astype(np.float32)
    if signal == "labelled_scores":
        return rng.uniform(size=num_items).astype(np.float32)
    raise ValueError(signal)


def _method_kwargs(method, num_items, seed=0):
    """Extra inputs a method needs (its learner signal, e.g. probs)."""
    signal = gcnal.registry.METHODS.resolve(method).signal
    return {} if signal is None else {signal: synthetic_signal(signal, num_items, seed)}


def _fast_options(method, epochs=20):
    """Options that keep a method quick in tests: few sampler epochs for the
    GNN presets (the methods that train a sampler), none for the others."""
    return {"epochs": epochs} if "lambda_unlabelled" in gcnal.method_options(method) else {}


@pytest.fixture(scope="session")
def fast_options():
    """``fast_options(method, epochs=20)``: options that keep a method quick."""
    return _fast_options


@pytest.fixture
def pool():
    """Two clusters of non-negative features, 60 items, 12 labelled from the first."""
    rng = np.random.default_rng(0)
    a = rng.normal(loc=(3, 0, 0, 1), scale=0.5, size=(30, 4))
    b = rng.normal(loc=(0, 3, 1, 0), scale=0.5, size=(30, 4))
    features = np.abs(np.concatenate([a, b])).astype(np.float32)
    mask = np.zeros(60, dtype=bool)
    mask[:12] = True
    return features, mask


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


@pytest.fixture(scope="session")
def method_kwargs():
    """``method_kwargs(method, num_items)``: extra inputs a method needs."""
    return _method_kwargs


@pytest.fixture(scope="session")
def make_signal():
    """``make_signal(signal, num_items)``: a valid random learner signal."""
    return synthetic_signal
