r"""The pool-based active-learning loop (one dataset, one method, one trial).

Per cycle ``c`` (the Sequential GCN protocol):

1. Build a new learner (weights seeded by (trial seed, cycle): the same
   initial weights for every method) and train it on the labelled set.
2. Test accuracy on the official test set.
3. Draw a random subset of ``subset`` unlabelled items, compute the
   learner's penultimate features (and softmax probabilities) for the
   subset followed by all labelled items, and call ``gcnal.select`` on that
   pool (``subset=None``: gcnal sees exactly the paper's pool). The picks are
   mapped back to training-set indices. Random needs no features: it is
   called on the whole training pool with a constant feature column, which
   is the same distribution (uniform over the unlabelled items) without the
   learner's forward pass.
4. Write one JSON line (accuracy, times, the picked indices) and add the
   picks to the labelled set.

The last cycle selects too, so a finished study can be extended with more
cycles. Resuming rebuilds the labelled set from the rows already written
(initial set + ``selected`` of each row) and continues at the next cycle; a
resumed trial gives the same picks as an uninterrupted one, up to the
non-determinism of the device's kernels.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from .datasets import ImageDataset
from .learners import DeviceData, accuracy, build_learner, predict, train_learner
from .profiles import Profile
from .results_io import append_row, describe_device, git_commit, read_rows, result_path, utc_now
from .selection import FEATURELESS_METHODS, gcnal_version, method_signal, select_batch
from .task_aware import IMAGE_METHODS, LEARNER_OVERRIDES, task_learner

__all__ = ["derive_seed", "initial_labelled", "PreparedData", "prepare_data", "run_trial", "ResumeError"]

log = logging.getLogger("benchmarks")

_TAGS = {"initial": 1, "init": 2, "train": 3, "subset": 4, "select": 5}


class ResumeError(RuntimeError):
    """Existing rows do not match the requested run (other settings, gaps, wrong sizes)."""


def derive_seed(seed: int, cycle: int, tag: str) -> int:
    """A 31-bit seed for one purpose (``tag``) of one cycle of one trial."""
    return int(np.random.SeedSequence([int(seed), int(cycle), _TAGS[tag]]).generate_state(1)[0] & 0x7FFFFFFF)


def initial_labelled(num_train: int, initial: int, seed: int) -> np.ndarray:
    """The trial's initial labelled set: the same for every method of the trial."""
    if not 0 < initial < num_train:
        raise ValueError(f"initial must be in [1, {num_train - 1}], got {initial}")
    rng = np.random.default_rng(derive_seed(seed, 0, "initial"))
    return np.sort(rng.choice(num_train, size=initial, replace=False)).astype(np.int64)


@dataclass
class PreparedData:
    """A dataset moved to the device once and shared by all trials and methods."""

    dataset: ImageDataset
    device: torch.device
    train: DeviceData
    test: DeviceData
    train_y: torch.Tensor
    test_y: torch.Tensor


def prepare_data(dataset: ImageDataset, device) -> PreparedData:
    device = torch.device(device)
    return PreparedData(
        dataset=dataset,
        device=device,
        train=DeviceData(dataset.train_x, dataset.mean, dataset.std, device),
        test=DeviceData(dataset.test_x, dataset.mean, dataset.std, device),
        train_y=torch.as_tensor(dataset.train_y, device=device),
        test_y=torch.as_tensor(dataset.test_y, device=device),
    )


def _resume_state(rows: List[Dict], profile: Profile, base: np.ndarray, path: Path) -> np.ndarray:
    """Check the rows written so far and rebuild the labelled set they lead to."""
    config = profile.config()
    labelled = base.copy()
    for expected_cycle, row in enumerate(rows):
        if row.get("cycle") != expected_cycle:
            raise ResumeError(f"{path}: expected cycle {expected_cycle}, found {row.get('cycle')}: rows must be 0, 1, ...")
        if row.get("config") != config:
            raise ResumeError(
                f"{path}: cycle {expected_cycle} was run with other settings:\n  stored    {row.get('config')}\n"
                f"  requested {config}\nUse another --study (or move the old file away)."
            )
        if row.get("labelled") != len(labelled):
            raise ResumeError(f"{path}: cycle {expected_cycle} says {row.get('labelled')} labelled, expected {len(labelled)}")
        selected = np.asarray(row.get("selected", []), dtype=np.int64)
        if len(selected) != profile.budget or np.isin(selected, labelled).any():
            raise ResumeError(f"{path}: cycle {expected_cycle} has an invalid 'selected' list")
        labelled = np.concatenate([labelled, selected])
    return labelled


