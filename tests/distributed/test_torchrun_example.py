"""examples/distributed_select.py under torchrun on 2 processes: the picks of
the memory-mapped pool, as one process picks them."""
import subprocess
import sys
from pathlib import Path

import numpy as np

import gcnal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "distributed_select.py"


def test_torchrun_runs_the_example_on_two_processes(tmp_path):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(301, 6)).astype(np.float32)
    labelled = np.zeros(301, dtype=bool)
    labelled[rng.choice(301, 15, replace=False)] = True
    np.save(tmp_path / "features.npy", features)
    np.save(tmp_path / "labelled.npy", labelled)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node", "2", str(EXAMPLE), str(tmp_path / "features.npy"),
               "--labelled", str(tmp_path / "labelled.npy"), "--budget", "9", "--method",
               "coreset", "--out", str(tmp_path / "picks.npy")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rank 1/2: rows 150-301" in done.stdout
    expected = gcnal.select(features, labelled, 9, "coreset", seed=0)
    np.testing.assert_array_equal(np.load(tmp_path / "picks.npy"), expected)
