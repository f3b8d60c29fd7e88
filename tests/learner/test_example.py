"""examples/task_aware_learner.py (shown in docs/task-aware.md) runs end to end."""
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "task_aware_learner.py"


def test_task_aware_example_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    for method in ("learning_loss", "tjls", "bald"):
        assert method in out
