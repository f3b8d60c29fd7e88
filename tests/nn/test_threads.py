"""one_thread: the greedy loops run on one torch thread and give the picks
they give on every thread, and the caller's thread count comes back."""
import pytest
import torch

from gcnal.nn import one_thread
from gcnal.selectors import k_center_greedy_indices


@pytest.fixture
def two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


def test_the_thread_count_comes_back_even_after_an_error(two_threads):
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="inside"):
        with one_thread():
            raise RuntimeError("inside")
    assert torch.get_num_threads() == 2


def test_k_center_picks_the_same_on_one_thread_and_two(two_threads):
    g = torch.Generator().manual_seed(0)
    means = torch.randn(12, 64, generator=g) * 3
    points = torch.relu(means[torch.randint(12, (4000,), generator=g)]
                        + torch.randn(4000, 64, generator=g))
    centres = torch.zeros(4000, dtype=torch.bool)
    centres[torch.randperm(4000, generator=g)[:800]] = True
    on_two = k_center_greedy_indices(points, centres, 200)
    assert torch.get_num_threads() == 2  # the selection restored it
    torch.set_num_threads(1)
    assert torch.equal(k_center_greedy_indices(points, centres, 200), on_two)
