"""The ``gcnal`` command line: ``gcnal select``, ``gcnal evaluate``, ``gcnal methods``,
``gcnal demo``, ``gcnal label-studio``."""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

from .api import select
from .demo import DEFAULT_METHODS
from .errors import InvalidParameterError, MissingDependencyError
from .evaluation.loop import DEFAULT_METHODS as EVALUATE_METHODS
from .io import (OUTPUT_FORMATS, check_output_path, load_array, load_id_list, mask_from_array,
                 save_picks, write_atomic)
from .methods import method_options
from .registry import METHODS, available_methods, methods_reading
from .signals import SIGNALS
from .validation import resolve_device

def _batch_size(text: str):
    """``--batch-size``: ``auto``, ``none`` or an int (checked by ``select``)."""
    if text.lower() in ("auto", "none"):
        return None if text.lower() == "none" else "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto, none or an int, got {text!r}")


#: Flags that are shorthands for one entry of ``--options``: option -> (type, help).
OPTION_FLAGS = {
    "subset": (int, "score only this many random unlabelled items (the paper: 10000)"),
    "epochs": (int, "sampler training epochs"),
    "normalization": (str, "adjacency normalisation: row or column (the original code's)"),
    "graph": (str, "pool graph: dense, knn, or auto (dense while it fits)"),
    "k": (int, "neighbours per item of a kNN graph (or the method's own k)"),
    "knn_backend": (str, "kNN search: torch (exact), faiss (exact), faiss-approx "
                         "(needs gcnal[faiss]) or ivf (approximate); the typicality methods "
                         "also take auto (typical_diverse's default: exact up to 10,000 items, "
                         "ivf beyond)"),
    "batch_size": (_batch_size, "sampler training batch: auto, none (full batch) or an int"),
}

SELECT_EPILOG = """\
examples:
  gcnal select --features feats.npy --labelled mask.npy --budget 100 --out picks.csv
  gcnal select --features feats.pt --labelled labelled_ids.txt --budget 1000 \\
      --method core_gcn --options '{{"subset": 10000, "epochs": 100}}' --seed 0 --out picks.npy
  gcnal select --features feats.npy --labelled mask.npy --probs probs.npy \\
      --budget 50 --method entropy --out picks.txt

--features holds one row per pool item (N x d), e.g. your model's penultimate
layer.

--labelled says which items are labelled already. A .txt file is a list of
ids, one pool index per line. A .npy or .pt array is read by one rule, for
any N: booleans are a mask of length N; integers of length N holding only 0
and 1 are a mask; any other integers are the indices already labelled
(unique, in [0, N)). When a list of indices could read as a mask (N indices
all 0 or 1, i.e. N <= 2), pass it as a .txt file.

--options takes the method's own options as a JSON object, checked like the
API's select(options=...): an option the method does not read is an error
('gcnal methods --options' lists each method's, with defaults). The flags
under "method options" are shorthands for single entries.

--out is written atomically (an interrupted run, SIGTERM included, leaves
neither the output nor a temporary file), in the format its extension names:
{formats}
The picks are printed too, most wanted first, unless --quiet.
"""


def _signal_readers(name: str) -> str:
    """Which methods read learner signal ``name``, required or optional."""
    required, optional = [], []
    for method in methods_reading(name):
        (required if METHODS.resolve(method).signal_required else optional).append(method)
    parts = [f"required by {', '.join(required)}"] if required else []
    parts += [f"optional for {', '.join(optional)}"] if optional else []
    return "; ".join(parts) or "read by no built-in method"


def _signal_help(name: str) -> str:
    entry = SIGNALS[name]
    return f"{entry.shape} {entry.help} ({_signal_readers(name)})"


