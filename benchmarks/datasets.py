r"""Image datasets for the active-learning benchmarks, as uint8 arrays.

Every loader returns an :class:`ImageDataset`: ``train_x`` / ``test_x`` are
``(N, H, W, C)`` uint8 arrays (channels last, as stored on disk), the labels
are int64. Nothing here imports torchvision at module level: it is only
imported inside the internet-download path (``download=True``) for users who
have it installed (the ``vision`` extra), because torchvision cannot be
imported next to the CPU build of torch on the project machines.

Offline copies (see ``../shared/data/README.md``):

- ``fashion_mnist``: the four original IDX files (gzip) under
  ``<data-dir>/fashion-mnist/``.
- ``cifar10``: ``<data-dir>/cifar10/cifar10-jpeg75.npz``, a lossy JPEG
  quality-75 copy. Results on it are labelled "CIFAR-10 (JPEG q75)".
- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images), an embedded
  real dataset used by the ``smoke`` profile; no download, no data dir.

Download path (internet + torchvision): ``cifar10``, ``cifar100``, ``svhn``,
``fashion_mnist`` into ``<data-dir>/download/``.

Run ``python -m benchmarks.datasets --dataset fashion_mnist`` to check that a
dataset loads and print its shape and class balance.
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]

__all__ = [
    "ImageDataset",
    "DATASETS",
    "available_datasets",
    "default_data_dir",
    "load_dataset",
    "load_dataset_once",
    "read_idx",
]


@dataclass
class ImageDataset:
    """A train / test split of images held in memory as uint8 arrays.

    Attributes:
        name: registry name (``"fashion_mnist"``).
        label: how results on it are labelled (``"CIFAR-10 (JPEG q75)"``).
        train_x: ``(N, H, W, C)`` uint8. train_y: ``(N,)`` int64.
        test_x: ``(M, H, W, C)`` uint8. test_y: ``(M,)`` int64.
        num_classes: number of classes.
        augment: whether the paper's protocol trains it with random crop
            (padding 4) + horizontal flip (CIFAR-style datasets only).
        source: where the arrays came from (path or "download").
    """

    name: str
    label: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int
    augment: bool = False
    source: str = ""
    mean: Tuple[float, ...] = field(default=())
    std: Tuple[float, ...] = field(default=())

    def __post_init__(self) -> None:
        for split, x, y in (("train", self.train_x, self.train_y), ("test", self.test_x, self.test_y)):
            if x.ndim != 4 or x.dtype != np.uint8:
                raise ValueError(
                    f"{self.name}: {split}_x must be a (N, H, W, C) uint8 array, "
                    f"got shape {x.shape} and dtype {x.dtype}"
                )
            if len(x) != len(y):
                raise ValueError(f"{self.name}: {split}_x has {len(x)} images but {split}_y has {len(y)} labels")
        self.train_y = self.train_y.astype(np.int64)
        self.test_y = self.test_y.astype(np.int64)
        if not self.mean:
            # Per-channel statistics of the training images, in [0, 1] units.
            flat = self.train_x.reshape(-1, self.channels).astype(np.float64) / 255.0
            self.mean = tuple(float(v) for v in flat.mean(0))
            self.std = tuple(float(v) for v in flat.std(0))

    @property
    def channels(self) -> int:
        return int(self.train_x.shape[-1])

    @property
    def image_size(self) -> Tuple[int, int]:
        return int(self.train_x.shape[1]), int(self.train_x.shape[2])

    def summary(self) -> str:
        counts = np.bincount(self.train_y, minlength=self.num_classes)
        return (
            f"{self.label}: train {self.train_x.shape}, test {self.test_x.shape}, "
            f"{self.num_classes} classes (train per class {counts.min()}..{counts.max()}), "
            f"mean {tuple(round(m, 4) for m in self.mean)}, std {tuple(round(s, 4) for s in self.std)}, "
            f"source {self.source}"
        )


def default_data_dir() -> Path:
    """``$GCNAL_DATA`` if set, else ``../shared/data`` relative to the repository root."""
    env = os.environ.get("GCNAL_DATA")
    if env:
        return Path(env)
    return (REPO_ROOT / ".." / "shared" / "data").resolve()


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    The IDX header is big-endian: two zero bytes, a type code (0x08 = uint8),
    the number of dimensions, then one uint32 size per dimension.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    type_code, ndim = data[2], data[3]
    if type_code != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX files (type 0x08) are supported, got type {type_code:#x}")
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) if ndim else 0
    if len(data) - header != expected:
        raise ValueError(f"{path}: header says {shape} ({expected} bytes) but the file holds {len(data) - header} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def _load_fashion_mnist(data_dir: Path, download: bool) -> ImageDataset:
    folder = data_dir / "fashion-mnist"
    names = {
        "train_x": "train-images-idx3-ubyte",
        "train_y": "train-labels-idx1-ubyte",
        "test_x": "t10k-images-idx3-ubyte",
        "test_y": "t10k-labels-idx1-ubyte",
    }
    paths = {}
    for key, stem in names.items():
        for candidate in (folder / (stem + ".gz"), folder / stem):
            if candidate.exists():
                paths[key] = candidate
                break
    if len(paths) == 4:
        arrays = {key: read_idx(p) for key, p in paths.items()}
        return ImageDataset(
            name="fashion_mnist",
            label="FashionMNIST",
            train_x=arrays["train_x"][..., None],
            train_y=arrays["train_y"],
            test_x=arrays["test_x"][..., None],
            test_y=arrays["test_y"],
            num_classes=10,
            augment=False,
            source=str(folder),
        )
    if not download:
        raise FileNotFoundError(
            f"FashionMNIST IDX files not found in {folder} (looked for {sorted(names.values())}, "
            f"optionally .gz). Pass --data-dir (or set GCNAL_DATA) to the folder that holds "
            f"'fashion-mnist/', or --download to fetch it with torchvision."
        )
    return _download("fashion_mnist", data_dir)


def _decode_jpegs(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Decoding CIFAR-10 (JPEG q75) requires 'pillow'; install gcnal[bench]") from exc
    images = []
    for i in range(len(offsets) - 1):
        with Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]].tobytes())) as im:
            images.append(np.asarray(im.convert("RGB")))
    return np.stack(images)


def _load_cifar10(data_dir: Path, download: bool) -> ImageDataset:
    path = data_dir / "cifar10" / "cifar10-jpeg75.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as d:
            train_x = _decode_jpegs(d["train_jpeg"], d["train_offsets"])
            test_x = _decode_jpegs(d["test_jpeg"], d["test_offsets"])
            train_y, test_y = d["train_labels"], d["test_labels"]
        return ImageDataset(
            name="cifar10",
            label="CIFAR-10 (JPEG q75)",
            train_x=train_x,
            train_y=train_y,
            test_x=test_x,
            test_y=test_y,
            num_classes=10,
            augment=True,
            source=str(path),
        )
    if not download:
        raise FileNotFoundError(
            f"{path} not found. Pass --data-dir (or set GCNAL_DATA) to the folder that holds "
            f"'cifar10/cifar10-jpeg75.npz', or --download to fetch the original CIFAR-10 with torchvision."
        )
    return _download("cifar10", data_dir)


def _load_digits(data_dir: Path, download: bool) -> ImageDataset:
    """scikit-learn's bundled 8x8 digits, split 1,297 train / 500 test by a fixed permutation."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.clip(np.rint(bunch.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)[..., None]
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(12345).permutation(len(x))
    test, train = order[:500], order[500:]
    return ImageDataset(
        name="digits",
        label="digits (scikit-learn, 8x8)",
        train_x=x[train],
        train_y=y[train],
        test_x=x[test],
        test_y=y[test],
        num_classes=10,
        augment=False,
        source="sklearn.datasets.load_digits",
    )


