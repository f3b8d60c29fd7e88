"""Selection: the picks with what decided them, in the input's array type,
printable, JSON-able and saved to a file that loads back."""
import json
import os

import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError, Selection


def _select(features, mask, **kwargs):
    return gcnal.select(features, mask, 7, method="typical_diverse", seed=0, return_info=True,
                        **kwargs)


def test_numpy_input_gives_numpy_in_every_field(pool, make_signal):
    features, mask = pool
    sel = _select(features, mask, probs=make_signal("probs", 60))
    for name in ("indices", "nodes", "scores", "embeddings"):
        assert isinstance(getattr(sel, name), np.ndarray), name
    assert set(sel.pick_scores) == {"typicality", "uncertainty", "weight", "score", "radius"}
    assert all(isinstance(c, np.ndarray) and c.shape == (7,) for c in sel.pick_scores.values())
    assert sel.indices.dtype == np.int64 and sel.nodes.dtype == np.int64


def test_torch_input_gives_tensors_in_every_field(pool):
    features, mask = pool
    sel = _select(torch.from_numpy(features), torch.from_numpy(mask))
    for name in ("indices", "nodes", "embeddings"):
        assert isinstance(getattr(sel, name), torch.Tensor), name
    assert all(isinstance(c, torch.Tensor) for c in sel.pick_scores.values())


def test_pick_scores_explain_the_picks(pool):
    features, mask = pool
    sel = gcnal.select(features, mask, 5, method="coreset", seed=0, return_info=True)
    x = features.astype(np.float64)
    centres = list(np.flatnonzero(mask))
    for pick, distance in zip(sel.indices, sel.pick_scores["distance"]):
        nearest = np.linalg.norm(x[centres] - x[pick], axis=1).min()
        assert distance == pytest.approx(nearest, rel=1e-3)
        centres.append(pick)


def test_repr_is_short_on_a_large_pool():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(5000, 16)).astype(np.float32)
    mask = np.zeros(5000, dtype=bool)
    mask[:50] = True
    sel = gcnal.select(features, mask, 400, method="coreset", seed=0, return_info=True)
    text = repr(sel)
    assert len(text) < 300 and "\n" not in text
    assert "method='coreset'" in text and "budget=400" in text and "'distance'" in text
    assert text.count(",") < 20 and f"indices=[{sel.indices[0]}, " in text and "...]" in text
    assert "select=" in text  # the timings


def test_to_dict_is_strict_json_with_every_field(pool):
    features, mask = pool
    sel = gcnal.select(features, np.zeros(60, dtype=bool), 4, method="coreset", seed=0,
                       return_info=True)
    assert sel.pick_scores["distance"][0] == np.inf  # cold start: no centre yet
    data = json.loads(json.dumps(sel.to_dict(), allow_nan=False))
    assert set(data) == {"indices", "nodes", "scores", "embeddings", "pick_scores", "timings",
                         "info", "losses"}
    assert data["indices"] == sel.indices.tolist()
    assert data["pick_scores"]["distance"][0] is None
    assert data["pick_scores"]["distance"][1:] == pytest.approx(
        sel.pick_scores["distance"][1:].tolist())
    assert data["info"]["method"] == "coreset"
    assert np.allclose(np.array(data["embeddings"]), sel.embeddings)


def _assert_same(a: Selection, b: Selection):
    for name in ("indices", "nodes", "scores", "embeddings"):
        x, y = getattr(a, name), getattr(b, name)
        assert type(x) is type(y), name
        assert (x is None and y is None) or np.array_equal(np.asarray(x), np.asarray(y)), name
    assert list(a.pick_scores) == list(b.pick_scores)
    for name in a.pick_scores:
        assert np.array_equal(np.asarray(a.pick_scores[name]), np.asarray(b.pick_scores[name]))
    assert a.timings == b.timings and a.info == b.info and a.losses == b.losses


@pytest.mark.parametrize("as_torch", [False, True], ids=["numpy", "torch"])
def test_save_and_load_round_trip(pool, make_signal, tmp_path, as_torch):
    features, mask = pool
    probs = make_signal("probs", 60)
    if as_torch:
        features, mask, probs = map(torch.from_numpy, (features, mask, probs))
    sel = _select(features, mask, probs=probs)
    path = tmp_path / "round.npz"
    sel.save(path)
    assert sorted(os.listdir(tmp_path)) == ["round.npz"]  # no temporary file left
    again = Selection.load(path)
    _assert_same(sel, again)
    assert repr(again) == repr(sel)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays, no pickles
        assert "pick_scores/typicality" in archive.files


def test_cold_start_infinity_and_entropy_round_trip(pool, make_signal, tmp_path):
    features, mask = pool
    sel = gcnal.select(features, np.zeros(60, dtype=bool), 3, method="coreset", seed=0,
                       return_info=True)
    sel.save(tmp_path / "s.npz")
    assert Selection.load(tmp_path / "s.npz").pick_scores["distance"][0] == np.inf
    sel = gcnal.select(features, mask, 3, method="entropy", probs=make_signal("probs", 60),
                       return_info=True)
    sel.save(tmp_path / "e.npz")
    _assert_same(sel, Selection.load(tmp_path / "e.npz"))


def test_load_refuses_other_files(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(3))
    with pytest.raises(InvalidParameterError, match="'path'.*Selection.save"):
        Selection.load(tmp_path / "a.npy")
    np.savez(tmp_path / "b.npz", indices=np.arange(3))
    with pytest.raises(InvalidParameterError, match="'path'.*Selection.save"):
        Selection.load(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", indices=np.arange(3), meta=np.array("{not json"))
    with pytest.raises(InvalidParameterError, match="'path'.*gcnal.Selection/1"):
        Selection.load(tmp_path / "c.npz")


def test_a_plug_in_selector_may_return_columns_and_wrong_lengths_are_refused(pool):
    features, mask = pool

    def first_unlabelled(scores, embeddings, labelled_mask, budget, *, generator=None):
        picks = torch.nonzero(~labelled_mask, as_tuple=True)[0][:budget]
        return picks, {"rank": torch.arange(budget)}

    sel = gcnal.select(features, mask, 4, selector=first_unlabelled, return_info=True)
    assert sel.indices.tolist() == [12, 13, 14, 15]
    assert sel.pick_scores["rank"].tolist() == [0, 1, 2, 3]

    def too_short(scores, embeddings, labelled_mask, budget, *, generator=None):
        picks = torch.nonzero(~labelled_mask, as_tuple=True)[0][:budget]
        return picks, {"rank": torch.arange(budget - 1)}

    with pytest.raises(InvalidParameterError, match=r"'selector'.*\(4,\).*'rank'"):
        gcnal.select(features, mask, 4, selector=too_short)
