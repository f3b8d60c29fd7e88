"""plot_selection draws pool, labelled and picked items on a 2-D PCA of the features."""
import subprocess
import sys

import numpy as np
import pytest

import gcnal
from gcnal.plot import project_2d

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    features = (data.data / 16.0).astype(np.float32)
    mask = np.zeros(len(features), dtype=bool)
    mask[np.random.default_rng(0).choice(len(features), 20, replace=False)] = True
    return features, mask, data.target


def test_projection_is_the_top_two_principal_components(digits):
    features = digits[0].astype(np.float64)
    centred = features - features.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    got = project_2d(digits[0])
    for axis in range(2):  # a principal direction is defined up to its sign
        assert np.allclose(np.abs(got[:, axis]), np.abs(expected[:, axis]), atol=1e-6)
    assert np.array_equal(got, project_2d(digits[0]))  # deterministic
    assert np.allclose(project_2d(digits[0][:, :1])[:, 1], 0)  # one feature: a line


def test_writes_a_png_coloured_by_class(digits, tmp_path):
    features, mask, labels = digits
    picks = gcnal.select(features, mask, 25, seed=0)
    ax = gcnal.plot_selection(features, mask, picks, labels=labels)
    pool, labelled, picked = ax.collections
    assert len(pool.get_offsets()) == len(features) - 20 - 25
    assert len(labelled.get_offsets()) == 20 and len(picked.get_offsets()) == 25
    points = project_2d(features)
    assert np.allclose(picked.get_offsets(), points[np.sort(picks)])
    colours = {tuple(c) for c in pool.get_facecolors()}
    assert len(colours) == 10  # one per digit class
    assert [t.get_text() for t in ax.texts] == [str(r) for r in range(1, 26)]
    path = tmp_path / "selection.png"
    ax.figure.savefig(path)
    plt.close(ax.figure)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_draws_on_a_given_axes_without_labels(digits, tmp_path):
    features, mask, _ = digits
    fig, (left, right) = plt.subplots(1, 2)
    picks = gcnal.select(features, mask, 40, method="coreset", seed=0)
    assert gcnal.plot_selection(features, mask, picks, ax=right) is right
    assert not left.collections and not right.texts  # over 30 picks: no numbers
    assert len({tuple(c) for c in right.collections[0].get_facecolors()}) == 1
    fig.savefig(tmp_path / "two.png")
    plt.close(fig)


def test_bad_picks_and_labels_name_the_parameter(digits):
    features, mask, labels = digits
    with pytest.raises(gcnal.InvalidParameterError, match="'picks'.*unique pool indices"):
        gcnal.plot_selection(features, mask, [0, 0])
    with pytest.raises(gcnal.InvalidParameterError, match="'picks'.*unique pool indices"):
        gcnal.plot_selection(features, mask, [len(features)])
    with pytest.raises(gcnal.InvalidParameterError, match="'labels'.*1797 non-negative"):
        gcnal.plot_selection(features, mask, [1], labels=labels[:10])
    with pytest.raises(gcnal.InvalidParameterError, match="'labelled_mask'"):
        gcnal.plot_selection(features, mask[:5], [1])


def test_without_matplotlib_the_error_names_the_demo_extra():
    code = ("import sys; sys.modules['matplotlib'] = None; import gcnal, numpy as np; "
            "gcnal.plot_selection(np.eye(3, dtype='float32'), np.zeros(3, bool), [0])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "MissingDependencyError" in result.stderr and "gcnal[demo]" in result.stderr
