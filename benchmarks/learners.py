r"""Learners for the benchmarks: a CIFAR-style ResNet-18 and a small CNN, in plain torch.

The learner is the model the annotated images train; gcnal only sees its
penultimate features (post-ReLU) and, for the uncertainty baselines, its
softmax probabilities.

- ``resnet18``: the CIFAR variant used by the Sequential GCN paper (3x3
  stem, stride 1, no max-pool, four stages of two BasicBlocks, 512-d
  features after global average pooling); ``in_channels=1`` gives the
  1-channel stem used for FashionMNIST. torchvision is not used (it cannot
  be imported next to the CPU torch on the project machines).
- ``small_cnn``: two conv-BN-ReLU-maxpool blocks (32, 64 channels), adaptive
  average pooling to 3x3, a 128-unit ReLU layer (the features) and the
  classifier. For the ``smoke`` profile and CPU runs; works on 8x8 to 32x32
  inputs.

Training keeps the whole labelled set on the device as uint8 and does the
augmentation there (random crop with zero padding 4 + horizontal flip,
vectorised), so a GPU never waits on a data loader; on CUDA it uses bf16
autocast and channels_last. Every random draw (initial weights, batch order,
augmentation) comes from an explicit seed.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, asdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "BasicBlock",
    "ResNet18",
    "SmallCNN",
    "LEARNERS",
    "TrainConfig",
    "build_learner",
    "DeviceData",
    "train_learner",
    "predict",
    "accuracy",
]


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv) shortcut, ReLU after the sum."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    r"""CIFAR-style ResNet-18 (He et al. 2016, as in the Sequential GCN code).

    Args:
        num_classes: number of output classes.
        in_channels: image channels; 1 gives the FashionMNIST stem
            (default: :obj:`3`).

    Shapes:
        input :math:`(B, C_{in}, H, W)`; ``forward`` returns logits
        :math:`(B, K)`; ``forward_features`` returns ``(logits, features)``
        with features :math:`(B, 512)`, non-negative (post-ReLU, pooled).
    """

    feature_dim = 512
    level_channels = (64, 128, 256, 512)

    def __init__(self, num_classes: int, in_channels: int = 3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, in_planes = [], 64
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(in_planes, planes, stride), BasicBlock(planes, planes, 1)))
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.linear = nn.Linear(512, num_classes)

    def forward_levels(self, x: Tensor) -> Tuple[Tensor, Tensor, List[Tensor]]:
        """``(logits, features, levels)``: the four stages' feature maps as levels
        (what Learning Loss's module reads)."""
        out = F.relu(self.bn1(self.conv1(x)))
        levels = []
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
            out = stage(out)
            levels.append(out)
        feat = torch.flatten(F.adaptive_avg_pool2d(out, 1), 1)
        return self.linear(feat), feat, levels

    def forward_features(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return self.forward_levels(x)[:2]

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)[0]


class SmallCNN(nn.Module):
    r"""A small CNN for smoke tests and CPU runs.

    conv3x3(C_in -> w) - BN - ReLU - maxpool2, conv3x3(w -> 2w) - BN - ReLU -
    maxpool2, adaptive average pool to 3x3, linear(18w -> 128) - ReLU (the
    features), linear(128 -> K).

    Args:
        num_classes: number of output classes.
        in_channels: image channels (default: :obj:`1`).
        width: channels of the first conv (default: :obj:`32`).
    """

    feature_dim = 128

    def __init__(self, num_classes: int, in_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.width = width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.AdaptiveAvgPool2d(3),
            nn.Flatten(),
            nn.Linear(18 * width, self.feature_dim),
            nn.ReLU(inplace=True),
        )
        self.linear = nn.Linear(self.feature_dim, num_classes)
        self.level_channels = (width, 2 * width, self.feature_dim)

    #: Indices in ``features`` after which a level is read (the two max-pools).
    _level_ends = (3, 7)

    def forward_levels(self, x: Tensor) -> Tuple[Tensor, Tensor, List[Tensor]]:
        """``(logits, features, levels)``: the two conv blocks' pooled maps and the
        features as levels (what Learning Loss's module reads)."""
        levels = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self._level_ends:
                levels.append(x)
        return self.linear(x), x, levels + [x]

    def forward_features(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        feat = self.features(x)
        return self.linear(feat), feat

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)[0]


LEARNERS = {"resnet18": ResNet18, "small_cnn": SmallCNN}


def build_learner(name: str, num_classes: int, in_channels: int, seed: int) -> nn.Module:
    """A freshly initialised learner whose weights depend only on ``seed``.

    torch's layer initialisers draw from the global generator, so the model is
    built inside :func:`torch.random.fork_rng`, which restores the global
    state afterwards: nothing outside this call sees the seed.
    """
    if name not in LEARNERS:
        raise ValueError(f"Unknown learner '{name}'; choose among {sorted(LEARNERS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return LEARNERS[name](num_classes=num_classes, in_channels=in_channels)


@dataclass
class TrainConfig:
    """How the learner is trained each cycle (the paper's values by default).

    Args:
        epochs: passes over the labelled set (default: :obj:`200`).
        lr: SGD learning rate (default: :obj:`0.1`).
        momentum: SGD momentum (default: :obj:`0.9`).
        weight_decay: SGD weight decay (default: :obj:`5e-4`).
        batch_size: mini-batch size (default: :obj:`128`).
        schedule: ``"step"`` (lr x ``gamma`` at each of ``milestones``
            epochs, the paper) or ``"cosine"`` (one epoch of linear warm-up,
            then cosine decay to 0 per step) (default: :obj:`"step"`).
        milestones: epochs of the step schedule (default: :obj:`[160]`).
        gamma: step factor (default: :obj:`0.1`).
        augment: random crop (padding 4) + horizontal flip
            (default: :obj:`False`; the runner sets it per dataset).
        amp: bf16 autocast on CUDA (default: :obj:`True`; ignored on CPU).
    """

    epochs: int = 200
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    batch_size: int = 128
    schedule: str = "step"
    milestones: List[int] = field(default_factory=lambda: [160])
    gamma: float = 0.1
    augment: bool = False
    amp: bool = True

    def to_dict(self) -> Dict:
        return asdict(self)


class DeviceData:
    """Images kept on the device as uint8 NCHW, normalised per batch.

    Args:
        x: ``(N, H, W, C)`` uint8 numpy array.
        mean, std: per-channel statistics in [0, 1] units.
        device: where the tensor lives.
    """

    def __init__(self, x: np.ndarray, mean: Sequence[float], std: Sequence[float], device: torch.device) -> None:
        self.device = torch.device(device)
        self.x = torch.from_numpy(np.ascontiguousarray(x)).to(self.device).permute(0, 3, 1, 2).contiguous()
        c = self.x.shape[1]
        self.mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, c, 1, 1) * 255.0
        self.std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, c, 1, 1) * 255.0

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def batch(self, idx: Tensor) -> Tensor:
        """Normalised float32 images for the given indices (a device tensor)."""
        xb = self.x.index_select(0, idx).float()
        xb = (xb - self.mean) / self.std
        if self.device.type == "cuda":
            xb = xb.contiguous(memory_format=torch.channels_last)
        return xb


