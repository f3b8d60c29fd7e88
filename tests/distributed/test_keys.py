"""The counter-based keys behind sharded random sampling."""
import torch

from gcnal.distributed.keys import random_keys


def test_keys_are_splitmix64_outputs_without_the_top_bit():
    # SplitMix64 seeded with 0: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
    expected = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert random_keys(0, torch.arange(3)).tolist() == [e & (2**63 - 1) for e in expected]


def test_a_key_depends_on_the_seed_and_the_global_index_only():
    index = torch.arange(1000, 1100)
    assert torch.equal(random_keys(5, index)[10:20], random_keys(5, index[10:20]))
    assert not torch.equal(random_keys(5, index), random_keys(6, index))
    assert bool((random_keys(2**64 - 1, index) >= 0).all())


def test_the_smallest_keys_are_a_uniform_sample():
    # each of 20 items is among the 5 smallest keys in about 1/4 of 4,000 seeds
    index = torch.arange(20)
    hits = torch.zeros(20)
    for seed in range(4000):
        hits[random_keys(seed, index).topk(5, largest=False).indices] += 1
    assert bool(((hits / 4000 - 0.25).abs() < 0.035).all()), hits / 4000
