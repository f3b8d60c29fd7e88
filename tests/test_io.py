import pickle

import numpy as np
import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.io import load_array, mask_from_array, save_array_atomic


def test_npy_and_pt_round_trip(tmp_path):
    a = np.arange(6, dtype=np.int64)
    save_array_atomic(a, tmp_path / "a.npy")
    save_array_atomic(a, tmp_path / "a.pt")
    assert np.array_equal(load_array(tmp_path / "a.npy", "x"), a)
    assert np.array_equal(load_array(tmp_path / "a.pt", "x"), a)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


class Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pwned')",))


def test_pickled_npy_is_refused_without_running_code(tmp_path):
    path = tmp_path / "evil.npy"
    np.save(path, np.array([Boom()], dtype=object), allow_pickle=True)
    with pytest.raises(InvalidParameterError, match="'features'.*could not be read safely"):
        load_array(path, "features")


def test_pickled_pt_is_refused_without_running_code(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump(Boom(), handle)
    with pytest.raises(InvalidParameterError, match="'features'.*could not be read safely"):
        load_array(path, "features")


def test_pt_holding_a_dict_is_refused(tmp_path):
    torch.save({"x": torch.zeros(2)}, tmp_path / "d.pt")
    with pytest.raises(InvalidParameterError, match="single tensor.*dict"):
        load_array(tmp_path / "d.pt", "features")


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(InvalidParameterError, match="'features'.*existing"):
        load_array(tmp_path / "nope.npy", "features")
    (tmp_path / "f.csv").write_text("1,2")
    with pytest.raises(InvalidParameterError, match=r"\.npy or \.pt"):
        load_array(tmp_path / "f.csv", "features")


def test_mask_from_mask_or_indices():
    assert mask_from_array(np.array([True, False, True]), 3).tolist() == [True, False, True]
    assert mask_from_array(np.array([0, 1, 1, 0]), 4).tolist() == [False, True, True, False]
    assert mask_from_array(np.array([4, 0]), 6).tolist() == [True, False, False, False, True,
                                                            False]
    assert not mask_from_array(np.array([], dtype=np.int64), 3).any()


def test_bad_index_lists():
    with pytest.raises(InvalidParameterError, match=r"'labelled'.*\[0, 4\].*to 7"):
        mask_from_array(np.array([1, 7]), 5)
    with pytest.raises(InvalidParameterError, match="unique"):
        mask_from_array(np.array([1, 1]), 5)
    with pytest.raises(InvalidParameterError, match="dtype float"):
        mask_from_array(np.array([0.5]), 5)
