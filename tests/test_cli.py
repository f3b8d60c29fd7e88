import csv
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import gcnal
from gcnal.cli import main
from gcnal.signals import SIGNALS


@pytest.fixture
def files(tmp_path, pool):
    features, mask = pool
    np.save(tmp_path / "f.npy", features)
    torch.save(torch.from_numpy(features), tmp_path / "f.pt")
    np.save(tmp_path / "m.npy", mask)
    np.save(tmp_path / "ids.npy", np.flatnonzero(mask))
    (tmp_path / "ids.txt").write_text("\n".join(map(str, np.flatnonzero(mask))) + "\n\n")
    return tmp_path


def _select(files, *args, labelled="m.npy", features="f.npy"):
    return main(["select", "--features", str(files / features), "--labelled",
                 str(files / labelled), *args])


def test_select_writes_the_same_picks_as_the_api(files, pool, capsys):
    features, mask = pool
    code = _select(files, "--budget", "5", "--method", "core_gcn", "--seed", "0",
                   "--epochs", "20", "--out", str(files / "picks.npy"))
    assert code == 0
    picks = np.load(files / "picks.npy")
    expected = gcnal.select(features, mask, 5, method="core_gcn", seed=0,
                            options={"epochs": 20})
    assert picks.dtype == np.int64 and picks.tolist() == expected.tolist()
    assert capsys.readouterr().out.split() == [str(i) for i in expected]