def augment_batch(xb: Tensor, generator: torch.Generator, padding: int = 4) -> Tensor:
    """Random crop with zero padding + random horizontal flip, vectorised over the batch.

    Zero padding is applied to normalised images, i.e. the pad value is the
    channel mean, as with torchvision's RandomCrop applied after Normalize.
    (The original code crops before normalising, which pads with black.)
    """
    b, c, h, w = xb.shape
    padded = F.pad(xb, (padding, padding, padding, padding))
    oy = torch.randint(0, 2 * padding + 1, (b,), generator=generator, device=generator.device).to(xb.device)
    ox = torch.randint(0, 2 * padding + 1, (b,), generator=generator, device=generator.device).to(xb.device)
    flip = torch.rand(b, generator=generator, device=generator.device).to(xb.device) < 0.5
    rows = oy[:, None] + torch.arange(h, device=xb.device)[None, :]  # (B, H)
    cols = ox[:, None] + torch.arange(w, device=xb.device)[None, :]  # (B, W)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    bidx = torch.arange(b, device=xb.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[bidx, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous(
        memory_format=torch.channels_last if xb.device.type == "cuda" else torch.contiguous_format
    )


def _autocast(device: torch.device, amp: bool):
    if device.type == "cuda" and amp:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return torch.autocast(device_type=device.type, enabled=False)


