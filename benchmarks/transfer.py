r"""Transfer-feature pools: what a user with a small labelled side set has.

A **side set** of ``side`` labelled images is drawn from the official
training split, and a :class:`~benchmarks.learners.SmallCNN` is trained on it
only (cross-entropy, SGD, cosine schedule; crop + flip for CIFAR-style data);
its penultimate layer (128-d, post-ReLU) is the feature vector of every pool
image and of the official test split. Trial ``t``'s **pool** is the first
``pool`` images of a permutation of the training split seeded by ``t`` that
are not in the side set, so pool and side set are disjoint and the pool's
labels are never seen by the encoder: active learning then labels pool images
for a linear learner on these fixed features. With ``per_trial`` each trial
trains its own encoder on its own side set (the permutation's next ``side``
images); otherwise every trial uses trial 0's encoder (for CIFAR-10, whose
encoder costs too much CPU to train five times).

Encoders and features are cached under ``<cache>/`` (default
``.data/transfer/`` in the repository root, which git ignores;
``GCNAL_FEATURE_CACHE`` overrides it), so each encoder is trained once.
:func:`probe_rows` writes a **linear probe** per trial (logistic regression
on the standardised features of all pool labels, tested on the test split)
beside the same probe on PCA-64 of the pool's pixels (the regimes harness's
other features), to ``results/transfer_probes/probes.jsonl``::

    python -m benchmarks.transfer --dataset fashion_mnist --trials 0 1 2 3 4
    python -m benchmarks.transfer --dataset cifar10 --trials 0 1 2 3 4 --no-probe  # cache only
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .datasets import load_dataset
from .learners import DeviceData, SmallCNN, TrainConfig, build_learner, predict, train_learner
from .results_io import REPO_ROOT, append_rows, describe_device, git_commit, utc_now

__all__ = ["Encoder", "ENCODERS", "cache_dir", "side_indices", "pool_indices", "transfer_features",
           "linear_probe", "pca_probe", "probe_rows"]

log = logging.getLogger("benchmarks.transfer")

PROBES = Path(__file__).resolve().parent / "results" / "transfer_probes" / "probes.jsonl"


@dataclass(frozen=True)
class Encoder:
    """How a dataset's transfer features are made: pool and side-set sizes,
    whether each trial trains its own encoder, and the side-set CNN's training
    (SGD with momentum 0.9, weight decay 5e-4, one epoch of warm-up then
    cosine decay)."""

    pool: int
    side: int
    epochs: int
    per_trial: bool = True
    lr: float = 0.05
    batch_size: int = 64

    def encoder_trial(self, trial: int) -> int:
        """The trial whose side set and seeds train ``trial``'s encoder."""
        return trial if self.per_trial else 0

    def tag(self, dataset: str) -> str:
        return f"{dataset}_pool{self.pool}_side{self.side}_e{self.epochs}"


#: The encoders of the transfer studies. CIFAR-10 needs a larger side set:
#: 1,000 images give features whose probe is barely above PCA of the pixels.
ENCODERS: Dict[str, Encoder] = {
    "fashion_mnist": Encoder(pool=20000, side=1000, epochs=30),
    "cifar10": Encoder(pool=20000, side=5000, epochs=20, per_trial=False),
}


def cache_dir() -> Path:
    """Where features are cached: ``$GCNAL_FEATURE_CACHE`` or ``<repo>/.data/transfer``."""
    return Path(os.environ.get("GCNAL_FEATURE_CACHE", REPO_ROOT / ".data" / "transfer"))


def _seed(trial: int, tag: int) -> int:
    return int(np.random.SeedSequence([trial, 7, tag]).generate_state(1)[0] & 0x7FFFFFFF)


def _permutation(num_train: int, trial: int) -> np.ndarray:
    return np.random.default_rng(_seed(trial, 1)).permutation(num_train)


