import subprocess
import sys

import numpy as np
import pytest
import torch

import gcnal
from gcnal.cli import main


@pytest.fixture
def files(tmp_path, pool):
    features, mask = pool
    np.save(tmp_path / "f.npy", features)
    torch.save(torch.from_numpy(features), tmp_path / "f.pt")
    np.save(tmp_path / "m.npy", mask)
    np.save(tmp_path / "ids.npy", np.flatnonzero(mask))
    return tmp_path


def test_select_writes_the_same_picks_as_the_api(files, pool, capsys):
    features, mask = pool
    code = main(["select", "--features", str(files / "f.npy"), "--labelled",
                 str(files / "m.npy"), "--budget", "5", "--method", "core_gcn", "--seed", "0",
                 "--epochs", "20", "--out", str(files / "picks.npy")])
    assert code == 0
    picks = np.load(files / "picks.npy")
    expected = gcnal.select(features, mask, 5, method="core_gcn", seed=0, epochs=20)
    assert picks.dtype == np.int64 and picks.tolist() == expected.tolist()
    assert capsys.readouterr().out.split() == [str(i) for i in expected]


def test_select_reads_pt_features_and_index_lists(files):
    args = ["select", "--features", str(files / "f.pt"), "--budget", "4", "--method", "coreset",
            "--quiet"]
    main(args + ["--labelled", str(files / "ids.npy"), "--out", str(files / "a.pt")])
    main(args + ["--labelled", str(files / "m.npy"), "--out", str(files / "b.npy")])
    a = torch.load(files / "a.pt", weights_only=True).numpy()
    assert a.tolist() == np.load(files / "b.npy").tolist()


def test_select_with_probs(files, pool):
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=60).astype(np.float32)
    np.save(files / "p.npy", probs)
    main(["select", "--features", str(files / "f.npy"), "--labelled", str(files / "m.npy"),
          "--probs", str(files / "p.npy"), "--budget", "3", "--method", "entropy", "--quiet",
          "--out", str(files / "e.npy")])
    assert len(np.load(files / "e.npy")) == 3


def test_bad_input_exits_2_with_a_message(files, capsys):
    code = main(["select", "--features", str(files / "f.npy"), "--labelled",
                 str(files / "m.npy"), "--budget", "500", "--out", str(files / "x.npy")])
    assert code == 2
    assert "'budget'" in capsys.readouterr().err
    assert not (files / "x.npy").exists()


def test_methods_lists_every_preset(capsys):
    main(["methods"])
    out = capsys.readouterr().out
    for name in gcnal.available_methods():
        assert name in out
    assert "needs --probs" in out


def test_help_explains_the_inputs():
    result = subprocess.run([sys.executable, "-m", "gcnal", "select", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--features" in result.stdout and "indices already labelled" in result.stdout
    assert "examples:" in result.stdout


def test_select_passes_the_graph_options(files, pool):
    features, mask = pool
    main(["select", "--features", str(files / "f.npy"), "--labelled", str(files / "m.npy"),
          "--budget", "4", "--method", "uncertain_gcn", "--epochs", "10", "--graph", "knn",
          "--k", "5", "--batch-size", "16", "--quiet", "--out", str(files / "g.npy")])
    expected = gcnal.select(features, mask, 4, method="uncertain_gcn", seed=0, epochs=10,
                            graph="knn", k=5, batch_size=16)
    assert np.load(files / "g.npy").tolist() == expected.tolist()


def test_bad_batch_size_is_a_usage_error(files, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["select", "--features", str(files / "f.npy"), "--labelled",
              str(files / "m.npy"), "--budget", "4", "--batch-size", "many",
              "--out", str(files / "x.npy")])
    assert exit_info.value.code == 2 and "--batch-size" in capsys.readouterr().err


def test_methods_lists_each_methods_options(capsys):
    main(["methods", "--options"])
    out = capsys.readouterr().out
    assert "    epochs = 200: Training epochs of the sampler" in out
    assert "    uncertainty_weight = 0.5:" in out


def test_select_passes_only_the_options_given(files, pool):
    features, mask = pool
    main(["select", "--features", str(files / "f.npy"), "--labelled", str(files / "m.npy"),
          "--budget", "4", "--method", "coreset", "--quiet", "--out", str(files / "c.npy")])
    assert np.load(files / "c.npy").tolist() == gcnal.select(features, mask, 4, method="coreset",
                                                             seed=0).tolist()
    code = main(["select", "--features", str(files / "f.npy"), "--labelled",
                 str(files / "m.npy"), "--budget", "4", "--method", "coreset", "--epochs", "5",
                 "--out", str(files / "x.npy")])
    assert code == 2 and not (files / "x.npy").exists()
