import numpy as np
import torch

from gcnal.selectors import entropy, least_confidence, margin

# The slide tables of ../shared/papers/active-learning-slides.md: D1..D4
PROBS = torch.tensor([[0.1, 0.2, 0.7], [0.33, 0.33, 0.34], [0.41, 0.39, 0.2], [0.3, 0.4, 0.3]])
UNLABELLED = torch.zeros(4, dtype=torch.bool)


def priorities(picks):
    """Query priority (1 = first) of D1..D4."""
    out = np.empty(4, dtype=int)
    out[picks.numpy()] = np.arange(1, 5)
    return out.tolist()


def test_least_confidence_matches_slide_table():
    assert priorities(least_confidence(PROBS, None, UNLABELLED, 4)[0]) == [4, 1, 3, 2]


def test_margin_matches_slide_table():
    assert priorities(margin(PROBS, None, UNLABELLED, 4)[0]) == [4, 1, 2, 3]


def test_entropy_matches_slide_table():
    assert priorities(entropy(PROBS, None, UNLABELLED, 4)[0]) == [4, 1, 3, 2]


def test_labelled_items_are_skipped_and_budget_respected():
    labelled = torch.tensor([False, True, False, False])
    assert entropy(PROBS, None, labelled, 2)[0].tolist() == [3, 2]


def test_entropy_handles_zero_probabilities():
    probs = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    assert entropy(probs, None, torch.zeros(2, dtype=torch.bool), 2)[0].tolist() == [1, 0]
