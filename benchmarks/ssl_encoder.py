r"""A self-supervised (SimCLR) image encoder for CIFAR-10, trained on the CPU without labels.

    python -m benchmarks.ssl_encoder train      # resumable: re-running continues
    python -m benchmarks.ssl_encoder export     # checkpoint -> benchmarks/weights/cifar_ssl.pt
    python -m benchmarks.ssl_encoder features   # cached features for the train pool and test set
    python -m benchmarks.ssl_encoder probe      # linear probe against PCA-64 of the pixels

The study ``cifar_ssl`` (:mod:`benchmarks.regimes`) uses these features: what
a user with an unlabelled pool and a self-supervised encoder has, instead of
PCA of the pixels. The recipe is SimCLR (Chen et al., ICML 2020,
https://arxiv.org/abs/2002.05709): two augmented views of every image in a
batch of :math:`N`, an encoder :math:`f` and a projector :math:`g`,
:math:`z = g(f(x)) / \|g(f(x))\|`, and the NT-Xent loss

.. math::
    \ell_{i} = -\log \frac{\exp(z_i^\top z_{j(i)} / \tau)}
                          {\sum_{k \ne i} \exp(z_i^\top z_k / \tau)}

averaged over all :math:`2N` views, where :math:`j(i)` is the other view of
the same image. The features are :math:`f(x)` (after global average pooling,
before the projector), computed on the un-augmented image.

The augmentations are batched tensor ops (no torchvision): random resized
crop (area in ``[0.2, 1]``, aspect ratio in ``[3/4, 4/3]``) with a random
horizontal flip, as one affine resampling; colour jitter (brightness,
contrast, saturation 0.4, hue 0.1) with probability 0.8; grayscale with
probability 0.2. Every draw comes from a :class:`torch.Generator` seeded by
``(seed, step)``, and each epoch's order from one seeded by ``(seed, epoch)``,
so a run resumed from a checkpoint takes exactly the steps an uninterrupted
run would have taken.
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

REPO_ROOT = Path(__file__).resolve().parents[1]
WORK_DIR = REPO_ROOT / ".data" / "ssl"
WEIGHTS = Path(__file__).resolve().parent / "weights" / "cifar_ssl.pt"
PROBES = Path(__file__).resolve().parent / "results" / "ssl_encoder" / "probes.jsonl"
log = logging.getLogger("benchmarks.ssl_encoder")

__all__ = [
    "SSLConfig",
    "SSLEncoder",
    "SimCLR",
    "build_simclr",
    "random_resized_crop_flip",
    "colour_jitter",
    "random_grayscale",
    "augment_views",
    "nt_xent",
    "train",
    "encode",
    "load_encoder",
    "cached_features",
    "probe_rows",
]


@dataclass(frozen=True)
class SSLConfig:
    """One SimCLR run (the values of the committed weights by default).

    Args:
        width: channels of the first layer; the encoder's layers have
            ``width x (1, 2, 2, 4, 4, 8)`` channels, so the features are
            ``8 width``-dimensional (default: :obj:`32`, 256-d features).
        projection: output size of the projector (default: :obj:`128`).
        batch_size: images per step, two views each (default: :obj:`128`).
        steps: optimiser steps of the whole run; the learning-rate schedule
            (linear warm-up over ``warmup`` steps, then cosine decay to 0)
            is laid out over them (default: :obj:`1400`).
        warmup: warm-up steps (default: :obj:`100`).
        lr: Adam's peak learning rate (default: :obj:`2e-3`).
        weight_decay: AdamW's decoupled weight decay (default: :obj:`1e-4`).
        temperature: :math:`\tau` of NT-Xent (default: :obj:`0.2`).
        crop: side of the training views: the random crops are resized to
            ``crop x crop``, smaller than the 32x32 images the features are
            computed on (cheaper steps; the train/test resolution gap goes the
            way that helps, Touvron et al. 2019) (default: :obj:`24`).
        images: how many training images it sees (the first ``images`` of a
            seeded permutation of the training set; 0 for all)
            (default: :obj:`0`).
        seed: weights, image order and augmentations (default: :obj:`0`).
    """

    width: int = 32
    projection: int = 128
    batch_size: int = 128
    steps: int = 1400
    warmup: int = 100
    lr: float = 2e-3
    weight_decay: float = 1e-4
    temperature: float = 0.2
    crop: int = 24
    images: int = 0
    seed: int = 0


def _conv_bn_relu(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SSLEncoder(nn.Module):
    r"""Six 3x3 conv-BN-ReLU layers and global average pooling.

    Channels ``width x (1, 2, 2, 4, 4, 8)``, strides ``(1, 2, 1, 2, 1, 2)``:
    a 32x32 image becomes ``8 width`` maps of 4x4, averaged into the
    features. Only one layer runs at full resolution, which is what makes it
    affordable on one CPU core.

    Shapes:
        input :math:`(N, 3, H, W)` normalised images; output :math:`(N, 8\,\mathrm{width})`.
    """

    def __init__(self, width: int = 32, in_channels: int = 3) -> None:
        super().__init__()
        self.width = width
        channels = [in_channels] + [width * m for m in (1, 2, 2, 4, 4, 8)]
        strides = (1, 2, 1, 2, 1, 2)
        self.layers = nn.Sequential(*[_conv_bn_relu(channels[i], channels[i + 1], s)
                                      for i, s in enumerate(strides)])
        self.out_dim = channels[-1]

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x).mean(dim=(2, 3))


class SimCLR(nn.Module):
    """The encoder and SimCLR's projector (Linear-BN-ReLU-Linear)."""

    def __init__(self, width: int = 32, projection: int = 128) -> None:
        super().__init__()
        self.encoder = SSLEncoder(width)
        d = self.encoder.out_dim
        self.projector = nn.Sequential(nn.Linear(d, d, bias=False), nn.BatchNorm1d(d),
                                       nn.ReLU(inplace=True), nn.Linear(d, projection))

    def forward(self, x: Tensor) -> Tensor:
        return self.projector(self.encoder(x))