def side_indices(num_train: int, encoder: Encoder, trial: int) -> np.ndarray:
    """Sorted side-set indices of ``trial``'s encoder: images ``pool .. pool + side``
    of its encoder trial's permutation."""
    if encoder.pool + encoder.side > num_train:
        raise ValueError(f"pool + side = {encoder.pool + encoder.side} exceeds the {num_train} training images")
    order = _permutation(num_train, encoder.encoder_trial(trial))
    return np.sort(order[encoder.pool:encoder.pool + encoder.side])


def pool_indices(num_train: int, encoder: Encoder, trial: int) -> np.ndarray:
    """Sorted pool indices of ``trial``: the first ``pool`` of its permutation
    outside the side set (for the encoder's own trial, simply the first ``pool``)."""
    order = _permutation(num_train, trial)
    outside = order[~np.isin(order, side_indices(num_train, encoder, trial))]
    return np.sort(outside[:encoder.pool])


def _train_encoder(dataset: str, encoder: Encoder, trial: int, data, images: DeviceData,
                   labels: torch.Tensor, cache: Path) -> Tuple[torch.nn.Module, Dict]:
    """The side-set CNN of ``trial`` (its weights cached as ``<tag>_encoder<e>.pt``)
    and how it was made (side-set test accuracy, seconds, threads)."""
    owner = encoder.encoder_trial(trial)
    path = cache / f"{encoder.tag(dataset)}_encoder{owner}.pt"
    model = build_learner("small_cnn", data.num_classes, data.channels, _seed(owner, 2))
    if path.exists():
        stored = torch.load(path, weights_only=True)
        model.load_state_dict(stored["state_dict"])
        return model, json.loads(stored["meta"])
    start = time.perf_counter()
    config = TrainConfig(epochs=encoder.epochs, lr=encoder.lr, batch_size=encoder.batch_size,
                         schedule="cosine", augment=data.augment, amp=False)
    train_learner(model, images, labels, side_indices(len(data.train_y), encoder, trial), config,
                  seed=_seed(owner, 3))
    seconds = time.perf_counter() - start
    test_probs, _ = predict(model, images, len(data.train_y) + np.arange(len(data.test_y)), amp=False)
    meta = {"encoder_trial": owner, "cnn_test_accuracy": float((test_probs.argmax(1).numpy() == data.test_y).mean()),
            "encoder_seconds": round(seconds, 1), "threads": torch.get_num_threads()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.pt")
    torch.save({"state_dict": model.state_dict(), "meta": json.dumps(meta)}, tmp)
    os.replace(tmp, path)
    log.info("%s encoder %d: %.0f s, side-set CNN test accuracy %.3f", dataset, owner, seconds,
             meta["cnn_test_accuracy"])
    return model, meta


def linear_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Test accuracy of logistic regression (C = 1, as the studies' learner) trained on
    every train row, both sides standardised with the train rows' statistics."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = train_x.mean(axis=0), train_x.std(axis=0) + 1e-6
    model = LogisticRegression(max_iter=3000, C=1.0).fit((train_x - mean) / scale, train_y)
    return float(np.mean(model.predict((test_x - mean) / scale) == test_y))


def transfer_features(dataset: str, trial: int, encoder: Optional[Encoder] = None, data_dir=None,
                      cache: Optional[Path] = None) -> Dict[str, np.ndarray]:
    """The trial's pool and test features (cached): ``train_x`` ``(pool, 128)``
    float32 (raw post-ReLU), ``train_y``, ``test_x``, ``test_y``, ``pool_index``
    and ``side_index`` (into the training split), and ``meta`` (a JSON string:
    the encoder, its side-set CNN's accuracy on the test split, seconds)."""
    encoder = encoder or ENCODERS[dataset]
    cache = Path(cache) if cache is not None else cache_dir()
    path = cache / f"{encoder.tag(dataset)}_trial{trial}.npz"
    if path.exists():
        with np.load(path) as stored:
            return {k: stored[k] for k in stored.files}
    data = load_dataset(dataset, data_dir)
    images = DeviceData(np.concatenate([data.train_x, data.test_x]), data.mean, data.std, torch.device("cpu"))
    labels = torch.as_tensor(np.concatenate([data.train_y, data.test_y]).astype(np.int64))
    model, made = _train_encoder(dataset, encoder, trial, data, images, labels, cache)
    pool_index = pool_indices(len(data.train_y), encoder, trial)
    _, pool_feats = predict(model, images, pool_index, amp=False)
    _, test_feats = predict(model, images, len(data.train_y) + np.arange(len(data.test_y)), amp=False)
    out = {"train_x": pool_feats.numpy().astype(np.float32), "train_y": data.train_y[pool_index].astype(np.int64),
           "test_x": test_feats.numpy().astype(np.float32), "test_y": data.test_y.astype(np.int64),
           "pool_index": pool_index, "side_index": side_indices(len(data.train_y), encoder, trial)}
    meta = {"dataset": dataset, "trial": trial, "encoder": asdict(encoder),
            "feature_dim": SmallCNN.feature_dim, **made}
    out["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **out)
    os.replace(tmp, path)
    return out


def pca_probe(dataset: str, pool_index: np.ndarray, data_dir=None, dim: int = 64, seed: int = 0) -> float:
    """The same linear probe on PCA-``dim`` of the pool's pixels (fitted on the
    pool without labels, standardised), the regimes harness's PCA features."""
    from .regimes import _pca_features

    data = load_dataset(dataset, data_dir)
    pixels = data.train_x[pool_index].reshape(len(pool_index), -1).astype(np.float32) / 255.0
    test = data.test_x.reshape(len(data.test_x), -1).astype(np.float32) / 255.0
    train_x, test_x = _pca_features(pixels, test, dim, seed)
    return linear_probe(train_x, data.train_y[pool_index], test_x, data.test_y)


def probe_rows(dataset: str, trials: Sequence[int], encoder: Optional[Encoder] = None,
               data_dir=None) -> List[Dict]:
    """One row per trial: the transfer features' probe and PCA-64's on the same pool."""
    encoder = encoder or ENCODERS[dataset]
    rows = []
    for trial in trials:
        feats = transfer_features(dataset, trial, encoder, data_dir)
        meta = json.loads(str(feats["meta"]))
        rows.append({"dataset": dataset, "trial": trial, "seed": trial, "encoder": asdict(encoder),
                     "encoder_trial": meta["encoder_trial"], "cnn_test_accuracy": meta["cnn_test_accuracy"],
                     "transfer_probe_accuracy": linear_probe(feats["train_x"], feats["train_y"],
                                                             feats["test_x"], feats["test_y"]),
                     "pca64_probe_accuracy": pca_probe(dataset, feats["pool_index"], data_dir, seed=trial),
                     "encoder_seconds": meta["encoder_seconds"], "encoder_threads": meta["threads"],
                     "commit": git_commit(), "device": describe_device("cpu"), "date": utc_now(),
                     "command": " ".join(["python -m benchmarks.transfer"] + sys.argv[1:])})
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(ENCODERS), required=True)
    parser.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--side", type=int, default=None, help="side-set size (default: the study's)")
    parser.add_argument("--epochs", type=int, default=None, help="encoder epochs (default: the study's)")
    parser.add_argument("--no-probe", action="store_true", help="build the cache only, no probe rows")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    base = ENCODERS[args.dataset]
    encoder = Encoder(pool=base.pool, side=args.side or base.side, epochs=args.epochs or base.epochs,
                      per_trial=base.per_trial, lr=base.lr, batch_size=base.batch_size)
    if args.no_probe:
        for trial in args.trials:
            transfer_features(args.dataset, trial, encoder, args.data_dir)
        return 0
    rows = probe_rows(args.dataset, args.trials, encoder, args.data_dir)
    append_rows(PROBES, rows)
    for r in rows:
        print(f"{r['dataset']} trial {r['trial']}: transfer probe {r['transfer_probe_accuracy']:.3f}, "
              f"PCA-64 probe {r['pca64_probe_accuracy']:.3f}, side-set CNN {r['cnn_test_accuracy']:.3f}, "
              f"encoder {r['encoder_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
