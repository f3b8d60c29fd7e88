"""benchmarks.limits at a tiny size: every item measured beside its anchor,
rows stamped and written."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

from benchmarks.limits import main  # noqa: E402
from benchmarks.results_io import read_rows  # noqa: E402

pytest.importorskip("skactiveml")


def test_limits_measures_each_item_beside_its_anchor_and_writes_stamped_rows(tmp_path, capsys):
    out = tmp_path / "limits.jsonl"
    main(["--kcenter-size", "600", "--kcenter-dim", "8", "--kcenter-budget", "20",
          "--paper-unlabelled", "200", "--paper-labelled", "50", "--paper-dim", "16",
          "--paper-budget", "10", "--paper-epochs", "5",
          "--default-size", "500", "--default-dim", "8", "--default-labelled", "20",
          "--default-budgets", "10", "--million-size", "3000", "--rounds", "2",
          "--results", str(out)])
    rows = read_rows(out)
    assert [r["item"] for r in rows] == ["kcenter", "kcenter", "paper", "paper",
                                         "million", "million", "default", "default"]
    assert rows[0]["order"] == rows[1]["order"][::-1]  # rounds alternate the order
    for row in rows:
        assert row["gcnal_s"] > 0 and row["anchor_s"] > 0 and row["speed_up"] > 0
        assert row["gcnal_cpu_s"] > 0
        assert row["anchor_cpu_s"] is None if row["item"] == "million" else row["anchor_cpu_s"] > 0
        assert {"command", "commit", "machine", "seed", "date"} <= set(row)
    kcenter = rows[0]
    assert kcenter["labelled"] == 120 and kcenter["budget"] == 20
    # the same greedy: scikit-activeml's CoreSet picks what gcnal's does
    assert kcenter["picks_shared"] == 1.0
    assert kcenter["gcnal_cover_radius"] == pytest.approx(kcenter["anchor_cover_radius"])
    paper = rows[2]
    assert paper["n"] == 250 and paper["budget"] == 10 and paper["epochs"] == 5
    assert paper["anchor"] == "original code path" and 0 <= paper["picks_shared"] <= 1
    million = rows[4]
    assert million["n"] == 3000 and million["budget"] == 30 and million["labelled"] == 150
    assert million["speed_up"] == pytest.approx(300.0 / million["gcnal_s"])
    assert million["peak_mb"] > 0 and million["picks_hash"] == rows[5]["picks_hash"]  # seeded
    assert rows[6]["threads"] == 1 and rows[6]["anchor"] == "margin"
    assert "| kcenter | 600 x 8 |" in capsys.readouterr().out


@pytest.mark.parametrize("extra, named", [(["--kcenter-dim", "64"], "--kcenter-dim"),
                                          (["--kcenter-size", "60000"], "--kcenter-size")])
def test_the_cifar_ssl_pool_refuses_settings_it_cannot_honour(tmp_path, capsys, extra, named):
    with pytest.raises(SystemExit):
        main(["--items", "kcenter", "--kcenter-pool", "cifar_ssl", *extra,
              "--results", str(tmp_path / "rows.jsonl")])
    assert named in capsys.readouterr().err
    assert not (tmp_path / "rows.jsonl").exists()