def build_simclr(config: SSLConfig) -> SimCLR:
    """A fresh model whose weights depend only on ``config.seed`` (built under
    :func:`torch.random.fork_rng`, so the global generator is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return SimCLR(config.width, config.projection)


# ---------------------------------------------------------------- augmentations

def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def random_resized_crop_flip(x: Tensor, generator: torch.Generator, size: Optional[int] = None,
                             scale: Tuple[float, float] = (0.2, 1.0),
                             ratio: Tuple[float, float] = (3 / 4, 4 / 3)) -> Tensor:
    r"""Crop a random box of each image and resize it to ``size x size``
    (default: the image's size), flipping half of them left-right; one
    bilinear resampling.

    The box has a fraction :math:`a \sim U(\text{scale})` of the image's area
    and aspect ratio :math:`r` with :math:`\log r \sim U(\log \text{ratio})`:
    half-sides :math:`w = \min(1, \sqrt{a r})`, :math:`h = \min(1, \sqrt{a / r})`
    in the normalised coordinates :math:`[-1, 1]`, centre uniform where the box
    fits. The affine map sends the output grid onto the box, with the
    :math:`x` scale negated for a flip.

    Shapes:
        :math:`(N, C, H, W)` in, :math:`(N, C, \text{size}, \text{size})` out.
    """
    n, c, h, w = x.shape
    area = _uniform(n, scale[0], scale[1], generator)
    aspect = torch.exp(_uniform(n, math.log(ratio[0]), math.log(ratio[1]), generator))
    half_w = torch.sqrt(area * aspect).clamp(max=1.0)
    half_h = torch.sqrt(area / aspect).clamp(max=1.0)
    cx = (1 - half_w) * _uniform(n, -1.0, 1.0, generator)
    cy = (1 - half_h) * _uniform(n, -1.0, 1.0, generator)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = half_w * flip, cx
    theta[:, 1, 1], theta[:, 1, 2] = half_h, cy
    out = [n, c, size, size] if size is not None else [n, c, h, w]
    grid = F.affine_grid(theta.to(x.dtype), out, align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


#: ITU-R 601 luma weights (as torchvision's rgb_to_grayscale).
_LUMA = (0.299, 0.587, 0.114)
#: RGB -> YIQ; hue is a rotation of the (I, Q) plane.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.596, -0.274, -0.322],
                            [0.211, -0.523, 0.312]])


def _gray(x: Tensor) -> Tensor:
    r, g, b = x.unbind(1)
    return (_LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b).unsqueeze(1)


def colour_jitter(x: Tensor, generator: torch.Generator, strength: float = 0.4,
                  hue: float = 0.1, p: float = 0.8) -> Tensor:
    r"""Brightness, contrast and saturation by factors in ``[1 - strength,
    1 + strength]`` and a hue rotation by :math:`2\pi h`,
    :math:`h \in [-\text{hue}, \text{hue}]`, each image jittered with
    probability ``p`` (the others get identity factors). In order, clamped to
    ``[0, 1]`` after each: :math:`x b`; :math:`(x - \bar{y}) c + \bar{y}` with
    :math:`\bar{y}` the image's mean luma; :math:`(x - y) s + y` with
    :math:`y` the pixel's luma; then the rotation of the I/Q chroma plane of
    YIQ.

    Shapes:
        :math:`(N, 3, H, W)` in ``[0, 1]``, the same out.
    """
    n = x.shape[0]
    on = torch.rand(n, generator=generator) < p

    def factor(low: float, high: float, identity: float) -> Tensor:
        return torch.where(on, _uniform(n, low, high, generator), identity).view(n, 1, 1, 1).to(x.dtype)

    b = factor(1 - strength, 1 + strength, 1.0)
    c = factor(1 - strength, 1 + strength, 1.0)
    s = factor(1 - strength, 1 + strength, 1.0)
    h = factor(-hue, hue, 0.0).view(n)
    x = (x * b).clamp(0, 1)
    mean = _gray(x).mean(dim=(2, 3), keepdim=True)
    x = ((x - mean) * c + mean).clamp(0, 1)
    y = _gray(x)
    x = ((x - y) * s + y).clamp(0, 1)
    to_yiq = _RGB_TO_YIQ.to(x.dtype)
    angle = 2 * math.pi * h
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.zeros(n, 3, 3, dtype=x.dtype)
    rotation[:, 0, 0] = 1
    rotation[:, 1, 1], rotation[:, 1, 2] = cos, -sin
    rotation[:, 2, 1], rotation[:, 2, 2] = sin, cos
    transform = torch.linalg.inv(to_yiq) @ rotation @ to_yiq  # (N, 3, 3) on RGB
    return torch.einsum("nij,njhw->nihw", transform, x).clamp(0, 1)


def random_grayscale(x: Tensor, generator: torch.Generator, p: float = 0.2) -> Tensor:
    """Each image replaced by its luma in all channels with probability ``p``."""
    on = (torch.rand(x.shape[0], generator=generator) < p).view(-1, 1, 1, 1)
    return torch.where(on, _gray(x).expand_as(x), x)


def augment_views(images: Tensor, generator: torch.Generator, size: Optional[int] = None) -> Tensor:
    """SimCLR's augmentation of uint8 NCHW images into ``size x size`` floats in ``[0, 1]``."""
    x = images.float() / 255.0
    x = random_resized_crop_flip(x, generator, size)
    x = colour_jitter(x, generator)
    return random_grayscale(x, generator)


def nt_xent(z1: Tensor, z2: Tensor, temperature: float) -> Tensor:
    """SimCLR's NT-Xent loss of two views' projections (see the module docstring)."""
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.t() / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


# ---------------------------------------------------------------- training

def _generator(*key: int) -> torch.Generator:
    seed = int(np.random.SeedSequence(list(key)).generate_state(1)[0])
    return torch.Generator().manual_seed(seed)


def _normaliser(mean: Sequence[float], std: Sequence[float]) -> Callable[[Tensor], Tensor]:
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return lambda x: (x - m) / s


def _lr_factor(config: SSLConfig, step: int) -> float:
    if step < config.warmup:
        return (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _save_atomic(obj: Dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(config: SSLConfig, images: np.ndarray, mean: Sequence[float], std: Sequence[float],
          checkpoint: Path, *, stop_at: Optional[int] = None, save_every: int = 100,
          log_every: int = 20) -> SimCLR:
    """Train (or continue training) SimCLR on ``images``; returns the model.

    Args:
        config: the run; a checkpoint of a different config is refused.
        images: ``(N, H, W, 3)`` uint8, the unlabelled training images.
        mean, std: per-channel statistics in ``[0, 1]`` units.
        checkpoint: where the run's state (model, optimiser, step, seconds
            spent) is saved every ``save_every`` steps and at the end; if it
            exists the run continues from its step.
        stop_at: stop after this step (for a run spread over sittings; the
            schedule still spans ``config.steps``) (default: all steps).
    """
    model = build_simclr(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step, seconds = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=True)
        if state["config"] != asdict(config):
            raise ValueError(f"{checkpoint} was written by a different run: {state['config']}; "
                             f"this one is {asdict(config)}. Remove it or pass the same options.")
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, seconds = state["step"], state["seconds"]
        log.info("resumed from %s at step %d (%.0f s spent)", checkpoint, step, seconds)
    pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous()
    normalise = _normaliser(mean, std)
    per_epoch = len(pixels) // config.batch_size
    if per_epoch == 0:
        raise ValueError(f"images: expected at least batch_size={config.batch_size} images, got {len(pixels)}")
    last = config.steps if stop_at is None else min(stop_at, config.steps)

    def save() -> None:
        _save_atomic({"config": asdict(config), "model": model.state_dict(),
                      "optimiser": optimiser.state_dict(), "step": step, "seconds": seconds}, checkpoint)

    model.train()
    order, order_epoch = None, -1
    started, running = time.perf_counter(), []
    while step < last:
        epoch, offset = divmod(step, per_epoch)
        if epoch != order_epoch:
            order = torch.randperm(len(pixels), generator=_generator(config.seed, 1, epoch))
            order_epoch = epoch
        batch = pixels[order[offset * config.batch_size:(offset + 1) * config.batch_size]]
        generator = _generator(config.seed, 2, step)
        views = normalise(torch.cat([augment_views(batch, generator, config.crop),
                                     augment_views(batch, generator, config.crop)]))
        for group in optimiser.param_groups:
            group["lr"] = config.lr * _lr_factor(config, step)
        z = model(views)
        loss = nt_xent(z[:len(batch)], z[len(batch):], config.temperature)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        step += 1
        running.append(loss.item())
        now = time.perf_counter()
        seconds, started = seconds + now - started, now
        if step % log_every == 0 or step == last:
            log.info("step %d/%d epoch %d loss %.4f (%.0f s spent)", step, config.steps, epoch,
                     float(np.mean(running)), seconds)
            running = []
        if step % save_every == 0 or step == last:
            save()
    return model


# ---------------------------------------------------------------- features

def encode(encoder: SSLEncoder, images: np.ndarray, mean: Sequence[float], std: Sequence[float],
           batch_size: int = 500) -> np.ndarray:
    """Features of un-augmented uint8 ``(N, H, W, 3)`` images, ``(N, d)`` float32."""
    normalise = _normaliser(mean, std)
    was_training = encoder.training
    encoder.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size]))
            out.append(encoder(normalise(chunk.permute(0, 3, 1, 2).float() / 255.0)))
    encoder.train(was_training)
    return torch.cat(out).numpy().astype(np.float32)


