"""Parameter initialisers drawn from a ``torch.Generator``."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn


@torch.no_grad()
def reset_uniform_(module: nn.Module, generator: Optional[torch.Generator] = None) -> None:
    r"""Re-initialise every linear and convolution layer of ``module`` from
    ``generator`` (not the global RNG): weights and biases uniform in
    :math:`\pm 1/\sqrt{F_{in}}`, PyTorch's default bound, with
    :math:`F_{in}` the size of one output unit's weight slice
    (``weight[0].numel()``: in features, or in channels times the kernel
    area). Layer and batch norms go back to the identity (batch norms
    also to running mean 0, variance 1)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.modules.conv._ConvNd)):
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
                layer.weight.uniform_(-bound, bound, generator=generator)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(layer, (nn.LayerNorm, nn.modules.batchnorm._NormBase)):
                layer.reset_parameters()
