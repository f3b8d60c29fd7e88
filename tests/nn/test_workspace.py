import torch

from gcnal.nn import Workspace


def test_workspace_lends_a_buffer_once_and_reuses_it_when_given_back():
    space = Workspace()
    first = space.take("hidden", (4, 3), torch.float32, "cpu")
    space.give_back("hidden")
    again = space.take("hidden", (2, 3), torch.float32, "cpu")  # fits: same memory
    assert again.data_ptr() == first.data_ptr() and again.shape == (2, 3)
    other = space.take("hidden", (2, 3), torch.float32, "cpu")  # lent: new memory
    assert other.data_ptr() != again.data_ptr()