def export_weights(checkpoint: Path, path: Path = WEIGHTS) -> Path:
    """The encoder's weights (no projector, no optimiser) from a finished run,
    stored as float16 with the run's config and the seconds it took."""
    state = torch.load(checkpoint, weights_only=True)
    prefix = "encoder."
    weights = {k[len(prefix):]: (v.half() if v.is_floating_point() else v)
               for k, v in state["model"].items() if k.startswith(prefix)}
    _save_atomic({"config": state["config"], "step": state["step"], "seconds": state["seconds"],
                  "encoder": weights}, path)
    return path


def load_encoder(path: Path = WEIGHTS) -> Tuple[SSLEncoder, Dict]:
    """The committed encoder (``weights_only=True``) and its record (config, step, seconds)."""
    state = torch.load(path, weights_only=True)
    encoder = SSLEncoder(state["config"]["width"])
    encoder.load_state_dict({k: v.float() if v.is_floating_point() else v
                             for k, v in state["encoder"].items()})
    encoder.eval()
    return encoder, {k: v for k, v in state.items() if k != "encoder"}


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def cached_features(data_dir=None, weights: Path = WEIGHTS,
                    cache_dir: Path = WORK_DIR) -> Dict[str, np.ndarray]:
    """The encoder's features of all CIFAR-10 (JPEG q75) training and test
    images, with their labels; computed once per weights file and cached as
    ``<cache_dir>/cifar10_features_<sha256 prefix>.npz``."""
    cache = Path(cache_dir) / f"cifar10_features_{_digest(weights)}.npz"
    if cache.exists():
        with np.load(cache) as d:
            return {k: d[k] for k in d.files}
    from .datasets import load_dataset

    data = load_dataset("cifar10", data_dir)
    encoder, _ = load_encoder(weights)
    out = {"train_x": encode(encoder, data.train_x, data.mean, data.std), "train_y": data.train_y,
           "test_x": encode(encoder, data.test_x, data.mean, data.std), "test_y": data.test_y}
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.npz")
    np.savez(tmp, **out)
    os.replace(tmp, cache)
    return out