def _add_select(subparsers) -> None:
    formats = "\n".join(f"  {suffix:5s} {what}" for suffix, what in OUTPUT_FORMATS.items())
    p = subparsers.add_parser(
        "select", help="pick the next items to label",
        description="Pick which unlabelled pool items to send to annotation next.",
        epilog=SELECT_EPILOG.format(formats=formats),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--features", required=True, metavar="FILE",
                   help="pool features, N x d, as .npy or .pt")
    p.add_argument("--labelled", required=True, metavar="FILE",
                   help="labelled items: ids one per line (.txt), or a mask or index array "
                        "(.npy or .pt; see below)")
    p.add_argument("--budget", required=True, type=int, help="how many items to pick")
    p.add_argument("--method", default="typical_diverse",
                   help="selection method (default: typical_diverse, the recommended one); "
                        "see 'gcnal methods'")
    p.add_argument("--out", required=True, metavar="FILE",
                   help=f"where to write the picks: {', '.join(OUTPUT_FORMATS)} (see below)")
    p.add_argument("--options", type=_json_object, default=None, metavar="JSON",
                   help="the method's options as a JSON object, e.g. '{\"k\": 20}'")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda:0 (default: cpu)")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--quiet", action="store_true", help="do not print the picks")
    _add_signals_and_shorthands(p)


def _add_signals_and_shorthands(p, rows: str = "") -> None:
    """The learner-signal files and the shorthands of --options, shared by
    ``select`` and ``label-studio``; ``rows`` says how a file's rows are keyed."""
    signals = p.add_argument_group(
        "learner signals", "files (.npy or .pt) of what your learner says about each item"
                           f"{rows};\nany method accepts any of them and reads those it uses")
    for name in SIGNALS:
        signals.add_argument("--" + name.replace("_", "-"), metavar="FILE",
                             help=_signal_help(name))
    shorthands = p.add_argument_group(
        "method options", "each is the same as one entry of --options (default: the method's)")
    for name, (kind, help_text) in OPTION_FLAGS.items():
        # absent unless given, so that None (--batch-size none) is an option value too
        shorthands.add_argument("--" + name.replace("_", "-"), default=argparse.SUPPRESS,
                                type=kind, help=help_text)


def _json_object(text: str) -> Dict[str, Any]:
    """``--options``: a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"k\": 20}}', "
                                         f"got {text[:80]!r} ({err})") from err
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"k\": 20}}', "
                                         f"got a JSON {type(value).__name__}")
    return value


def _add_demo(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run a complete active-learning loop on an embedded dataset",
        description="Active learning on scikit-learn's bundled digits (1,797 8x8 images, no "
                    "download): a small torch learner, an initial labelled batch and several "
                    "cycles, comparing methods over seeds. Prints a per-cycle accuracy table "
                    "and writes a PNG plot.")
    p.add_argument("--out", default="demo_results", help="output folder (default: demo_results)")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds, >= 1 (default: 3)")
    p.add_argument("--cycles", type=int, default=6, help="selection cycles, >= 1 (default: 6)")
    p.add_argument("--initial", type=int, default=30,
                   help="initial labelled items, >= 1 (default: 30)")
    p.add_argument("--budget", type=int, default=30,
                   help="items picked per cycle, >= 1 (default: 30)")
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                   help="comma-separated methods that need no learner signal but probs "
                        f"(default: {','.join(DEFAULT_METHODS)})")


EVALUATE_EPILOG = """\
examples:
  gcnal evaluate --features feats.npy --labels labels.npy --methods random margin \\
      --initial 20 --budget 20 --cycles 5 --seeds 0 1 2 --out results.md
  gcnal evaluate --features feats.npy --labels labels.npy --test-features test.npy \\
      --test-labels test_labels.npy --resume rows.jsonl --out results.json --plot curves.png
  gcnal evaluate --features feats.npy --labels targets.npy --learner ridge \\
      --methods random typiclust coreset --budget 20 40 80 160

