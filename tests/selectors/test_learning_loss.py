import numpy as np
import pytest
import torch

import gcnal
from gcnal.selectors import closest_to_margin, learning_loss


def test_highest_predicted_loss_first_ties_to_lowest_index():
    loss = torch.tensor([0.2, 3.0, -1.0, 3.0, 0.7])
    labelled = torch.tensor([False, False, False, False, True])
    assert learning_loss(loss, None, labelled, 4)[0].tolist() == [1, 3, 0, 2]


def test_learning_loss_preset_picks_the_top_losses(pool):
    features, mask = pool
    loss = np.linspace(0, 1, len(mask)).astype(np.float32)
    picks = gcnal.select(features, mask, 3, method="learning_loss", predicted_loss=loss)
    assert picks.tolist() == [59, 58, 57]


@pytest.mark.parametrize("method", ["jls", "tjls"])
def test_jls_and_tjls_pick_labelled_scores_closest_to_s_margin(pool, method):
    features, mask = pool
    scores = np.linspace(0, 1, len(mask)).astype(np.float32)
    picks = gcnal.select(features, mask, 5, method=method, labelled_scores=scores)
    expected = closest_to_margin(torch.from_numpy(scores), None, torch.from_numpy(mask), 5)[0]
    assert picks.tolist() == expected.tolist()
    assert abs(scores[picks[0]] - 0.1) <= abs(scores[picks[-1]] - 0.1)


def test_missing_predicted_loss_names_the_parameter(pool):
    features, mask = pool
    with pytest.raises(gcnal.InvalidParameterError, match="predicted_loss"):
        gcnal.select(features, mask, 3, method="learning_loss")
