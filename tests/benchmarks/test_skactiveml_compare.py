"""gcnal beside scikit-activeml: curves, rows, resuming and the table on a small real pool."""
import dataclasses

import numpy as np
import pytest

pytest.importorskip("skactiveml")

from benchmarks import skactiveml_compare as compare  # noqa: E402
from benchmarks.regimes import STUDIES, Pool  # noqa: E402
from benchmarks.results_io import load_study, read_rows, result_path  # noqa: E402


@pytest.fixture(scope="module")
def digits_pool():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = ((x - x.mean(0)) / (x.std(0) + 1e-8)).astype(np.float32)
    return Pool(x[:600], y[:600].astype(np.int64), x[600:900], y[600:900].astype(np.int64), 10)


STUDY = dataclasses.replace(STUDIES["fmnist_linear"], name="digits_tiny")


def test_coreset_picks_agree_and_rows_resume(digits_pool, tmp_path):
    for library in compare.LIBRARIES:
        for method in ("coreset", "badge"):
            path = result_path(tmp_path, ".", STUDY.name, f"{library}-{method}", 0)
            compare.run_curve(STUDY, digits_pool, library, method, 0, [20, 35, 50], path)
            rows = read_rows(path)
            assert [r["labelled"] for r in rows] == [20, 35, 50]
            assert all(r["commit"] and r["date"] and r["machine"] and r["command"]
                       for r in rows)
            assert rows[0]["versions"]["scikit-activeml"]
            compare.run_curve(STUDY, digits_pool, library, method, 0, [20, 35, 50], path)
            assert len(read_rows(path)) == 3  # finished: not run again
    rows = load_study(tmp_path)
    first = {(r["library"], r["method"]): r for r in rows if r["cycle"] == 0}
    # k-center greedy from the same labelled set is deterministic: the same picks
    assert first[("gcnal", "coreset")]["picks"] == first[("skactiveml", "coreset")]["picks"]
    # BADGE's first pick is the largest gradient norm in both, whatever the seed
    assert first[("gcnal", "badge")]["picks"][0] == first[("skactiveml", "badge")]["picks"][0]
    table = compare.render_table(rows)
    assert "**coreset**" in table and "100% of the picks shared" in table


def test_subsample_is_seeded_and_keeps_the_test_set(digits_pool):
    a = compare.subsample(digits_pool, 100, trial=0)
    b = compare.subsample(digits_pool, 100, trial=0)
    assert len(a.train_x) == 100 and np.array_equal(a.train_x, b.train_x)
    assert np.array_equal(a.test_x, digits_pool.test_x)
    assert compare.subsample(digits_pool, None, trial=0) is digits_pool