def test_out_format_follows_the_extension(files, pool, make_signal):
    features, mask = pool
    probs = make_signal("probs", 60)
    np.save(files / "p.npy", probs)
    sel = gcnal.select(features, mask, 6, probs=probs, seed=0, return_info=True)
    for suffix in (".npy", ".pt", ".txt", ".csv"):
        assert _select(files, "--probs", str(files / "p.npy"), "--budget", "6", "--quiet",
                       "--out", str(files / f"picks{suffix}")) == 0
    assert np.load(files / "picks.npy").tolist() == sel.indices.tolist()
    assert torch.load(files / "picks.pt", weights_only=True).tolist() == sel.indices.tolist()
    assert (files / "picks.txt").read_text() == "".join(f"{i}\n" for i in sel.indices)
    with open(files / "picks.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["index", "typicality", "uncertainty", "weight", "score", "radius"]
    assert [int(r["index"]) for r in rows] == sel.indices.tolist()
    for name, column in sel.pick_scores.items():
        assert np.allclose([float(r[name]) for r in rows], column, rtol=1e-6), name
    assert not [p for p in os.listdir(files) if p.endswith(".tmp")]


def test_csv_of_k_center_writes_the_cold_start_infinity(files):
    np.save(files / "none.npy", np.zeros(60, dtype=bool))
    _select(files, "--budget", "3", "--method", "coreset", "--quiet", "--out",
            str(files / "c.csv"), labelled="none.npy")
    lines = (files / "c.csv").read_text().splitlines()
    assert lines[0] == "index,distance" and lines[1].endswith(",inf") and len(lines) == 4


def test_labelled_as_pt_index_arrays_and_txt_ids_give_the_same_picks(files):
    results = []
    for labelled in ("m.npy", "ids.npy", "ids.txt"):
        out = files / f"p_{labelled}.npy"
        _select(files, "--budget", "4", "--method", "coreset", "--quiet", "--out", str(out),
                labelled=labelled, features="f.pt")
        results.append(np.load(out).tolist())
    assert results[0] == results[1] == results[2]


def test_a_bad_id_line_is_named(files, capsys):
    (files / "bad.txt").write_text("3\n4\nfive\n")
    assert _select(files, "--budget", "4", "--out", str(files / "x.npy"),
                   labelled="bad.txt") == 2
    err = capsys.readouterr().err
    assert "'labelled'" in err and "line 3" in err and "'five'" in err


@pytest.mark.parametrize("mask", [np.r_[np.ones(12), np.zeros(47)].astype(np.int64),
                                  np.r_[np.ones(12), np.zeros(61)].astype(bool)],
                         ids=["int-short", "bool-long"])
def test_a_mask_of_the_wrong_length_says_so(files, capsys, mask):
    np.save(files / "wrong.npy", mask)
    assert _select(files, "--budget", "4", "--out", str(files / "x.npy"),
                   labelled="wrong.npy") == 2
    err = capsys.readouterr().err
    assert "wrong length" in err and "of length 60" in err and "duplicates" not in err


def test_the_mask_or_indices_rule_holds_for_tiny_pools(tmp_path):
    np.save(tmp_path / "f.npy", np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    np.save(tmp_path / "mask.npy", np.array([0, 1]))  # length N, all 0/1: a mask
    (tmp_path / "ids.txt").write_text("0\n")  # a text file: always ids
    for labelled, expected in (("mask.npy", [0]), ("ids.txt", [1])):
        main(["select", "--features", str(tmp_path / "f.npy"), "--labelled",
              str(tmp_path / labelled), "--budget", "1", "--method", "coreset", "--quiet",
              "--out", str(tmp_path / "p.txt")])
        assert (tmp_path / "p.txt").read_text().split() == [str(i) for i in expected]


def test_options_json_is_passed_to_select_and_checked(files, pool, capsys):
    features, mask = pool
    _select(files, "--budget", "5", "--options", '{"k": 5, "radius": 0.3}', "--quiet",
            "--out", str(files / "o.npy"))
    expected = gcnal.select(features, mask, 5, seed=0, options={"k": 5, "radius": 0.3})
    assert np.load(files / "o.npy").tolist() == expected.tolist()
    assert _select(files, "--budget", "5", "--options", '{"epochs": 5}',
                   "--out", str(files / "x.npy")) == 2
    err = capsys.readouterr().err
    assert "'options'" in err and "epochs" in err and not (files / "x.npy").exists()


def test_options_flag_conflict_and_bad_json(files, capsys):
    assert _select(files, "--budget", "5", "--method", "core_gcn", "--epochs", "5",
                   "--options", '{"epochs": 6}', "--out", str(files / "x.npy")) == 2
    assert "'--epochs'" in capsys.readouterr().err
    for bad, why in (('{"k": ', "JSON object"), ("[1, 2]", "a JSON list")):
        with pytest.raises(SystemExit) as exit_info:
            _select(files, "--budget", "5", "--options", bad, "--out", str(files / "x.npy"))
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and "--options" in err and why in err
    assert not (files / "x.npy").exists()


def test_select_passes_the_graph_options(files, pool):
    features, mask = pool
    _select(files, "--budget", "4", "--method", "uncertain_gcn", "--epochs", "10", "--graph",
            "knn", "--k", "5", "--batch-size", "16", "--quiet", "--out", str(files / "g.npy"))
    expected = gcnal.select(features, mask, 4, method="uncertain_gcn", seed=0,
                            options={"epochs": 10, "graph": "knn", "k": 5, "batch_size": 16})
    assert np.load(files / "g.npy").tolist() == expected.tolist()


def test_only_the_flags_given_become_options_none_included():
    from gcnal.cli import _method_options, build_parser

    def options(*flags):
        return _method_options(build_parser().parse_args(
            ["select", "--features", "f.npy", "--labelled", "m.npy", "--budget", "1",
             "--out", "p.npy", *flags]))

    assert options() is None
    assert options("--batch-size", "none") == {"batch_size": None}  # full batch, not dropped
    assert options("--batch-size", "auto", "--k", "3", "--options", '{"epochs": 2}') == \
        {"epochs": 2, "batch_size": "auto", "k": 3}


def test_select_passes_only_the_options_given(files, pool, capsys):
    features, mask = pool
    _select(files, "--budget", "4", "--method", "coreset", "--quiet", "--out",
            str(files / "c.npy"))
    assert np.load(files / "c.npy").tolist() == gcnal.select(features, mask, 4, method="coreset",
                                                             seed=0).tolist()
    assert _select(files, "--budget", "4", "--method", "coreset", "--epochs", "5",
                   "--out", str(files / "x.npy")) == 2
    assert "epochs" in capsys.readouterr().err and not (files / "x.npy").exists()


def test_bad_input_exits_2_with_a_message(files, capsys):
    assert _select(files, "--budget", "500", "--out", str(files / "x.npy")) == 2
    assert "'budget'" in capsys.readouterr().err
    assert not (files / "x.npy").exists()


def test_out_naming_a_directory_or_an_unknown_format_is_refused_before_any_work(files, capsys):
    (files / "folder").mkdir()
    for out, why in ((files / "folder", "a directory"), (files / "picks.json", "picks.json")):
        # checked first: the missing features file is never reached
        assert _select(files, "--budget", "4", "--out", str(out), features="missing.npy") == 2
        err = capsys.readouterr().err
        assert "'out'" in err and why in err and ".csv, .txt, .npy, .pt" in err
    assert os.listdir(files / "folder") == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_device_cuda_without_cuda_is_a_clear_error(files, capsys):
    assert _select(files, "--budget", "4", "--device", "cuda", "--out",
                   str(files / "x.npy")) == 2
    err = capsys.readouterr().err
    assert "'device'" in err and "'cuda', which is not available here" in err
    assert not (files / "x.npy").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_device_cuda_selects_like_the_cpu(files):
    for device in ("cpu", "cuda"):
        assert _select(files, "--budget", "5", "--method", "coreset", "--device", device,
                       "--quiet", "--out", str(files / f"{device}.csv")) == 0
    cpu, gpu = ((files / f"{d}.csv").read_text().splitlines() for d in ("cpu", "cuda"))
    assert [r.split(",")[0] for r in cpu] == [r.split(",")[0] for r in gpu]


def test_methods_says_which_signal_each_method_reads(capsys):
    main(["methods"])
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line and line[0] != " "}
    assert sorted(lines) == gcnal.available_methods()
    for name in gcnal.available_methods():
        method = gcnal.registry.METHODS.resolve(name)
        if method.signal is None:
            assert "[reads" not in lines[name], name
        else:
            flag = "--" + method.signal.replace("_", "-")
            state = "required" if method.signal_required else "optional"
            assert lines[name].endswith(f"[reads {flag}, {state}]"), name
    assert lines["typical_diverse"].endswith("[reads --probs, optional]")
    assert "needs --probs" not in out


def test_methods_lists_each_methods_options(capsys):
    main(["methods", "--options"])
    out = capsys.readouterr().out
    assert "    epochs = 200: Training epochs of the sampler" in out
    assert "    uncertainty_weight = 'auto':" in out


def _gcnal(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "gcnal", *args], capture_output=True,
                          text=True, **kwargs)