def run_trial(
    data: PreparedData,
    profile: Profile,
    method: str,
    trial: int,
    results_dir: Path,
    study: str,
    *,
    cycles: Optional[int] = None,
    deadline: Optional[float] = None,
) -> int:
    """Run (or resume) one trial of one method; returns the number of cycles written now.

    Args:
        data: the prepared dataset.
        profile: the settings (a :class:`~benchmarks.profiles.Profile`).
        method: a gcnal preset name.
        trial: trial number; its seed is ``trial``.
        results_dir, study: rows go to ``results_dir/study/<dataset>__<method>__trial<k>.jsonl``.
        cycles: how many cycles the trial should have (default: the profile's).
        deadline: a ``time.time()`` after which no new cycle is started.
    """
    ds = data.dataset
    # the dataset decides augmentation; some methods' papers set their learner's lr
    profile = profile.replace(augment=bool(ds.augment), **LEARNER_OVERRIDES.get(method, {}))
    cycles = profile.cycles if cycles is None else cycles
    seed = int(trial)
    path = result_path(results_dir, study, ds.name, method, trial)
    rows = read_rows(path)
    n_train = len(ds.train_y)
    base = initial_labelled(n_train, profile.initial, seed)
    labelled = _resume_state(rows, profile, base, path)
    start_cycle = len(rows)
    written = 0
    if start_cycle >= cycles:
        log.info("%s: %d cycles already done", path.name, start_cycle)
        return 0
    if start_cycle:
        log.info("%s: resuming at cycle %d (%d labelled)", path.name, start_cycle, len(labelled))
    train_cfg = profile.train
    config = profile.config()
    device_name = describe_device(data.device)
    all_idx = np.arange(n_train)
    for cycle in range(start_cycle, cycles):
        if deadline is not None and time.time() > deadline:
            log.info("deadline reached before %s cycle %d", path.name, cycle)
            break
        if len(labelled) + profile.budget > n_train:
            log.info("%s: pool exhausted at cycle %d", path.name, cycle)
            break
        mask_l = np.zeros(n_train, dtype=bool)
        mask_l[labelled] = True
        unlabelled = all_idx[~mask_l]
        rng = np.random.default_rng(derive_seed(seed, cycle, "subset"))
        subset = rng.choice(unlabelled, size=min(profile.subset, len(unlabelled)), replace=False)
        model = task_learner(method, build_learner(profile.learner, ds.num_classes, ds.channels,
                                                   derive_seed(seed, cycle, "init")),
                             ds.num_classes, derive_seed(seed, cycle, "init"), data.device)
        # Joint learners also train on as many unlabelled items as labelled ones
        # (TJLS's U_0), the first of the cycle's subset.
        joint = subset[:len(labelled)] if model.needs_unlabelled else None
        train_time = train_learner(model, data.train, data.train_y, labelled, train_cfg,
                                   derive_seed(seed, cycle, "train"), unlabelled=joint)
        t0 = time.perf_counter()
        test_probs, _ = predict(model, data.test, amp=train_cfg.amp)
        acc = accuracy(test_probs, data.test_y)
        eval_time = time.perf_counter() - t0

        # Selection pool.
        t0 = time.perf_counter()
        signal, signals, options = method_signal(method), {}, {}
        if method in FEATURELESS_METHODS:
            pool = all_idx
            features = torch.zeros((n_train, 1), device=data.device)
            pool_mask = mask_l
        else:
            pool = np.concatenate([subset, labelled])
            probs, features = predict(model, data.train, pool, amp=train_cfg.amp)
            pool_mask = np.zeros(len(pool), dtype=bool)
            pool_mask[len(subset):] = True
            if signal == "probs":
                signals = {"probs": probs}
            elif signal is not None or method in IMAGE_METHODS:
                images = data.train.batch(torch.as_tensor(pool, device=data.device))
                if signal is not None:
                    signals = model.eval().signals(images, derive_seed(seed, cycle, "select"))
                    signals = {signal: signals[signal]}
                if method in IMAGE_METHODS:
                    features = images.flatten(1)
                    options = {"options": {"image_shape": tuple(images.shape[1:])}}
        if profile.method_options:
            options = {"options": {**options.get("options", {}), **profile.method_options}}
        feature_time = time.perf_counter() - t0
        picks, timings, sel_time, sel_info = select_batch(
            method,
            features,
            torch.as_tensor(pool_mask, device=data.device),
            profile.budget,
            seed=derive_seed(seed, cycle, "select"),
            **signals,
            **options,
        )
        selected = pool[picks]
        if len(np.unique(selected)) != profile.budget or mask_l[selected].any():
            raise RuntimeError(
                f"gcnal.select('{method}') returned {len(selected)} picks, "
                f"{len(np.unique(selected))} unique, {int(mask_l[selected].sum())} already labelled"
            )
        row = {
            "dataset": ds.name,
            "dataset_label": ds.label,
            "profile": profile.name,
            "study": study,
            "method": method,
            "trial": int(trial),
            "cycle": int(cycle),
            "labelled": int(len(labelled)),
            "accuracy": acc,
            "selection_time_s": round(sel_time, 4),
            "train_time_s": round(train_time, 3),
            "feature_time_s": round(feature_time, 3),
            "eval_time_s": round(eval_time, 3),
            "seed": seed,
            "learner": profile.learner,
            "epochs": train_cfg.epochs,
            "commit": git_commit(),
            "gcnal_version": gcnal_version(),
            "device": device_name,
            "date": utc_now(),
            "gcnal_timings": {k: round(v, 4) for k, v in timings.items()},
            "gcnal_info": sel_info,
            "config": config,
            "selected": [int(i) for i in selected],
        }
        append_row(path, row)
        written += 1
        log.info(
            "%s %s trial %d cycle %d: %d labelled, acc %.4f, train %.1fs, features %.1fs, select %.2fs",
            ds.name, method, trial, cycle, len(labelled), acc, train_time, feature_time, sel_time,
        )
        labelled = np.concatenate([labelled, selected])
        del model
    return written
