import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError, UnknownNameError
from gcnal import registry
from gcnal.registry import Registry, normalize_name


@pytest.fixture(autouse=True)
def restored_registries():
    """The presets these tests register are gone after each test, so later
    tests (and the README's list of every method) see the built-in ones."""
    saved = [(reg, dict(reg._entries), dict(reg._names))
             for reg in (registry.METHODS, registry.SELECTORS, registry.SAMPLERS)]
    yield
    for reg, entries, names in saved:
        reg._entries, reg._names = entries, names


def test_normalize_name():
    assert normalize_name("Uncertain-GCN") == normalize_name("uncertain_gcn") == "uncertaingcn"


def test_registry_miss_lists_choices():
    reg = Registry("widget")
    reg.register("alpha", 1)
    reg.register("beta", 2)
    with pytest.raises(UnknownNameError, match=r"'widget'.*\['alpha', 'beta'\].*Got 'gamma'"):
        reg.resolve("gamma")


def test_registry_refuses_silent_overwrite():
    reg = Registry("widget")
    reg.register("alpha", 1)
    with pytest.raises(InvalidParameterError, match="overwrite=True"):
        reg.register("ALPHA", 2)
    reg.register("alpha", 3, overwrite=True)
    assert reg.resolve("Alpha") == 3


def farthest_from_origin(scores, embeddings, labelled_mask, budget, *, generator=None):
    norms = embeddings.norm(dim=1).masked_fill(labelled_mask, -1)
    return norms.argsort(descending=True, stable=True)[:budget]


class MeanSampler(torch.nn.Module):
    """A plug-in sampler without graph layers: scores from a linear map."""

    def __init__(self, in_channels, hidden_channels=4):
        super().__init__()
        self.lin = torch.nn.Linear(in_channels, hidden_channels)
        self.out = torch.nn.Linear(hidden_channels, 1)

    def embed(self, x, adj):
        return torch.relu(self.lin(adj @ x))

    def forward(self, x, adj):
        return self.out(self.embed(x, adj)).squeeze(-1)


def test_plug_in_selector_object_and_registered(pool):
    features, mask = pool
    direct = gcnal.select(features, mask, 3, method="coreset", selector=farthest_from_origin)
    expected = np.argsort(-np.where(mask, -1, np.linalg.norm(features, axis=1)), kind="stable")
    assert direct.tolist() == expected[:3].tolist()
    gcnal.register_method("far_test", selector=farthest_from_origin, overwrite=True)
    assert "far_test" in gcnal.available_methods()
    assert gcnal.select(features, mask, 3, method="far_test").tolist() == direct.tolist()


def test_plug_in_sampler_by_class_and_name(pool):
    features, mask = pool
    gcnal.register_sampler("mean_test", MeanSampler, overwrite=True)
    gcnal.register_method("uncertain_mean_test", sampler="mean_test",
                          selector="closest_to_margin", overwrite=True)
    assert "dropout" not in gcnal.method_options("uncertain_mean_test")  # MeanSampler has none
    sel = gcnal.select(features, mask, 4, method="uncertain_mean_test", seed=0,
                       options={"epochs": 5, "hidden": 3}, return_info=True)
    assert sel.embeddings.shape == (60, 3)
    assert len(set(sel.indices.tolist())) == 4 and not mask[sel.indices].any()
    obj = gcnal.select(features, mask, 4, method="uncertain_gcn", sampler=MeanSampler(4),
                       seed=0, options={"epochs": 5})
    assert len(set(obj.tolist())) == 4


def test_optional_signal_preset_runs_with_and_without_it(pool):
    features, labelled = pool[0], pool[1]
    seen = []

    def spy(scores, embeddings, labelled_mask, budget, *, generator=None):
        seen.append(scores)
        return torch.nonzero(~labelled_mask, as_tuple=True)[0][:budget]

    gcnal.register_method("test_optional_probs", selector=spy, signal="probs",
                          signal_required=False, overwrite=True)
    n = len(labelled)
    probs = np.full((n, 3), 1 / 3)
    gcnal.select(features, labelled, 2, method="test_optional_probs")
    gcnal.select(features, labelled, 2, method="test_optional_probs", probs=probs)
    assert seen[0] is None and tuple(seen[1].shape) == (n, 3)
    with pytest.raises(InvalidParameterError, match="'probs'"):
        gcnal.select(features, labelled, 2, method="test_optional_probs", probs=probs[:-1])


def test_signal_required_must_be_a_bool():
    with pytest.raises(InvalidParameterError, match="'signal_required' parameter of register_method"):
        gcnal.register_method("test_bad_flag", selector="random", signal="probs",
                              signal_required="no")
