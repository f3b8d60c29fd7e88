import math

import pytest
import torch

import gcnal
from gcnal.selectors import bald, entropy, mc_entropy, mutual_information

UNLABELLED = torch.zeros(2, dtype=torch.bool)
# item 0: every sample is uniform (aleatoric: uncertain, but the samples agree);
# item 1: the samples are confident and disagree (epistemic).
MC = torch.tensor([[[0.5, 0.5], [0.5, 0.5]],
                   [[0.9, 0.1], [0.1, 0.9]]])


def test_mutual_information_matches_hand_computation():
    h = lambda p: -sum(q * math.log(q) for q in p)  # noqa: E731
    expected = [0.0, h([0.5, 0.5]) - h([0.9, 0.1])]
    assert mutual_information(MC).tolist() == pytest.approx(expected, abs=1e-6)


def test_bald_prefers_disagreement_where_entropy_cannot_tell():
    assert bald(MC, None, UNLABELLED, 1)[0].tolist() == [1]
    # both items have a uniform mean prediction: mean-entropy ties -> lowest index
    assert mc_entropy(MC, None, UNLABELLED, 2)[0].tolist() == [0, 1]


def test_bald_beats_per_sample_entropy_on_the_classic_case():
    # item 0 is more uncertain on average but its samples agree
    mc = torch.tensor([[[0.45, 0.55], [0.55, 0.45]], [[0.95, 0.05], [0.2, 0.8]]])
    assert entropy(mc.mean(1), None, UNLABELLED, 1)[0].tolist() == [0]
    assert bald(mc, None, UNLABELLED, 1)[0].tolist() == [1]


def test_labelled_items_are_skipped():
    mc = MC.repeat(2, 1, 1)
    labelled = torch.tensor([False, True, False, False])
    assert bald(mc, None, labelled, 2)[0].tolist() == [3, 0]


def test_bald_through_select_with_mc_dropout_probs(pool, make_signal):
    features, mask = pool
    mc = make_signal("mc_probs", len(mask))
    picks = gcnal.select(features, mask, 4, method="bald", mc_probs=mc)
    mi = mutual_information(torch.from_numpy(mc))
    mi[torch.from_numpy(mask)] = -1
    assert picks.tolist() == mi.argsort(descending=True, stable=True)[:4].tolist()
