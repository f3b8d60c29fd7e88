r"""MC dropout (Gal & Ghahramani, ICML 2016): dropout kept on at inference,
:math:`T` stochastic forward passes per item approximate the posterior
predictive; the ``mc_probs`` signal of ``gcnal.select(..., method="bald" |
"mc_entropy")``.

``torch.nn.Dropout`` draws its masks from torch's global RNG, which would make
the samples depend on (and change) whatever else the program draws. The
learner therefore uses :class:`MCDropout`, which behaves like
``nn.Dropout`` while training and, inside :func:`mc_dropout`, draws its
masks from a :class:`torch.Generator`; :func:`convert_dropout` swaps an
existing model's ``nn.Dropout`` layers for it.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Union

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..nn import dropout
from ..seeding import make_generator
from ..validation import check_int, check_positive_int, check_real
from .functional import check_batch, check_module, eval_mode


class MCDropout(nn.Module):
    r"""Inverted dropout, :math:`\mathbf{x} \odot \mathbf{m} / (1 - p)` with
    :math:`m \sim \operatorname{Bernoulli}(1 - p)` (see
    :func:`gcnal.nn.dropout`, which rounds :math:`p` to a
    multiple of :math:`2^{-15}`), active while training, and at inference
    inside :func:`mc_dropout`.

    Args:
        p (float): Drop probability in :math:`[0, 1)`. (default: :obj:`0.5`)
        generator (torch.Generator, optional): Source of the training masks;
            :obj:`None` uses torch's global RNG, as ``nn.Dropout`` does.
            Inside :func:`mc_dropout` the context's generator is used.
            (default: :obj:`None`)
    """

    def __init__(self, p: float = 0.5, generator: Optional[torch.Generator] = None):
        super().__init__()
        self.p = check_real(p, "p", 0.0, 1.0, "MCDropout", high_open=True)
        self.generator = generator
        self.sampling = False

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training or self.sampling, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def convert_dropout(module: nn.Module) -> nn.Module:
    """Replace every ``torch.nn.Dropout`` inside ``module`` by an
    :class:`MCDropout` of the same ``p``, in place (as
    ``nn.SyncBatchNorm.convert_sync_batchnorm`` does); returns ``module``, or
    the new layer when ``module`` itself is an ``nn.Dropout``. Channel-wise
    dropouts (``Dropout2d`` ...) are left alone."""
    check_module(module, "module", "convert_dropout")
    if type(module) is nn.Dropout:
        return MCDropout(module.p)
    for name, child in module.named_children():
        converted = convert_dropout(child)
        if converted is not child:
            setattr(module, name, converted)
    return module


@contextmanager
def mc_dropout(model: nn.Module, generator: torch.Generator) -> Iterator[nn.Module]:
    """Inside the block ``model`` is in eval mode except its
    :class:`MCDropout` layers, which sample masks from ``generator`` (on the
    device of the activations they see). Every layer's mode and generator
    are restored on exit.

    Raises:
        InvalidParameterError: ``model`` has no :class:`MCDropout` layer (use
            :func:`convert_dropout`), or ``generator`` is not a generator.
    """
    check_module(model, "model", "mc_dropout")
    layers = [m for m in model.modules() if isinstance(m, MCDropout)]
    if not layers:
        torch_dropouts = sum(isinstance(m, nn.Dropout) for m in model.modules())
        raise InvalidParameterError("model", "a module with at least one "
                                    "gcnal.learner.MCDropout layer (convert_dropout(model) swaps "
                                    "nn.Dropout layers for it)",
                                    f"{type(model).__name__} with no MCDropout layer and "
                                    f"{torch_dropouts} nn.Dropout layer(s)", "mc_dropout")
    if not isinstance(generator, torch.Generator):
        raise InvalidParameterError("generator", "a torch.Generator",
                                    type(generator).__name__, "mc_dropout")
    saved = [(layer, layer.generator, layer.sampling) for layer in layers]
    with eval_mode(model):
        for layer in layers:
            layer.generator, layer.sampling = generator, True
        try:
            yield model
        finally:
            for layer, old_generator, sampling in saved:
                layer.generator, layer.sampling = old_generator, sampling


@torch.no_grad()
def mc_dropout_probs(model: nn.Module, inputs: Tensor, samples: int = 20, *,
                     seed: Union[int, torch.Generator, None] = None,
                     batch_size: Optional[int] = None,
                     forward: Optional[Callable[[Tensor], Tensor]] = None) -> Tensor:
    r"""The ``mc_probs`` signal: :math:`T` softmax samples per item with the
    model's :class:`MCDropout` layers on (and everything else in eval mode),

    .. math::
        p_{itc} = \operatorname{softmax}\big(f(\mathbf{x}_i;
        \mathbf{m}_t)\big)_c, \qquad t = 1, \dots, T.

    Args:
        model (torch.nn.Module): The learner; it must contain
            :class:`MCDropout` layers (see :func:`convert_dropout`).
        inputs (torch.Tensor): The pool, :math:`(N, \dots)`, on the model's
            device.
        samples (int): :math:`T \geq 2`. (default: :obj:`20`)
        seed (int or torch.Generator, optional): Source of the masks (never
            torch's global RNG), as in :func:`gcnal.select`; the same seed
            gives the same samples. (default: :obj:`None`, fresh)
        batch_size (int, optional): Items per forward pass.
            (default: :obj:`None`, all at once)
        forward (callable, optional): ``forward(batch) -> logits (B, C)``,
            e.g. ``lambda x: model.forward_features(x)[0]``.
            (default: :obj:`None`, ``model``)

    Returns:
        float32 :math:`(N, T, C)` probabilities on the inputs' device.
    """
    owner = "mc_dropout_probs"
    inputs = check_batch(inputs, owner)
    samples = check_int(samples, "samples", owner, low=2,
                        detail="BALD needs the samples to differ")
    batch_size = check_positive_int(batch_size, "batch_size", owner, allow_none=True)
    generator = make_generator(seed, inputs.device)
    forward = model if forward is None else forward
    out = []
    with mc_dropout(model, generator):
        for batch in inputs.split(batch_size or inputs.size(0)):
            draws = []
            for _ in range(samples):
                logits = forward(batch)
                if not isinstance(logits, Tensor) or logits.dim() != 2 \
                        or logits.size(0) != batch.size(0):
                    raise InvalidParameterError(
                        "forward", f"a callable returning logits of shape ({batch.size(0)}, C) "
                        f"for a batch of {batch.size(0)} items",
                        getattr(logits, "shape", type(logits).__name__), owner)
                draws.append(torch.softmax(logits.float(), dim=-1))
            out.append(torch.stack(draws, dim=1))
    return torch.cat(out)
