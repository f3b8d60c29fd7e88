"""benchmarks.typicality_overlap at a tiny size: the exact search against
itself shares every pick, and every row is stamped and written."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

from benchmarks.results_io import read_rows  # noqa: E402
from benchmarks.typicality_overlap import main  # noqa: E402


def test_the_exact_search_against_itself_shares_every_pick(tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    main(["--pools", "make_pool", "gaussian", "--sizes", "600", "--pool-seeds", "0",
          "--draws", "1", "--labelled", "30", "--budgets", "20",
          "--backends", "torch", "ivf", "--results", str(out)])
    rows = read_rows(out)
    assert len(rows) == 2 * 2 * 2  # pools x probs or not x backends
    for row in rows:
        assert {"command", "commit", "machine", "seed", "date"} <= set(row)
        assert 0.0 <= row["picks_shared"] <= 1.0
        if row["backend"] == "torch":
            assert row["identical"] and row["picks_shared"] == 1.0
            assert row["typicality_rel_error_max"] == 0.0
        assert row["exact_typicality_s"] > 0 and row["backend_typicality_s"] > 0
    assert "| make_pool | 600 | ivf | 20 |" in capsys.readouterr().out
