import torch

from gcnal.selectors import random_sampling


def test_random_is_without_replacement_and_unlabelled_only():
    labelled = torch.zeros(100, dtype=torch.bool)
    labelled[::3] = True
    picks = random_sampling(None, None, labelled, 60, generator=torch.Generator().manual_seed(0))[0]
    assert picks.unique().numel() == 60
    assert not labelled[picks].any()


def test_random_depends_on_the_generator():
    labelled = torch.zeros(1000, dtype=torch.bool)
    a = random_sampling(None, None, labelled, 10, generator=torch.Generator().manual_seed(0))[0]
    b = random_sampling(None, None, labelled, 10, generator=torch.Generator().manual_seed(0))[0]
    c = random_sampling(None, None, labelled, 10, generator=torch.Generator().manual_seed(1))[0]
    assert torch.equal(a, b) and not torch.equal(a, c)
