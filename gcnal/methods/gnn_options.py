"""The options the GNN presets own: how the pool graph is built and how the
sampler is trained, as small validated frozen dataclasses."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from ..graph import GRAPHS, KNN_BACKENDS, NORMALIZATIONS
from ..errors import InvalidParameterError
from ..options import check_fields, choice, either, instance_of, integer, option_field, real
from ..registry import SELECTORS


def selector_name_or_function(value, name: str):
    """A registered selector name (an unknown one lists them) or a function."""
    if isinstance(value, str):
        SELECTORS.resolve(value, name)
    elif not callable(value):
        raise InvalidParameterError(name, "a registered selector name or a function",
                                    repr(value))
    return value


@dataclass(frozen=True)
class GraphOptions:
    """The pool graph (:func:`~gcnal.build_adjacency`). Checked on
    construction; each field is an option of every GNN preset."""

    graph: str = option_field(
        "auto", choice(GRAPHS),
        "The pool graph: 'dense' (cosine over all pairs), 'knn' (each item's k most "
        "similar items) or 'auto' (dense while exact-and-linear or under 1 GiB, else knn)")
    k: int = option_field(15, integer(1), "Neighbours per item of the kNN graph")
    knn_backend: str = option_field(
        "torch", choice(KNN_BACKENDS),
        "How the kNN graph is searched: 'torch' (exact), 'faiss' (exact), 'faiss-approx' (inverted lists, "
        "very large pools; needs gcnal[faiss]) or 'ivf' (inverted lists searched with matrix "
        "products, very large pools)")
    normalization: str = option_field(
        "row", choice(NORMALIZATIONS),
        "Adjacency normalisation: 'row' (D^-1 (S - I) + I) or 'column' (the original code's)")

    def __post_init__(self):
        check_fields(self)


@dataclass(frozen=True)
class TrainingOptions:
    """The sampler and its training (:func:`~gcnal.samplers.train_sampler`),
    with the paper's defaults. Checked on construction."""

    hidden: int = option_field(128, integer(1), "The sampler's hidden size")
    dropout: float = option_field(0.3, real(0.0, 1.0, high_open=True),
                                  "The sampler's dropout probability while training")
    epochs: int = option_field(200, integer(1), "Training epochs of the sampler")
    lr: float = option_field(1e-3, real(0.0, low_open=True), "Adam's learning rate")
    weight_decay: float = option_field(5e-4, real(0.0), "Adam's weight decay")
    lambda_unlabelled: float = option_field(
        1.2, real(0.0), "Weight of the unlabelled nodes in the sampler's loss")
    batch_size: Union[int, str, None] = option_field(
        "auto", either(choice(["auto"]), integer(1, allow_none=True)),
        "Nodes per training mini-batch: 'auto' (full batch up to 4,194,304 nodes, batches "
        "of 65,536 beyond), None (full batch) or an int; needs a kNN graph")
    early_stop: Optional[float] = option_field(
        None, either(instance_of(type(None), expected="None"), real(0.0, 1.0, low_open=True)),
        "Stop training before `epochs` once the would-be picks overlap this much (in (0, 1]) "
        "at two checks in a row, 10 epochs apart (the selector's own picks for "
        "closest_to_margin, else the top-budget scores); None: every epoch")

    def __post_init__(self):
        check_fields(self)


@dataclass(frozen=True)
class PoolOptions:
    """Which nodes the sampler sees and what runs when none is labelled."""

    subset: Optional[int] = option_field(
        None, integer(1, allow_none=True),
        "Score only this many random unlabelled items (plus every labelled one; the paper: "
        "10000); None: the whole pool")
    cold_start: object = option_field(
        "k_center", selector_name_or_function,
        "The selector (name or function) that picks when nothing is labelled, on the "
        "graph-propagated features")

    def __post_init__(self):
        check_fields(self)
