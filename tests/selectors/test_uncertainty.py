import torch

from gcnal.selectors import closest_to_margin


def test_closest_to_margin_in_order_with_ties_to_lowest_index():
    scores = torch.tensor([0.9, 0.1, 0.5, 0.12, 0.08, 0.0])
    labelled = torch.tensor([True, True, False, False, False, False])
    # |s - 0.1|: item3 0.02, item4 0.02 (tie: lower index first), item5 0.1, item2 0.4
    assert closest_to_margin(scores, None, labelled, 4)[0].tolist() == [3, 4, 5, 2]


def test_s_margin_moves_the_target():
    scores = torch.tensor([0.9, 0.5, 0.1])
    none = torch.zeros(3, dtype=torch.bool)
    assert closest_to_margin(scores, None, none, 1, s_margin=0.95)[0].tolist() == [0]