def _download(name: str, data_dir: Path) -> ImageDataset:
    """Fetch a dataset with torchvision (needs the internet and the ``vision`` extra)."""
    try:
        import torchvision.datasets as tvd  # noqa: WPS433 - lazy on purpose
    except Exception as exc:  # torchvision may raise more than ImportError next to a CPU torch
        raise ImportError(
            f"Downloading '{name}' requires 'torchvision' (install gcnal[vision]); "
            f"importing it failed with: {exc!r}"
        ) from exc
    root = str(data_dir / "download")
    if name in ("cifar10", "cifar100"):
        cls = tvd.CIFAR10 if name == "cifar10" else tvd.CIFAR100
        train, test = cls(root, train=True, download=True), cls(root, train=False, download=True)
        tx, ty = np.asarray(train.data), np.asarray(train.targets)
        vx, vy = np.asarray(test.data), np.asarray(test.targets)
        label, classes, augment = ("CIFAR-10" if name == "cifar10" else "CIFAR-100"), (10 if name == "cifar10" else 100), True
    elif name == "svhn":
        train, test = tvd.SVHN(root, split="train", download=True), tvd.SVHN(root, split="test", download=True)
        tx, ty = np.asarray(train.data).transpose(0, 2, 3, 1), np.asarray(train.labels)
        vx, vy = np.asarray(test.data).transpose(0, 2, 3, 1), np.asarray(test.labels)
        label, classes, augment = "SVHN", 10, False
    elif name == "fashion_mnist":
        train, test = tvd.FashionMNIST(root, train=True, download=True), tvd.FashionMNIST(root, train=False, download=True)
        tx, ty = train.data.numpy()[..., None], train.targets.numpy()
        vx, vy = test.data.numpy()[..., None], test.targets.numpy()
        label, classes, augment = "FashionMNIST", 10, False
    else:  # pragma: no cover - guarded by load_dataset
        raise ValueError(f"no download path for '{name}'")
    return ImageDataset(
        name=name, label=label, train_x=np.ascontiguousarray(tx, dtype=np.uint8), train_y=ty,
        test_x=np.ascontiguousarray(vx, dtype=np.uint8), test_y=vy, num_classes=classes,
        augment=augment, source="download:" + root,
    )


