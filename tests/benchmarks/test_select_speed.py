"""The paper-setting speed benchmark's floor analysis on a small pool."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_floor_analysis_splits_an_epoch_into_its_products_and_the_rest(tmp_path):
    subprocess.run([sys.executable, "-m", "benchmarks.select_speed", "--skip-original", "--floor",
                    "--unlabelled", "600", "--labelled", "60", "--dim", "32", "--budget", "50",
                    "--epochs", "6", "--threads", "1", "--results-dir", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    runs = [json.loads(line) for line in (tmp_path / "select_speed.jsonl").read_text().splitlines()]
    assert [r["path"] for r in runs] == ["gcnal, non-negative features", "gcnal, signed features"]
    (floor,) = [json.loads(line) for line in
                (tmp_path / "select_speed_floor.jsonl").read_text().splitlines()]
    assert floor["epochs"] == 6 and floor["product_floor_per_epoch"] > 0
    assert floor["bound_total"] == floor["fixed_seconds"] + 6 * floor["product_floor_per_epoch"]
    assert all(key in floor for key in ("commit", "date", "machine", "seed", "seconds_per_epoch"))
