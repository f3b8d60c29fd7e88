"""Options belong to the methods that read them: checked exactly, listed with
their defaults, and the old keywords mapped onto them."""
import warnings

import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.methods import GraphOptions, TrainingOptions, resolve_method

METHODS = gcnal.available_methods()
ALL_OPTIONS = sorted({name for m in METHODS for name in gcnal.method_options(m)})
UNUSED = [(m, name) for m in METHODS for name in ALL_OPTIONS
          if name not in gcnal.method_options(m)]
GNN = [m for m in METHODS if m.startswith(("uncertain_", "core_"))]


def test_the_union_of_options_is_not_trivial():
    assert {"k", "epochs", "graph", "s_margin", "subset", "candidates", "heads",
            "uncertainty_weight"} <= set(ALL_OPTIONS)
    assert len(UNUSED) > len(METHODS) * 10


@pytest.mark.parametrize("method, name", UNUSED)
def test_an_option_the_method_does_not_read_is_an_error(method, name, pool, method_kwargs):
    features, mask = pool
    value = gcnal.method_options(next(m for m in METHODS
                                      if name in gcnal.method_options(m)))[name]["default"]
    own = sorted(gcnal.method_options(method))
    expected = f"'options'.*{method}.*unknown \\['{name}'\\]"
    with pytest.raises(InvalidParameterError, match=expected) as error:
        gcnal.select(features, mask, 2, method=method, options={name: value},
                     **method_kwargs(method, len(mask)))
    assert str(own) in str(error.value) or (not own and "it has none" in str(error.value))


@pytest.mark.parametrize("method", GNN)
def test_gnn_presets_have_the_papers_defaults(method):
    options = gcnal.method_options(method)
    defaults = {name: options[name]["default"] for name in
                ("hidden", "dropout", "epochs", "lr", "weight_decay", "lambda_unlabelled")}
    assert defaults == {"hidden": 128, "dropout": 0.3, "epochs": 200, "lr": 1e-3,
                        "weight_decay": 5e-4, "lambda_unlabelled": 1.2}
    assert options["graph"]["default"] == "auto" and options["subset"]["default"] is None
    if method.startswith("uncertain_"):
        assert options["s_margin"]["default"] == 0.1
    else:
        assert "s_margin" not in options


@pytest.mark.parametrize("method", METHODS)
def test_every_option_has_a_default_and_help(method):
    for name, option in gcnal.method_options(method).items():
        assert set(option) == {"default", "help"}
        assert option["help"] and "keyword argument of" not in option["help"], name


def test_selector_only_presets_own_their_selectors_keyword_only_options():
    options = gcnal.method_options("typical_diverse")
    assert {name: o["default"] for name, o in options.items()} == {
        "k": 20, "uncertainty_weight": "auto", "radius": "auto", "knn_backend": "auto",
        "cold_start": "auto"}
    assert options["k"]["help"] == "Neighbours for the typicality"
    assert list(gcnal.method_options("coreset")) == ["candidates"]
    assert gcnal.method_options("margin") == {}


def test_colliding_sampler_options_are_prefixed():
    gat = gcnal.method_options("core_gat")
    assert gat["k"]["default"] == 15 and gat["sampler_k"]["default"] == 10
    transformer = gcnal.method_options("uncertain_transformer")
    # no mini-batch training (no forward_rows): batch_size is the transformer's token batch
    assert transformer["batch_size"]["default"] == 128
    assert gcnal.method_options("uncertain_gcn")["batch_size"]["default"] == "auto"


def test_options_follow_a_replaced_selector_and_sampler(pool):
    features, mask = pool

    def farthest(scores, embeddings, labelled_mask, budget, *, generator=None, power: int = 1):
        """Farthest from the origin.

        Args:
            power (int): Exponent of the norm.
        """
        norms = embeddings.norm(dim=1).pow(power).masked_fill(labelled_mask, -1)
        return norms.argsort(descending=True, stable=True)[:budget]

    assert gcnal.method_options("coreset", selector=farthest) == {
        "power": {"default": 1, "help": "Exponent of the norm"}}
    picks = gcnal.select(features, mask, 3, method="coreset", selector=farthest,
                         options={"power": 2})
    assert picks.tolist() == gcnal.select(features, mask, 3, method="coreset",
                                          selector=farthest).tolist()
    with pytest.raises(InvalidParameterError, match="unknown \\['candidates'\\]"):
        gcnal.select(features, mask, 3, method="coreset", selector=farthest,
                     options={"candidates": 10})
    with pytest.raises(InvalidParameterError, match="'power'.*an int"):
        gcnal.select(features, mask, 3, method="coreset", selector=farthest,
                     options={"power": True})
    # a built sampler: nothing left to build it with, so no hidden/dropout/own options
    built = gcnal.samplers.GCNSampler(4, hidden_channels=8)
    options = gcnal.method_options("core_gcn", sampler=built)
    assert "hidden" not in options and "compute_dtype" not in options and "epochs" in options
    # a selector with a clashing name on a GNN preset
    assert "selector_k" in gcnal.method_options("core_gcn", selector="typiclust")