# ---------------------------------------------------------------- linear probe

def probe_rows(data_dir=None, weights: Path = WEIGHTS, pool: int = 20000) -> list:
    """The linear probe (:func:`benchmarks.transfer.linear_probe`: logistic
    regression, ``C=1``, standardised features) of the SSL features against
    PCA-64 of the pixels (fitted on the same images, no labels), trained on
    all 50,000 training images and on the ``cifar_ssl`` pool of trial 0
    (``pool`` images), tested on the 10,000 test images; one row each."""
    from gcnal.evaluation.seeds import derive_seed

    from .regimes import STUDIES
    from .results_io import describe_device, git_commit, utc_now
    from .transfer import linear_probe, pca_probe

    feats = cached_features(data_dir, weights)
    _, record = load_encoder(weights)
    everything = np.arange(len(feats["train_y"]))
    pool_index = np.sort(np.random.default_rng(derive_seed(0, 1)).choice(
        len(everything), STUDIES["cifar_ssl"].pool, replace=False))
    rows = []
    for name, index in (("all training images", everything), ("cifar_ssl pool, trial 0", pool_index)):
        ssl = linear_probe(feats["train_x"][index], feats["train_y"][index], feats["test_x"], feats["test_y"])
        pca = pca_probe("cifar10", index, data_dir)
        rows.append({"dataset": "CIFAR-10 (JPEG q75)", "probe_train": name, "probe_train_images": len(index),
                     "ssl_accuracy": ssl, "pca64_accuracy": pca, "ssl_dim": int(feats["train_x"].shape[1]),
                     "encoder": record, "weights_sha256_16": _digest(weights), "seed": 0,
                     "commit": git_commit(), "device": describe_device("cpu"), "date": utc_now(),
                     "command": " ".join(["python -m benchmarks.ssl_encoder"] + sys.argv[1:])})
    return rows


