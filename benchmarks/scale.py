"""Selection time and peak memory as the pool grows; gcnal's CoreSet against
small-text's; dense against kNN; the kNN search backends.

    python -m benchmarks.scale sizes --sizes 10000 100000 --dims 128 512
    python -m benchmarks.scale knn-search --size 100000 --dims 128   # faiss rows need faiss-cpu
    python -m benchmarks.scale dense-vs-knn --sizes 10000 20000
    python -m benchmarks.scale epoch-ab --sizes 100000 --dims 128 --threads 1 [--graph dense]
    python -m benchmarks.scale early-stop --sizes 100000 --dims 128 --epochs 200 \
        --methods uncertain_gcn core_gcn --knn-backend ivf
    python -m benchmarks.scale precision --sizes 100000 --dims 128 --epochs 200 \
        --methods uncertain_gcn --knn-backend ivf   # bfloat16 first layer against float32
    python -m benchmarks.scale search-precision --sizes 100000 --dims 128 --epochs 200 \
        --methods uncertain_gcn core_gcn --bf16   # the ivf-bf16 graph against ivf's
    python -m benchmarks.scale coreset-vs-small-text --size 50000   # pip install small-text
    python -m benchmarks.scale sizes --sizes 100000 --dims 128 --methods core_gcn \
        --knn-backend faiss-approx --bf16 --candidates 20000 --threads 1   # pip install faiss-cpu

Each configuration runs in a fresh subprocess so that its peak memory (peak
resident set on the CPU, ``torch.cuda.max_memory_allocated`` on a GPU) is its
own (``knn-search`` runs its backends in one process, for their ratios, and
``epoch-ab`` the GCN sampler's epoch with and without each of its speed-ups,
reused buffers and column-major features).
Pools are synthetic and seeded: a mixture of 100 Gaussian clusters in d
dimensions, passed through a ReLU like a CNN's penultimate layer; 5% of the
pool is labelled (``--labelled-fraction``) and the budget is 1% of N. Prints a markdown table and
appends one JSON line per configuration to benchmarks/results/scale/.

Runs resume: each unit of work (one configuration, or one pool of the
in-process studies, whose rows are ratios within it) is written in one
atomic append as soon as it is measured, keyed by its settings and the
commit, so a run killed at any moment and started again with the same
command measures only what is missing (``--fresh`` measures everything
again).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

RESULTS = Path(__file__).parent / "results" / "scale"


def make_pool(n: int, d: int, seed: int, device: str, labelled_fraction: float = 0.05):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(100, d, generator=g) * 2
    assign = torch.randint(100, (n,), generator=g)
    features = torch.relu(centres[assign] + torch.randn(n, d, generator=g))
    labelled = torch.zeros(n, dtype=torch.bool)
    labelled[torch.randperm(n, generator=g)[: max(1, int(n * labelled_fraction))]] = True
    return features.to(device), labelled.to(device)


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _options(config: dict) -> dict:
    """The config's settings as options of its method, each only where the
    method reads it in that role: the pool graph's ``graph``, ``k``,
    ``knn_backend`` and training ``batch_size`` (GNN presets), the bfloat16
    first layer (``compute_dtype``), k-center ``candidates``, and the
    typicality's ``knn_backend`` (typical_diverse, which builds no graph)."""
    from gcnal.methods import resolve_method

    by_role = {("graph", "graph"): config.get("graph", "auto"), ("graph", "k"): config.get("k", 15),
               ("graph", "knn_backend"): config.get("knn_backend", "torch"),
               ("training", "batch_size"): config.get("batch_size", "auto"),
               ("sampler", "compute_dtype"): torch.bfloat16 if config.get("bf16") else None,
               ("selector", "candidates"): config.get("candidates") or None,
               ("selector", "knn_backend"): config.get("knn_backend", "torch")}
    method = resolve_method(config["method"])
    return {name: by_role[(o.group, o.param)] for name, o in method.options.items()
            if by_role.get((o.group, o.param)) is not None}