def test_a_newly_registered_selector_gets_its_options_for_free(pool):
    features, mask = pool

    def lowest_first(scores, embeddings, labelled_mask, budget, *, generator=None,
                     column: int = 0, scale: float = 1.0):
        """Lowest feature first.

        Args:
            column (int): Which feature. (default: :obj:`0`)
            scale (float): Multiplies it.
        """
        value = (embeddings[:, column] * scale).masked_fill(labelled_mask, float("inf"))
        return value.argsort(stable=True)[:budget]

    gcnal.register_selector("test_lowest_first", lowest_first, overwrite=True)
    gcnal.register_method("test_lowest", selector="test_lowest_first", overwrite=True)
    assert gcnal.method_options("test_lowest") == {
        "column": {"default": 0, "help": "Which feature"},
        "scale": {"default": 1.0, "help": "Multiplies it"}}
    picks = gcnal.select(features, mask, 3, method="test_lowest", options={"column": 1})
    unlabelled = np.flatnonzero(~mask)
    assert picks.tolist() == unlabelled[np.argsort(features[unlabelled, 1],
                                                   kind="stable")[:3]].tolist()
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(InvalidParameterError, match="'scale'.*finite real"):
            gcnal.select(features, mask, 3, method="test_lowest", options={"scale": bad})


@pytest.mark.parametrize("bad", ["k=3", [("k", 3)], {3: 1}])
def test_options_must_be_a_dict_of_names(pool, bad):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match="'options'.*dict"):
        gcnal.select(features, mask, 2, options=bad)


def test_info_lists_the_options_set(pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 4, method="coreset", seed=0,
                       options={"candidates": 40}, return_info=True)
    assert sel.info["options"] == {"candidates": 40}
    sel = gcnal.select(features, mask, 4, seed=0, return_info=True)
    assert sel.info["options"] == {} and sel.info["method"] == "typical_diverse"