def _download_only(name: str) -> Callable[[Path, bool], ImageDataset]:
    def load(data_dir: Path, download: bool) -> ImageDataset:
        if not download:
            raise FileNotFoundError(
                f"No offline copy of '{name}' is kept; pass --download (needs the internet and torchvision)."
            )
        return _download(name, data_dir)

    return load


DATASETS: Dict[str, Callable[[Path, bool], ImageDataset]] = {
    "fashion_mnist": _load_fashion_mnist,
    "cifar10": _load_cifar10,
    "cifar100": _download_only("cifar100"),
    "svhn": _download_only("svhn"),
    "digits": _load_digits,
}


def available_datasets() -> list:
    return sorted(DATASETS)


def _normalise_name(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


@lru_cache(maxsize=2)
def load_dataset_once(name: str, data_dir: Optional[os.PathLike] = None) -> ImageDataset:
    """:func:`load_dataset` (offline), decoded once per process for the
    studies that build a pool per trial; callers must not modify its arrays."""
    return load_dataset(name, data_dir)


def load_dataset(name: str, data_dir: Optional[os.PathLike] = None, download: bool = False) -> ImageDataset:
    """Load a dataset by name (case, ``-`` and ``_`` ignored: ``FashionMNIST`` works).

    Args:
        name: one of :func:`available_datasets`.
        data_dir: folder holding the offline copies (default:
            :func:`default_data_dir`).
        download: fall back to torchvision's download when no offline copy
            exists (default: :obj:`False`).
    """
    table = {_normalise_name(k): k for k in DATASETS}
    key = table.get(_normalise_name(name))
    if key is None:
        raise ValueError(f"Unknown dataset '{name}'; choose among {available_datasets()}")
    return DATASETS[key](Path(data_dir) if data_dir is not None else default_data_dir(), download)


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, help=f"one of {available_datasets()}")
    parser.add_argument("--data-dir", default=None, help="offline data folder (default: $GCNAL_DATA or ../shared/data)")
    parser.add_argument("--download", action="store_true", help="download with torchvision when no offline copy exists")
    args = parser.parse_args(argv)
    print(load_dataset(args.dataset, args.data_dir, args.download).summary())


if __name__ == "__main__":
    main()