def run_one(config: dict) -> dict:
    """One selection in this process; returns timings and peak memory."""
    import gcnal

    set_threads(config.get("threads"), config.get("knn_backend", "torch").startswith("faiss"))
    device = config["device"]
    features, labelled = make_pool(config["n"], config["d"], config["seed"], device,
                                   config.get("labelled_fraction", 0.05))
    budget = max(1, config["n"] // 100)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    baseline = peak_memory_mb(device) if device.startswith("cuda") else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu_start = time.perf_counter(), time.process_time()
    if config["method"] == "small_text_coreset":
        from small_text.query_strategies.coresets import greedy_coreset

        x = features.cpu().numpy()
        unlabelled = np.flatnonzero(~labelled.cpu().numpy())
        positions = greedy_coreset(x, unlabelled, np.flatnonzero(labelled.cpu().numpy()),
                                   budget, distance_metric="euclidean")
        timings, info = {}, {"graph": "none"}
        picks = unlabelled[np.asarray(positions)]  # it returns positions in `unlabelled`
    else:
        sel = gcnal.select(features, labelled, budget, method=config["method"], seed=config["seed"],
                           options=_options(config), return_info=True)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        timings, info, picks = sel.timings, sel.info, sel.indices.cpu().numpy()
    total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {**config, "budget": budget, "labelled": int(labelled.sum()), "total_s": total,
            "cpu_s": cpu,
            **{f"{k}_s": v for k, v in timings.items()},
            "graph_used": info.get("graph", "none"), "training": info.get("training", ""),
            "peak_mb": peak_memory_mb(device),
            "baseline_mb": baseline, "picks_head": picks[:20].tolist(),
            "picks_hash": int(np.asarray(picks, dtype=np.int64).sum())}


def in_subprocess(config: dict, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.scale", "one", json.dumps(config)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             cwd=Path(__file__).parent.parent)
    except subprocess.TimeoutExpired:
        return {**config, "error": f"timed out after {timeout:.0f} s"}
    if out.returncode != 0:
        return {**config, "error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def set_threads(threads, faiss_too: bool) -> None:
    if threads:
        torch.set_num_threads(threads)
        if faiss_too:
            import faiss

            faiss.omp_set_num_threads(threads)


def knn_search_rows(args) -> list:
    """Every installed :func:`gcnal.graph.knn_search` backend on one pool, in
    this process: seconds, and recall@k and speed-up against the exact torch
    search (which runs first). With ``--recall-queries Q``, the exact
    neighbours are found by brute force for Q seeded random queries only
    (:func:`sampled_exact`), recall is measured on them, and the exact
    backends are left out (for pools too large to search exactly)."""
    from gcnal.graph import KNN_BACKENDS, knn_search
    from gcnal.typing import WITH_FAISS

    recall_queries = getattr(args, "recall_queries", None)
    sampled = recall_queries is not None
    backends = [b for b in (getattr(args, "backends", None) or KNN_BACKENDS) if (not b.startswith("faiss") or WITH_FAISS)
                and not (sampled and b in ("torch", "faiss"))]
    set_threads(args.threads, WITH_FAISS)
    rows = []
    for d in args.dims:
        features, _ = make_pool(args.size, d, args.seed, args.device)
        queries = exact = exact_seconds = None
        if sampled:
            queries, exact = sampled_exact(features, args.k, recall_queries, args.seed)
        for backend in backends:
            start = time.perf_counter()
            index, _ = knn_search(features, args.k, backend)
            if features.is_cuda:
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            if exact is None:
                exact, exact_seconds = index, seconds
            found = index if queries is None else index[queries]
            hits = (found.unsqueeze(2) == exact.unsqueeze(1)).any(dim=2).sum()
            rows.append({"seed": args.seed, "threads": args.threads, "device": args.device,
                         "n": args.size, "d": d, "k": args.k, "backend": backend,
                         "seconds": seconds, "recall": float(hits) / exact.numel(),
                         "recall_queries": recall_queries or args.size,
                         "speed_up_over_torch": exact_seconds / seconds if exact_seconds else None})
            speed_up = f"{exact_seconds / seconds:.2f}x" if exact_seconds else "-"
            print(f"| {backend} | {args.size:,} | {d} | {seconds:.2f} | {rows[-1]['recall']:.4f} "
                  f"| {speed_up} |", flush=True)
    return rows


def sampled_exact(features, k: int, queries: int, seed: int):
    """``(queries, neighbours)``: ``queries`` seeded random rows and each
    one's exact ``k`` most cosine-similar other rows, by brute force in
    blocks of 256 queries."""
    from gcnal.graph import l2_normalize

    v = l2_normalize(features.float())
    rows = torch.randperm(v.size(0), generator=torch.Generator().manual_seed(seed))[:queries]
    rows = rows.to(v.device)
    neighbours = []
    for block in rows.split(256):
        similarity = v[block] @ v.T
        similarity[torch.arange(block.numel(), device=v.device), block] = float("-inf")
        neighbours.append(similarity.topk(k, dim=1).indices)
    return rows, torch.cat(neighbours)


def seconds_per_epoch(sampler, adj, labelled, epochs: int, seed: int):
    """Seconds per steady-state epoch of :func:`~gcnal.samplers.training.train_sampler`
    (a run of ``epochs`` minus a run of one, so that the one-off ``A X`` and
    first allocations are left out) and the losses of the longer run. An
    untimed epoch runs first, so that the process's one-off costs (lazy
    imports, the allocator's first pages) fall on neither timed run."""
    from gcnal.samplers.training import train_sampler

    times, losses = [], None
    train_sampler(sampler, adj.vectors, adj, labelled, epochs=1,
                  generator=torch.Generator(device=labelled.device).manual_seed(seed))
    for count in (1, epochs):
        start = time.perf_counter()
        losses = train_sampler(sampler, adj.vectors, adj, labelled, epochs=count,
                               generator=torch.Generator(device=labelled.device).manual_seed(seed))
        times.append(time.perf_counter() - start)
    return (times[1] - times[0]) / (epochs - 1), losses


def epoch_ab_rows(args) -> list:
    """The GCN sampler's epoch in :func:`~gcnal.samplers.training.train_sampler`
    with its defaults against each thing they replace, in this process,
    rounds alternating the order: fresh tensors every step (no workspace)
    and, on the factored dense graph, row-major features. Median seconds per
    epoch over ``--rounds`` rounds."""
    from gcnal.graph import build_adjacency
    from gcnal.samplers import GCNSampler

    class FreshTensors(GCNSampler):
        """GCNSampler whose forward takes no workspace, so that train_sampler
        lends it none."""

        def forward(self, x, adj, generator=None):
            return super().forward(x, adj, generator)

    set_threads(args.threads, False)
    rows = []
    for n in args.sizes:
        for d in args.dims:
            features, labelled = make_pool(n, d, args.seed, args.device)
            adj, graph = build_adjacency(features, args.graph, "row", args.k,
                                         knn_backend=args.knn_backend)
            arms = {"defaults": (adj, GCNSampler), "fresh tensors": (adj, FreshTensors)}
            if getattr(adj, "is_factored", False):
                row_major = build_adjacency(features, "dense", "row")[0]
                row_major.vectors = row_major.vectors.contiguous()
                arms["row-major features"] = (row_major, GCNSampler)
            seconds = {arm: [] for arm in arms}
            losses = {}
            for round_ in range(args.rounds):
                order = list(arms) if round_ % 2 == 0 else list(arms)[::-1]
                for arm in order:
                    graph_arm, sampler_class = arms[arm]
                    sampler = sampler_class(d, cached=True).to(args.device)
                    t, losses[arm] = seconds_per_epoch(sampler, graph_arm, labelled,
                                                       args.epochs, args.seed)
                    seconds[arm].append(t)
            base = float(np.median(seconds["defaults"]))
            for arm, times in seconds.items():
                median = float(np.median(times))
                rows.append({"seed": args.seed, "threads": args.threads, "device": args.device,
                             "n": n, "d": d, "graph": graph, "arm": arm, "epochs": args.epochs,
                             "rounds": args.rounds, "ms_per_epoch": 1e3 * median,
                             "ms_per_epoch_rounds": [1e3 * t for t in times],
                             "defaults_speed_up": median / base,
                             "same_losses_as_defaults": losses[arm] == losses["defaults"]})
                print(f"| {n:,} | {d} | {graph} | {arm} | {1e3 * median:.1f} | "
                      f"{median / base:.2f}x | {rows[-1]['same_losses_as_defaults']} |", flush=True)
    return rows


def early_stop_rows(args) -> list:
    """``early_stop`` against the full training, one pool at a time: one
    training of ``--epochs`` epochs on the kNN graph records the would-be
    picks (and, for ``core_gcn``, the embeddings) at every check; the checks
    draw nothing, so a run with ``early_stop=t`` is a prefix of it, and
    replaying the rule (:class:`~gcnal.samplers.early_stop.PickWatch`) on the
    record gives, for each threshold of ``--thresholds``, the epoch it stops
    at and the share of the full training's picks that its picks keep (for
    ``core_gcn``, k-center greedy on the stopping epoch's embeddings against
    the final ones; the rule watches its top-budget scores)."""
    from gcnal.graph import build_adjacency
    from gcnal.samplers import GCNSampler, score_sampler, train_sampler
    from gcnal.samplers.early_stop import PickWatch, pick_overlap
    from gcnal.selectors import closest_to_margin, k_center_greedy
    from gcnal.selectors.ranking import rank_unlabelled

    set_threads(args.threads, args.knn_backend.startswith("faiss"))
    rows = []
    for n in args.sizes:
        for d in args.dims:
            features, labelled = make_pool(n, d, args.seed, args.device)
            budget = max(1, n // 100)
            adj, _ = build_adjacency(features, "knn", "row", args.k, knn_backend=args.knn_backend)
            for method in args.methods:
                sampler = GCNSampler(d, cached=True).to(args.device)
                record = []

                def picks(scores):
                    if method == "uncertain_gcn":
                        chosen = closest_to_margin(scores, None, labelled, budget)[0]
                    else:
                        chosen = rank_unlabelled(-scores, labelled, budget)
                    embeddings = sampler.embed(adj.vectors, adj) if method == "core_gcn" else None
                    record.append((chosen, embeddings))
                    return chosen

                start = time.perf_counter()
                train_sampler(sampler, adj.vectors, adj, labelled, epochs=args.epochs,
                              generator=torch.Generator().manual_seed(args.seed),
                              early_stop=PickWatch(picks, 1.0, patience=args.epochs + 1))
                seconds = time.perf_counter() - start
                scores, embeddings = score_sampler(sampler, adj.vectors, adj)

                def method_picks(scores, emb):
                    return closest_to_margin(scores, None, labelled, budget)[0] \
                        if method == "uncertain_gcn" else \
                        k_center_greedy(None, emb, labelled, budget)[0]

                def final_picks(i):  # the method's picks at the i-th check
                    chosen, emb = record[i]
                    return chosen if method == "uncertain_gcn" else method_picks(None, emb)

                full = method_picks(scores, embeddings)
                for threshold in args.thresholds:
                    watch = PickWatch(None, threshold)
                    stop = next((i for i, (chosen, _) in enumerate(record)
                                 if watch.observe(chosen, watch.every * (i + 1), n)), None)
                    stopped = watch.stopped_at or args.epochs
                    kept = pick_overlap(full, final_picks(stop if stop is not None
                                                          else len(record) - 1), n)
                    rows.append({"seed": args.seed, "threads": args.threads, "device": args.device,
                                 "n": n, "d": d, "k": args.k, "method": method,
                                 "knn_backend": args.knn_backend, "budget": budget,
                                 "epochs": args.epochs, "threshold": threshold,
                                 "stop_epoch": stopped, "epochs_saved": args.epochs - stopped,
                                 "picks_shared_with_full": kept,
                                 "train_seconds_full": seconds,
                                 "overlaps": [round(o, 4) for _, o in watch.history]})
                    print(f"| {method} | {n:,} | {d} | {threshold} | {stopped} | "
                          f"{args.epochs - stopped} | {kept:.4f} |", flush=True)
    return rows


def gnn_preset(name: str, study: str):
    """The GNN preset ``name`` (a sampler to train), or exit naming ``study``."""
    from gcnal.methods import resolve_method
    from gcnal.methods.gnn import GNNMethod

    method = resolve_method(name)
    if not isinstance(method, GNNMethod):
        raise SystemExit(f"{study}: --methods takes GNN presets (a sampler to train), "
                         f"not {name!r}")
    return method


def trained_picks(method, adj, labelled, budget: int, given: dict, seed: int):
    """``method``'s picks on the graph ``adj`` with options ``given``, from
    ``seed``, as :func:`gcnal.select` trains, scores and selects; and the
    seconds of training and scoring."""
    from gcnal.methods.base import run_selector
    from gcnal.seeding import make_generator

    settings = method.check_options(given)
    generator = make_generator(seed, labelled.device)
    start = time.perf_counter()
    scores, embeddings, _, _ = method.train_and_score(adj, labelled, budget, settings, generator)
    seconds = time.perf_counter() - start
    picks = run_selector(method.selector, scores, embeddings, labelled, budget, generator,
                         method.values(settings, "selector"))[0]
    return picks, seconds


def search_precision_rows(args) -> list:
    r"""The ``"ivf-bf16"`` kNN graph against ``"ivf"``'s, one pool at a time:
    both graphs' seconds (search and graph) and the share of ``"ivf"``'s
    edges that ``"ivf-bf16"``'s graph has; then for each of ``--methods``
    (GNN presets, ``--epochs`` epochs, the bfloat16 first layer with
    ``--bf16``) the share of the picks on the ``"ivf"`` graph (budget 1% of N)
    that the picks on the ``"ivf-bf16"`` graph keep, from the same seed."""
    from gcnal.graph import build_adjacency
    from gcnal.samplers.early_stop import pick_overlap

    set_threads(args.threads, False)
    rows = []
    for n in args.sizes:
        for d in args.dims:
            features, labelled = make_pool(n, d, args.seed, args.device, args.labelled_fraction)
            budget = max(1, n // 100)
            graphs, seconds, edges = {}, {}, {}
            for backend in ("ivf", "ivf-bf16"):
                start = time.perf_counter()
                graphs[backend], _ = build_adjacency(features, "knn", "row", args.k,
                                                     knn_backend=backend)
                seconds[backend] = time.perf_counter() - start
                target, source = graphs[backend].edge_index
                edges[backend] = target * n + source
            found = torch.isin(edges["ivf"], edges["ivf-bf16"]).float().mean().item()
            given = {"epochs": args.epochs, **({"compute_dtype": torch.bfloat16} if args.bf16
                                                else {})}
            for name in args.methods:
                method = gnn_preset(name, "search-precision")
                picks = {backend: trained_picks(method, graphs[backend], labelled, budget, given,
                                                args.seed)[0] for backend in graphs}
                shared = pick_overlap(picks["ivf"], picks["ivf-bf16"], n)
                rows.append({"seed": args.seed, "threads": args.threads, "device": args.device,
                             "n": n, "d": d, "k": args.k, "method": name, "budget": budget,
                             "epochs": args.epochs, "bf16_layer": args.bf16,
                             "graph_seconds_ivf": seconds["ivf"],
                             "graph_seconds_ivf_bf16": seconds["ivf-bf16"],
                             "edges_kept": found, "picks_shared": shared})
                print(f"| {name} | {n:,} | {d} | {seconds['ivf']:.1f} | "
                      f"{seconds['ivf-bf16']:.1f} | {found:.4f} | {shared:.4f} |", flush=True)
    return rows


def precision_rows(args) -> list:
    r"""The bfloat16 first layer (``compute_dtype=torch.bfloat16``) against
    float32, one pool at a time: one kNN graph (``--knn-backend``), then for
    each of ``--methods`` (GNN presets) the preset's training of ``--epochs``
    epochs, scoring and selector in each precision, from the same seed, as
    :func:`gcnal.select` runs them. A row per method: both training times and
    the share of the float32 picks (budget 1% of N) that the bfloat16 picks
    keep, :math:`|P_{32} \cap P_{16}| / |P_{32}|`."""
    from gcnal.graph import build_adjacency
    from gcnal.samplers.early_stop import pick_overlap

    set_threads(args.threads, args.knn_backend.startswith("faiss"))
    rows = []
    for n in args.sizes:
        for d in args.dims:
            features, labelled = make_pool(n, d, args.seed, args.device, args.labelled_fraction)
            budget = max(1, n // 100)
            start = time.perf_counter()
            adj, _ = build_adjacency(features, "knn", "row", args.k, knn_backend=args.knn_backend)
            graph_seconds = time.perf_counter() - start
            for name in args.methods:
                method = gnn_preset(name, "precision")
                picks, seconds = {}, {}
                for precision, dtype in (("float32", None), ("bfloat16", torch.bfloat16)):
                    given = {"epochs": args.epochs, **({"compute_dtype": dtype} if dtype else {})}
                    picks[precision], seconds[precision] = trained_picks(
                        method, adj, labelled, budget, given, args.seed)
                shared = pick_overlap(picks["float32"], picks["bfloat16"], n)
                rows.append({"seed": args.seed, "threads": args.threads, "device": args.device,
                             "n": n, "d": d, "k": args.k, "method": name,
                             "knn_backend": args.knn_backend, "budget": budget,
                             "epochs": args.epochs, "graph_seconds": graph_seconds,
                             "train_seconds_float32": seconds["float32"],
                             "train_seconds_bfloat16": seconds["bfloat16"],
                             "picks_shared": shared,
                             "picks_head_float32": picks["float32"][:20].tolist(),
                             "picks_head_bfloat16": picks["bfloat16"][:20].tolist()})
                print(f"| {name} | {n:,} | {d} | {args.epochs} | {seconds['float32']:.1f} | "
                      f"{seconds['bfloat16']:.1f} | {shared:.4f} |", flush=True)
    return rows


def run_units(study: str, units, results_dir: Path, fresh: bool = False) -> list:
    """Measure each unit of ``units`` (pairs of a settings dict, its key, and
    a function returning its rows) unless error-free rows with the same key
    and commit are already in ``results_dir/<study>.jsonl``; append each unit's rows in
    one atomic write as soon as they are measured. Returns every unit's rows,
    found or measured, in unit order."""
    from benchmarks.results_io import append_rows, describe_device, git_commit, read_rows, utc_now

    path = Path(results_dir) / f"{study}.jsonl"
    commit = git_commit()
    found = {}
    for row in read_rows(path):
        if row.get("commit") == commit and "unit" in row:
            found.setdefault(row["unit"], []).append(row)
    rows, skipped = [], 0
    for settings, measure in units:
        key = json.dumps(settings, sort_keys=True)
        earlier = found.get(key, [])
        if earlier and not fresh and not any("error" in row for row in earlier):
            rows.extend(earlier)
            skipped += 1
            continue
        measured = measure()
        stamp = {"study": study, "commit": commit, "date": utc_now(), "unit": key,
                 "machine": describe_device(measured[0]["device"]) if measured else ""}
        append_rows(path, [{**stamp, **row} for row in measured])
        rows.extend({**stamp, **row} for row in measured)
    if skipped:
        print(f"{skipped} of {len(units)} units already measured at commit {commit}: "
              f"kept their rows in {path} (--fresh measures them again)")
    return rows


def per_pool(rows_of, args, **pools) -> list:
    """Units of an in-process study, one per pool: ``rows_of`` on ``args``
    narrowed to one value of each list in ``pools`` (e.g. ``sizes=[...]``,
    ``dims=[...]``), the settings being the narrowed arguments."""
    import itertools

    units = []
    for values in itertools.product(*pools.values()):
        narrowed = argparse.Namespace(**{**vars(args), **{name: [v] for name, v in zip(pools, values)}})
        settings = {k: v for k, v in vars(narrowed).items()
                    if k not in ("study", "config", "results_dir", "fresh", "timeout")}
        units.append((settings, lambda a=narrowed: rows_of(a)))
    return units


def print_header() -> None:
    print("| method | N | d | graph | graph s | train s | select s | total s | peak MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def print_table(rows) -> None:
    for r in rows:
        if "error" in r:
            print(f"| {r['method']} | {r['n']:,} | {r['d']} | | | | | {r['error']} | |")
            continue
        print(f"| {r['method']} | {r['n']:,} | {r['d']} | {r['graph_used']} | "
              f"{r.get('graph_s', 0):.2f} | {r.get('train_s', 0):.2f} | {r.get('select_s', 0):.2f} | "
              f"{r['total_s']:.2f} | {r['peak_mb']:.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["sizes", "dense-vs-knn", "coreset-vs-small-text",
                                          "knn-search", "epoch-ab", "early-stop", "precision",
                                          "search-precision", "one"])
    parser.add_argument("config", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--methods", nargs="+", default=["uncertain_gcn", "core_gcn", "coreset"])
    parser.add_argument("--k", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--labelled-fraction", type=float, default=0.05)
    parser.add_argument("--knn-backend", default="torch",
                        choices=["torch", "faiss", "faiss-approx", "ivf", "ivf-bf16"])
    parser.add_argument("--backends", nargs="+", default=None,
                        help="knn-search: the backends to time (default: every installed one)")
    parser.add_argument("--recall-queries", type=int, default=None,
                        help="knn-search: recall on this many sampled queries, exact by brute "
                             "force for them only; leaves the exact backends out")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="sampler mini-batch size (default: select's 'auto')")
    parser.add_argument("--bf16", action="store_true",
                        help="bfloat16 first layer for the GCN samplers (compute_dtype)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="k-center candidates for core_gcn / coreset (default: all)")
    parser.add_argument("--graph", default="knn", choices=["knn", "dense"],
                        help="epoch-ab: the pool graph (dense: factored on these pools)")
    parser.add_argument("--epochs", type=int, default=20,
                        help="epoch-ab: epochs per round (at least 2); early-stop, precision: "
                             "the full training's epochs (e.g. 200)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.95, 0.98, 0.99],
                        help="early-stop: the early_stop thresholds replayed")
    parser.add_argument("--rounds", type=int, default=4,
                        help="epoch-ab: rounds per arm")
    parser.add_argument("--results-dir", type=Path, default=RESULTS,
                        help="where the <study>.jsonl rows go (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true",
                        help="measure every unit again, even those this commit already has rows for")
    args = parser.parse_args()
    if args.study == "one":
        print(json.dumps(run_one(json.loads(args.config))))
        return
    per_pool_studies = {  # study: (its table's header, the rows of one pool)
        "epoch-ab": ("| N | d | graph | arm | ms per epoch | defaults' speed-up | same losses |",
                     epoch_ab_rows),
        "early-stop": ("| method | N | d | threshold | stops at epoch | epochs saved "
                       "| picks shared with full |", early_stop_rows),
        "precision": ("| method | N | d | epochs | float32 train s | bfloat16 train s "
                      "| picks shared |", precision_rows),
        "search-precision": ("| method | N | d | ivf graph s | ivf-bf16 graph s "
                             "| ivf edges kept | picks shared |", search_precision_rows),
    }
    if args.study in per_pool_studies:
        header, rows = per_pool_studies[args.study]
        print(header + "\n" + "| --- " * header.count("|", 1) + "|")
        run_units(args.study.replace("-", "_"),
                  per_pool(rows, args, sizes=args.sizes, dims=args.dims),
                  args.results_dir, args.fresh)
        return
    if args.study == "knn-search":
        print("| backend | N | d | seconds | recall@k | speed-up |\n| --- | --- | --- | --- | --- | --- |")
        run_units("knn_search", per_pool(knn_search_rows, args, dims=args.dims),
                  args.results_dir, args.fresh)
        return
    base = {"seed": args.seed, "threads": args.threads, "device": args.device, "k": args.k,
            "labelled_fraction": args.labelled_fraction, "knn_backend": args.knn_backend,
            "batch_size": args.batch_size or "auto", "candidates": args.candidates,
            "bf16": args.bf16}
    configs = []
    if args.study == "sizes":
        configs = [{**base, "n": n, "d": d, "method": m, "graph": "knn" if m != "coreset" else "auto"}
                   for n in args.sizes for d in args.dims for m in args.methods]
    elif args.study == "dense-vs-knn":
        configs = [{**base, "n": n, "d": d, "method": m, "graph": g}
                   for n in args.sizes for d in args.dims for m in ("uncertain_gcn", "core_gcn")
                   for g in ("dense", "knn")]
    else:
        configs = [{**base, "n": args.size, "d": d, "method": m}
                   for d in args.dims for m in ("coreset", "small_text_coreset")]
    print_header()

    def measured(config):
        row = in_subprocess(config, args.timeout)
        print_table([row])
        return [row]

    rows = run_units(args.study.replace("-", "_"),
                     [(config, lambda c=config: measured(c)) for config in configs],
                     args.results_dir, args.fresh)
    if args.study == "coreset-vs-small-text":
        for d in args.dims:
            ours, theirs = ([r for r in rows if r["d"] == d and "error" not in r] + [None, None])[:2]
            if ours and theirs:
                same = ours["picks_head"] == theirs["picks_head"]
                print(f"d = {d}: gcnal CoreSet {theirs['total_s'] / ours['total_s']:.1f}x faster "
                      f"than small-text's greedy_coreset; first 20 picks identical: {same}")


if __name__ == "__main__":
    main()
