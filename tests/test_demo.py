import json

from gcnal.demo import run_demo, summarize


def test_small_demo_runs_end_to_end(tmp_path):
    records = run_demo(out_dir=str(tmp_path), seeds=1, cycles=2, initial=20, budget=10,
                       methods=["random", "uncertain_gcn", "typical_diverse"])
    assert [r["labelled"] for r in records if r["method"] == "random"] == [20, 30, 40]
    assert all(0.0 <= r["accuracy"] <= 1.0 for r in records)
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert json.loads((tmp_path / "results.json").read_text()) == records
    # the learner does learn: well above the 10% of chance on 10 digits
    assert min(r["accuracy"] for r in records) > 0.4


def test_summary_table_means_and_stds():
    records = [{"method": "m", "labelled": 10, "accuracy": a} for a in (0.5, 0.7)]
    table = summarize(records, ["m"])
    assert "| 10 | 60.0 ± 10.0 |" in table