def test_select_help_lists_each_signal_with_its_readers_and_the_rules():
    result = _gcnal("select", "--help", check=True)
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for name in SIGNALS:
        readers = {True: [], False: []}
        for method in gcnal.available_methods():
            preset = gcnal.registry.METHODS.resolve(method)
            if preset.signal == name:
                readers[preset.signal_required].append(method)
        assert readers[True], name
        expected = f"--{name.replace('_', '-')} FILE {SIGNALS[name].shape} {SIGNALS[name].help} "
        expected += f"(required by {', '.join(readers[True])}"
        expected += f"; optional for {', '.join(readers[False])})" if readers[False] else ")"
        assert expected in text
    assert re.search(r"optional for [\w, ]*typical_diverse", text)
    assert "integers of length N holding only 0 and 1 are a mask" in text
    assert "--options" in text and "'gcnal methods --options'" in text
    for suffix in (".csv", ".txt", ".npy", ".pt"):
        assert suffix in text
    assert "examples:" in result.stdout


def test_bad_batch_size_is_a_usage_error(files, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _select(files, "--budget", "4", "--batch-size", "many", "--out", str(files / "x.npy"))
    assert exit_info.value.code == 2 and "--batch-size" in capsys.readouterr().err


@pytest.mark.parametrize("args, parameter", [
    (["--seeds", "0"], "'seeds'"), (["--cycles", "-1"], "'cycles'"),
    (["--initial", "0"], "'initial'"), (["--budget", "0"], "'budget'"),
    (["--initial", "1000", "--cycles", "10", "--budget", "100"], "1000 + 10 * 100"),
    (["--methods", "random,nope"], "'methods'"), (["--methods", ","], "'methods'"),
    (["--methods", "random,random"], "distinct"), (["--methods", "bald"], "mc_probs"),
])
def test_every_demo_argument_is_checked_before_any_work(tmp_path, capsys, args, parameter):
    assert main(["demo", "--out", str(tmp_path / "demo"), *args]) == 2
    assert parameter in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


def test_demo_out_naming_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["demo", "--out", str(tmp_path / "taken")]) == 2
    assert "'out'" in capsys.readouterr().err


@pytest.fixture
def popen():
    """``popen(args)``: a running ``python -m gcnal`` (killed at teardown if still running)."""
    started = []

    def start(*args):
        started.append(subprocess.Popen([sys.executable, "-m", "gcnal", *args],
                                        stderr=subprocess.PIPE,
                                        env={**os.environ, "OMP_NUM_THREADS": "1"}))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_for(condition, process, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def _leftovers(folder):
    return sorted(p for p in os.listdir(folder) if p.startswith(("picks", ".picks")))


def test_sigterm_mid_compute_leaves_no_output_and_no_temporary_file(tmp_path, popen):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "f.npy", rng.normal(size=(2000, 16)).astype(np.float32))
    np.save(tmp_path / "m.npy", np.arange(20))
    process = popen("select", "--features", str(tmp_path / "f.npy"), "--labelled",
                    str(tmp_path / "m.npy"), "--budget", "10", "--method", "uncertain_gcn",
                    "--epochs", "100000", "--progress", "--out", str(tmp_path / "picks.csv"))
    process.stderr.read(1)  # the training's progress bar: the run is mid-compute
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=60)
    assert _leftovers(tmp_path) == []
    assert returncode == 128 + signal.SIGTERM


def test_sigterm_mid_write_leaves_no_output_and_no_temporary_file(tmp_path, popen):
    n = 3_000_000
    np.save(tmp_path / "f.npy", np.ones((n, 1), dtype=np.float32))
    np.save(tmp_path / "m.npy", np.zeros(n, dtype=bool))
    process = popen("select", "--features", str(tmp_path / "f.npy"), "--labelled",
                    str(tmp_path / "m.npy"), "--budget", str(n - 1), "--method", "random",
                    "--quiet", "--out", str(tmp_path / "picks.txt"))
    _wait_for(lambda: any(p.endswith(".tmp") for p in os.listdir(tmp_path)), process)
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=120)
    assert _leftovers(tmp_path) == []
    assert returncode == 128 + signal.SIGTERM


def test_label_studio_files_need_ids_before_any_request(files, capsys):
    """--features (or a signal file) without --ids is refused before the
    server is asked anything (nothing listens on port 9)."""
    assert main(["label-studio", "--url", "http://127.0.0.1:9", "--token", "t", "--project", "1",
                 "--budget", "3", "--features", str(files / "f.npy")]) == 2
    assert "The '--ids' parameter of gcnal label-studio must be given with --features" \
        in capsys.readouterr().err