@pytest.mark.parametrize("method, legacy, options", [
    ("uncertain_gcn", {"epochs": 20, "graph": "knn", "k": 5, "s_margin": 0.2},
     {"epochs": 20, "graph": "knn", "k": 5, "s_margin": 0.2}),
    ("core_gcn", {"epochs": 10, "subset": 30, "hidden": 16, "lr": 0.01},
     {"epochs": 10, "subset": 30, "hidden": 16, "lr": 0.01}),
    ("core_gat", {"epochs": 5, "k": 6, "sampler_options": {"heads": 2, "k": 4}},
     {"epochs": 5, "k": 6, "heads": 2, "sampler_k": 4}),
    ("uncertain_transformer", {"epochs": 5, "sampler_options": {"batch_size": 16}},
     {"epochs": 5, "batch_size": 16}),
    ("probcover", {"selector_options": {"delta": 0.05, "k": 10}}, {"delta": 0.05, "k": 10}),
    ("typical_diverse", {"selector_options": {"uncertainty_weight": 0.0}},
     {"uncertainty_weight": 0.0}),
])
def test_old_keywords_warn_and_pick_like_options(pool, method, legacy, options):
    features, mask = pool
    with pytest.warns(DeprecationWarning, match="deprecated; pass options="):
        old = gcnal.select(features, mask, 6, method=method, seed=0, return_info=True, **legacy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        new = gcnal.select(features, mask, 6, method=method, seed=0, options=options,
                           return_info=True)
    assert old.indices.tolist() == new.indices.tolist()
    assert old.info["options"] == new.info["options"] == options


@pytest.mark.parametrize("method, legacy, name", [
    ("typical_diverse", {"epochs": 1}, "epochs"),
    ("coreset", {"graph": "knn"}, "graph"),
    ("random", {"subset": 10}, "subset"),
    ("core_gcn", {"s_margin": 0.2}, "s_margin"),
    ("uncertain_transformer", {"batch_size": 64}, "batch_size"),
    ("core_gat", {"sampler_options": {"depth": 2}}, "sampler_options"),
    ("margin", {"selector_options": {"k": 3}}, "selector_options"),
])
def test_an_old_keyword_the_method_does_not_read_is_an_error(pool, method, legacy, name,
                                                             method_kwargs):
    features, mask = pool
    with pytest.raises(InvalidParameterError, match=f"'{name}'.*'{method}'"):
        gcnal.select(features, mask, 2, method=method, **legacy,
                     **method_kwargs(method, len(mask)))


def test_old_keywords_are_checked_like_options(pool):
    features, mask = pool
    with pytest.warns(DeprecationWarning), pytest.raises(InvalidParameterError, match="'k'"):
        gcnal.select(features, mask, 2, method="uncertain_gcn", k=0)
    with pytest.raises(InvalidParameterError, match="'epochs'.*given once"):
        gcnal.select(features, mask, 2, method="uncertain_gcn", epochs=3,
                     options={"epochs": 4})
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        gcnal.select(features, mask, 2, method="uncertain_gcn", epoch=3)


def test_option_dataclasses_check_themselves():
    assert GraphOptions().k == 15 and TrainingOptions().epochs == 200
    with pytest.raises(InvalidParameterError, match="'k'"):
        GraphOptions(k=0)
    with pytest.raises(InvalidParameterError, match="'lr'.*finite"):
        TrainingOptions(lr=float("inf"))
    with pytest.raises(InvalidParameterError, match="'hidden'"):
        TrainingOptions(hidden=True)
    with pytest.raises(AttributeError):
        GraphOptions().k = 3
    assert TrainingOptions(dropout=0).dropout == 0.0 and \
        isinstance(TrainingOptions(dropout=0).dropout, float)


def test_resolved_method_kinds():
    assert type(resolve_method("coreset")).__name__ == "SelectorMethod"
    assert type(resolve_method("coreset", sampler="gcn")).__name__ == "GNNMethod"
    with pytest.raises(InvalidParameterError, match="'selector'"):
        resolve_method("coreset", selector=3)
    with pytest.raises(gcnal.UnknownNameError, match="'sampler'"):
        resolve_method("coreset", sampler="gcnn")
    assert isinstance(gcnal.method_options("core_gcn", sampler=torch.nn.Linear(2, 2)), dict)


INT_OPTIONS = [(m, name) for m in METHODS for name, o in gcnal.method_options(m).items()
               if type(o["default"]) is int]
REAL_OPTIONS = [(m, name) for m in METHODS for name, o in gcnal.method_options(m).items()
                if type(o["default"]) is float]


@pytest.mark.parametrize("method, name", INT_OPTIONS)
def test_int_options_refuse_bools_and_floats(method, name, pool, method_kwargs):
    features, mask = pool
    for bad in (True, 2.5):
        with pytest.raises(InvalidParameterError, match=f"'{name}'.*int"):
            gcnal.select(features, mask, 2, method=method, options={name: bad},
                         **method_kwargs(method, len(mask)))


@pytest.mark.parametrize("method, name", REAL_OPTIONS)
def test_real_options_refuse_nan_inf_and_bools(method, name, pool, method_kwargs):
    features, mask = pool
    for bad in (float("nan"), float("inf"), -float("inf"), True):
        with pytest.raises(InvalidParameterError, match=f"'{name}'.*real number"):
            gcnal.select(features, mask, 2, method=method, options={name: bad},
                         **method_kwargs(method, len(mask)))


def test_an_old_keyword_naming_an_option_of_another_role_says_where_it_goes(pool):
    """``knn_backend=`` was the graph's; the default method builds no graph
    but has a typicality ``knn_backend`` of its own: the error says to pass
    it in options, and that call works."""
    features, mask = pool
    with pytest.raises(InvalidParameterError,
                       match=r"'knn_backend'.*graph setting.*options=\{'knn_backend'"):
        gcnal.select(features, mask, 2, knn_backend="ivf")
    assert len(gcnal.select(features, mask, 2, options={"knn_backend": "ivf"})) == 2