def train_learner(
    model: nn.Module,
    data: DeviceData,
    labels: Tensor,
    indices: np.ndarray,
    config: TrainConfig,
    seed: int,
    unlabelled: Optional[np.ndarray] = None,
) -> float:
    """Train ``model`` from scratch on ``data[indices]``; returns the wall time in seconds.

    The batch loss is ``model.training_loss(x, y, labelled, progress)`` when
    the model has one (:mod:`benchmarks.task_aware`), else cross-entropy.
    With ``unlabelled`` indices, each labelled batch is followed by as many
    unlabelled items (walked in a fresh random order every epoch; their
    labels are passed but flagged unlabelled), for the joint learners.
    Batch order and augmentation draw from a generator seeded with ``seed``.
    A trailing batch of one image is dropped (BatchNorm cannot train on it).
    """
    device = data.device
    start = time.perf_counter()
    model.to(device)
    if device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    model.train()
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    aug_gen = torch.Generator(device=device).manual_seed(int(seed) + 1) if config.augment else None
    idx_all = torch.as_tensor(np.asarray(indices, dtype=np.int64), device=device)
    n = len(idx_all)
    steps_per_epoch = max(1, math.ceil(n / config.batch_size))
    total_steps = steps_per_epoch * config.epochs
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.schedule == "step":
        milestones = sorted(int(m) * steps_per_epoch for m in config.milestones)
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=config.gamma)
    elif config.schedule == "cosine":
        warm = steps_per_epoch

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, total_steps - warm)))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    else:
        raise ValueError(f"Unknown schedule '{config.schedule}'; choose 'step' or 'cosine'")
    loss_fn = getattr(model, "training_loss", None)
    unl_all = None if unlabelled is None else torch.as_tensor(
        np.asarray(unlabelled, dtype=np.int64), device=device)
    for epoch in range(config.epochs):
        perm = idx_all[torch.randperm(n, generator=gen).to(device)]
        if unl_all is not None:
            unl_perm = unl_all[torch.randperm(len(unl_all), generator=gen).to(device)]
        for s in range(0, n, config.batch_size):
            bidx = perm[s:s + config.batch_size]
            if len(bidx) < 2:
                continue
            flags = torch.ones(len(bidx), dtype=torch.bool, device=device)
            if unl_all is not None:
                uidx = unl_perm[s:s + config.batch_size]
                flags = torch.cat([flags, torch.zeros(len(uidx), dtype=torch.bool, device=device)])
                bidx = torch.cat([bidx, uidx])
            xb = data.batch(bidx)
            if config.augment:
                xb = augment_batch(xb, aug_gen)
            yb = labels.index_select(0, bidx)
            with _autocast(device, config.amp):
                if loss_fn is None:
                    loss = F.cross_entropy(model(xb), yb)
                else:
                    loss = loss_fn(xb, yb, flags, epoch / config.epochs)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


@torch.no_grad()
def predict(
    model: nn.Module, data: DeviceData, indices: Optional[np.ndarray] = None, batch_size: int = 1024, amp: bool = True
) -> Tuple[Tensor, Tensor]:
    """Softmax probabilities ``(n, K)`` and penultimate features ``(n, d)`` (float32, on the device)."""
    model.eval()
    device = data.device
    idx = torch.arange(len(data), device=device) if indices is None else torch.as_tensor(
        np.asarray(indices, dtype=np.int64), device=device
    )
    probs, feats = [], []
    for s in range(0, len(idx), batch_size):
        with _autocast(device, amp):
            logits, feat = model.forward_features(data.batch(idx[s:s + batch_size]))
        probs.append(torch.softmax(logits.float(), dim=1))
        feats.append(feat.float())
    if not probs:
        return torch.empty(0, device=device), torch.empty(0, device=device)
    return torch.cat(probs), torch.cat(feats)


def accuracy(probs: Tensor, labels: Tensor) -> float:
    """Fraction of rows whose arg-max equals the label, in [0, 1]."""
    if len(labels) == 0:
        raise ValueError("accuracy needs at least one test example")
    return float((probs.argmax(1) == labels).float().mean().item())