# ---------------------------------------------------------------- command line

def _config_from(args: argparse.Namespace) -> SSLConfig:
    return SSLConfig(width=args.width, batch_size=args.batch_size, steps=args.steps, lr=args.lr,
                     temperature=args.temperature, crop=args.crop, images=args.images, seed=args.seed)


def _training_images(config: SSLConfig, data_dir=None):
    from .datasets import load_dataset

    data = load_dataset("cifar10", data_dir)
    images = data.train_x
    if config.images:
        keep = torch.randperm(len(images), generator=_generator(config.seed, 0))[:config.images]
        images = images[np.sort(keep.numpy())]
    return images, data.mean, data.std


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ssl_encoder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    defaults = SSLConfig()
    train_cmd = sub.add_parser("train", help="train SimCLR (resumable)")
    for name in ("width", "batch_size", "steps", "crop", "images", "seed"):
        train_cmd.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    for name in ("lr", "temperature"):
        train_cmd.add_argument("--" + name, type=float, default=getattr(defaults, name))
    train_cmd.add_argument("--stop-at", type=int, default=None, help="stop after this step")
    train_cmd.add_argument("--checkpoint", type=Path, default=WORK_DIR / "checkpoint.pt")
    export = sub.add_parser("export", help="write the encoder's weights from a checkpoint")
    export.add_argument("--checkpoint", type=Path, default=WORK_DIR / "checkpoint.pt")
    export.add_argument("--out", type=Path, default=WEIGHTS)
    for name in ("features", "probe"):
        cmd = sub.add_parser(name, help="cache the features" if name == "features"
                             else "linear probe: SSL features against PCA-64 of the pixels")
        cmd.add_argument("--weights", type=Path, default=WEIGHTS)
    for cmd in (train_cmd, sub.choices["features"], sub.choices["probe"]):
        cmd.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    if args.command == "train":
        config = _config_from(args)
        images, mean, std = _training_images(config, args.data_dir)
        log.info("SimCLR %s on %d images", asdict(config), len(images))
        train(config, images, mean, std, args.checkpoint, stop_at=args.stop_at)
    elif args.command == "export":
        path = export_weights(args.checkpoint, args.out)
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    elif args.command == "features":
        feats = cached_features(args.data_dir, args.weights)
        print({k: v.shape for k, v in feats.items()})
    else:
        from .results_io import append_rows

        rows = probe_rows(args.data_dir, args.weights)
        append_rows(PROBES, rows)
        for row in rows:
            print(f"linear probe on {row['probe_train']} ({row['probe_train_images']:,}) -> 10,000 test, "
                  f"{row['dataset']}: SSL {row['ssl_dim']}-d {100 * row['ssl_accuracy']:.2f}%, "
                  f"PCA-64 of the pixels {100 * row['pca64_accuracy']:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