The learner (pip install 'gcnal[demo]'), retrained from scratch each cycle, is
scikit-learn's logistic regression (--learner logistic; its class
probabilities on the pool are passed as probs to the methods that read them,
unless --feature-only) or ridge regression (--learner ridge: real targets,
scored by RMSE, no probs). --budget takes one value per cycle for a schedule.
Without --test-features, --test-fraction of the items are held out (drawn per
seed). --out .md writes the tables printed, .json the rows, curves and
intervals.
"""


def _add_evaluate(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="simulate active learning on labelled data: does a method beat Random?",
        description="Simulate the active-learning loop on data whose labels you have:\n"
                    "every method starts from the same random labelled set per seed, picks\n"
                    "--budget items per cycle, and the learner is scored on a test set each\n"
                    "cycle. Prints the accuracy per cycle and the paired 95% interval of each\n"
                    "method's difference to Random.",
        epilog=EVALUATE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--features", required=True, help="N x d features (.npy or .pt)")
    p.add_argument("--labels", required=True, help="N labels (.npy or .pt)")
    p.add_argument("--test-features", help="separate test features (.npy or .pt)")
    p.add_argument("--test-labels", help="separate test labels (with --test-features)")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="items held out for testing without --test-features (default: 0.2)")
    p.add_argument("--methods", nargs="+", default=list(EVALUATE_METHODS),
                   help=f"methods to compare (default: {' '.join(EVALUATE_METHODS)})")
    p.add_argument("--initial", type=int, default=20, help="initial random labels (default: 20)")
    p.add_argument("--budget", type=int, nargs="+", default=[20],
                   help="picks per cycle, or one value per cycle (default: 20)")
    p.add_argument("--cycles", type=int, default=None,
                   help="selection cycles (default: 5, or one per --budget value)")
    p.add_argument("--learner", choices=("logistic", "ridge"), default="logistic",
                   help="logistic (classification, default) or ridge (regression)")
    p.add_argument("--feature-only", action="store_true",
                   help="give no method the learner's class probabilities")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                   help="one learning curve per method and seed (default: 0 1 2)")
    p.add_argument("--options", type=_json_object, default=None,
                   help='per-method options as JSON, e.g. \'{"typical_diverse": {"k": 20}}\'')
    p.add_argument("--resume", help="JSON-lines file: finished curves are added to it and "
                                    "skipped when the command runs again")
    p.add_argument("--out", help="write the result: .md (tables) or .json (rows, intervals)")
    p.add_argument("--plot", help="write learning curves with 95%% bands (.png, .pdf, .svg)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")


def _run_evaluate(args) -> int:
    from .evaluation import evaluate

    logging.getLogger("gcnal").setLevel(logging.WARNING)  # one stage log per selection is noise
    out = None if args.out is None else check_evaluate_output(args.out)
    test = None
    if (args.test_features is None) != (args.test_labels is None):
        raise InvalidParameterError("--test-labels", "given together with --test-features",
                                    "only one of them", "gcnal evaluate")
    if args.test_features is not None:
        test = (load_array(args.test_features, "test-features"),
                load_array(args.test_labels, "test-labels"))
    result = evaluate(load_array(args.features, "features"), load_array(args.labels, "labels"),
                      methods=args.methods, test=test, test_fraction=args.test_fraction,
                      learner=args.learner, initial=args.initial,
                      budget=args.budget[0] if len(args.budget) == 1 else args.budget,
                      cycles=args.cycles, seeds=args.seeds, signals=not args.feature_only,
                      options=args.options, progress=args.progress, resume=args.resume)
    text = result.to_markdown()
    print(text, end="")
    if out is not None:
        payload = text if out.suffix == ".md" else json.dumps(result.to_dict(), indent=1) + "\n"
        write_atomic(out, lambda handle: handle.write(payload.encode()))
    if args.plot:
        result.plot(args.plot)
    return 0


def check_evaluate_output(path: str) -> Path:
    """``--out`` of ``gcnal evaluate``: a .md or .json path."""
    out = Path(path)
    if out.suffix.lower() not in (".md", ".json"):
        raise InvalidParameterError("--out", "a path ending in .md or .json", repr(path),
                                    "gcnal evaluate")
    return out


def _method_options(args, owner: str = "gcnal select") -> Optional[Dict[str, Any]]:
    """``--options`` with the shorthand flags merged in; a name given both
    ways is an error."""
    options = dict(args.options or {})
    for name in OPTION_FLAGS:
        if not hasattr(args, name):
            continue
        value = getattr(args, name)
        flag = "--" + name.replace("_", "-")
        if name in options:
            raise InvalidParameterError(flag, f"not given when --options sets '{name}'",
                                        f"both {flag} {value} and --options {name}="
                                        f"{options[name]!r}", owner)
        options[name] = value
    return options or None


def _labelled_mask(path: str, num_items: int):
    if path.lower().endswith(".txt"):
        return mask_from_array(load_id_list(path, "labelled"), num_items, ids=True)
    return mask_from_array(load_array(path, "labelled"), num_items)


def _run_select(args) -> int:
    out = check_output_path(args.out)
    device = resolve_device(args.device, torch.device("cpu"), "gcnal select")
    options = _method_options(args)
    features = load_array(args.features, "features")
    if features.ndim != 2:
        raise InvalidParameterError("features", "an N x d array", f"shape {features.shape}",
                                    "gcnal select")
    mask = _labelled_mask(args.labelled, features.shape[0])
    signals = {name: load_array(getattr(args, name), name)
               for name in SIGNALS if getattr(args, name) is not None}
    selection = select(features, mask, args.budget, method=args.method, **signals,
                       options=options, seed=args.seed, device=device,
                       progress=args.progress, return_info=True)
    save_picks(selection.indices, out, selection.pick_scores)
    if not args.quiet:
        print(" ".join(str(i) for i in selection.indices.tolist()))
    return 0


LABEL_STUDIO_EPILOG = """\
examples:
  export LABEL_STUDIO_API_KEY=...   # Account & Settings > Personal Access Token
  gcnal label-studio --url http://localhost:8080 --project 3 --budget 20 \\
      --features-field embedding
  gcnal label-studio --url http://localhost:8080 --project 3 --budget 20 \\
      --features feats.npy --ids task_ids.txt --probs probs.npy --method margin

