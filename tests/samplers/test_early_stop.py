"""Early stopping: the sampler's training ends once its would-be picks settle,
with the picks of the full training, deterministically."""
import pytest
import torch

import gcnal
from gcnal import CosineAdjacency, InvalidParameterError
from gcnal.methods import TrainingOptions
from gcnal.samplers import GCNSampler, train_sampler
from gcnal.samplers.early_stop import CHECK_EVERY, PATIENCE, PickWatch


def _train(clustered_pool, picks, threshold, epochs=200):
    x, labelled, _ = clustered_pool()
    adj = CosineAdjacency(x)
    watch = PickWatch(picks, threshold)
    losses = train_sampler(GCNSampler(16, cached=True), adj.vectors, adj, labelled,
                           epochs=epochs, generator=torch.Generator().manual_seed(0),
                           early_stop=watch)
    return losses, watch


def test_picks_that_never_change_stop_after_patience_checks(clustered_pool):
    losses, watch = _train(clustered_pool, lambda scores: torch.arange(5), 1.0)
    # the first check has nothing to compare with; then PATIENCE checks at 100%
    assert len(losses) == CHECK_EVERY * (PATIENCE + 1) == watch.stopped_at
    assert watch.history == [(CHECK_EVERY * (i + 2), 1.0) for i in range(PATIENCE)]


def test_picks_that_keep_changing_train_every_epoch(clustered_pool):
    flips = iter(range(1000))
    losses, watch = _train(clustered_pool, lambda scores: torch.arange(5) + 5 * (next(flips) % 2),
                           0.5, epochs=60)
    assert len(losses) == 60 and watch.stopped_at is None
    assert [overlap for _, overlap in watch.history] == [0.0] * 5


@pytest.mark.parametrize("method", ["uncertain_gcn", "core_gcn"])
def test_early_stop_is_the_training_cut_short_at_its_stopping_epoch(clustered_pool, method):
    # the checks draw nothing from the generator: stopping after e epochs picks exactly
    # what a training of e epochs picks
    x, labelled, _ = clustered_pool(n=400)
    runs = [gcnal.select(x, labelled, 20, method=method, seed=0, return_info=True,
                         options={"early_stop": 0.5}) for _ in range(2)]
    assert torch.equal(runs[0].indices, runs[1].indices)  # deterministic
    stopped = len(runs[0].losses)
    assert stopped < 200 and stopped % CHECK_EVERY == 0
    assert f"stopped after {stopped} of 200 epochs" in runs[0].info["training"]
    cut = gcnal.select(x, labelled, 20, method=method, seed=0, return_info=True,
                       options={"epochs": stopped})
    assert torch.equal(runs[0].indices, cut.indices) and runs[0].losses == cut.losses


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.5, float("nan"), True, "yes"])
def test_early_stop_is_a_threshold_in_zero_one(bad):
    with pytest.raises(InvalidParameterError, match="'early_stop'"):
        TrainingOptions(early_stop=bad)
    assert TrainingOptions(early_stop=1).early_stop == 1.0 and TrainingOptions().early_stop is None
