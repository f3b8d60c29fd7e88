import json

from gcnal.demo import run_demo, summarize, summarize_gain


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


def test_gain_table_pairs_each_seed_with_random():
    # seed 0: +10 and seed 1: +20 points at 20 labels -> mean +15, t(1) interval
    # 15 +- 12.706 * 7.071 / sqrt(2) = 15 +- 63.5
    records = [{"method": m, "seed": s, "labelled": n, "accuracy": a}
               for m, s, n, a in [("random", 0, 10, 0.5), ("random", 1, 10, 0.5),
                                  ("m", 0, 10, 0.5), ("m", 1, 10, 0.5),
                                  ("random", 0, 20, 0.6), ("random", 1, 20, 0.5),
                                  ("m", 0, 20, 0.7), ("m", 1, 20, 0.7)]]
    table = summarize_gain(records, ["random", "m"])
    assert "| 20 | +15.0 [-48.5, +78.5] |" in table
    assert "| 10 |" not in table  # the shared initial set is no comparison