The pool is every task of the project; a task is labelled once it has an
annotation that was not cancelled. The features are a task data field
(--features-field, a list of numbers in every task's data) or a file whose
row i belongs to the task id on line i of --ids (a .txt file, one id per line,
or a .npy/.pt array); the signal files are keyed by --ids too.

Each run is one round k: a prediction on each pick (model version
gcnal-round<k>-<method>, score i/budget for the i-th pick), the project's model
version set to it, and the Data Manager tab 'gcnal: next to label' showing the
round's picks not yet annotated, most wanted first. Run it again after the
annotators have labelled them for the next batch. Annotations and task data are
never written.
"""


def _add_label_studio(subparsers) -> None:
    p = subparsers.add_parser(
        "label-studio", help="pick the next tasks of a Label Studio project and show them there",
        description="One active-learning round on a Label Studio project: read its tasks and\n"
                    "which are annotated, pick --budget unlabelled ones, and show them to the\n"
                    "annotators in Label Studio as the next tasks to label.",
        epilog=LABEL_STUDIO_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL"),
                   required="LABEL_STUDIO_URL" not in os.environ,
                   help="the Label Studio server (default: $LABEL_STUDIO_URL)")
    p.add_argument("--token", help="an access token (default: $LABEL_STUDIO_API_KEY)")
    p.add_argument("--project", required=True, type=int, help="the project's id")
    p.add_argument("--budget", required=True, type=int, help="how many tasks to pick")
    p.add_argument("--method", default="typical_diverse",
                   help="selection method (default: typical_diverse); see 'gcnal methods'")
    features = p.add_mutually_exclusive_group(required=True)
    features.add_argument("--features-field", metavar="FIELD",
                          help="the task data field holding each task's features")
    features.add_argument("--features", metavar="FILE",
                          help="features, one row per id of --ids (.npy or .pt)")
    p.add_argument("--ids", metavar="FILE",
                   help="the task id of each row of the files: one per line (.txt), or a "
                        ".npy/.pt array")
    p.add_argument("--options", type=_json_object, default=None, metavar="JSON",
                   help="the method's options as a JSON object, e.g. '{\"k\": 20}'")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda:0 (default: cpu)")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    _add_signals_and_shorthands(p, ", row i for the task id on line i of --ids")


def _run_label_studio(args) -> int:
    from .integrations.label_studio import TAB_TITLE, select_tasks

    owner = "gcnal label-studio"
    logging.getLogger("gcnal").setLevel(logging.WARNING)  # the summary below says it all
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    signals = {name: load_array(getattr(args, name), name)
               for name in SIGNALS if getattr(args, name) is not None}
    if args.ids is None and (args.features is not None or signals):
        raise InvalidParameterError("--ids", "given with --features or a signal file (the "
                                    "task id of each of their rows)", "no --ids", owner)
    ids = None
    if args.ids is not None:
        ids = (load_id_list(args.ids, "ids") if args.ids.lower().endswith(".txt")
               else load_array(args.ids, "ids"))
    features = None if args.features is None else load_array(args.features, "features")
    device = resolve_device(args.device, torch.device("cpu"), owner)
    done = select_tasks(args.url, args.token, project=args.project, budget=args.budget,
                        method=args.method, features_field=args.features_field,
                        features=features, ids=ids, options=_method_options(args, owner),
                        seed=args.seed, device=device, progress=args.progress, **signals)
    if not args.quiet:
        print(f"round {done.round} of project {done.project}: {done.num_labelled} of "
              f"{done.num_tasks} tasks labelled; {len(done.task_ids)} picked as "
              f"{done.model_version}")
        print(f"tab '{TAB_TITLE}': {done.tab_url}")
        print("task ids, most wanted first: " + " ".join(map(str, done.task_ids)))
    return 0


def _run_methods(args) -> int:
    names = available_methods()
    width = max(map(len, names)) + 1
    for name in names:
        method = METHODS.resolve(name)
        reads = ""
        if method.signal:
            flag = "--" + method.signal.replace("_", "-")
            reads = f" [reads {flag}, " + ("required]" if method.signal_required
                                           else "optional]")
        print(f"{name:{width}s} {method.description}{reads}")
        if args.options:
            for option, spec in method_options(name).items():
                print(f"    {option} = {spec['default']!r}: {spec['help']}")
    return 0


def _run_demo(args) -> int:
    from .demo import run_demo

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    logging.getLogger("gcnal").setLevel(logging.WARNING)  # one stage log per selection is noise
    logging.getLogger("gcnal.demo").setLevel(logging.INFO)
    run_demo(out_dir=args.out, seeds=args.seeds, cycles=args.cycles, initial=args.initial,
             budget=args.budget, methods=methods)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcnal",
        description="gcnal: choose which unlabelled examples to annotate next, with graph "
                    "neural network samplers (UncertainGCN, CoreGCN) and the classic baselines.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_select(subparsers)
    _add_evaluate(subparsers)
    methods = subparsers.add_parser(
        "methods", help="list the selection methods and the signals they read",
        description="List the selection methods (presets), each with the learner signal it "
                    "reads, required or optional.")
    methods.add_argument("--options", action="store_true",
                         help="also list each method's options, with defaults")
    _add_demo(subparsers)
    _add_label_studio(subparsers)
    return parser


def _terminate(signum, _frame):
    """SIGTERM as an exception, so that cleanup runs (see :func:`gcnal.io.write_atomic`)."""
    raise SystemExit(128 + signum)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run = {"select": _run_select, "evaluate": _run_evaluate, "methods": _run_methods,
           "demo": _run_demo, "label-studio": _run_label_studio}[args.command]
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args)
    except (InvalidParameterError, MissingDependencyError) as err:
        print(f"gcnal {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"gcnal {args.command}: error: {err}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
