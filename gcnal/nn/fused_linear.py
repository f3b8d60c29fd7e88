"""The fused hidden layer ``dropout(relu(X W1 + b1)) W2`` of the cached GCN sampler."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from .seeded_dropout import kept, random_lanes
from .workspace import Workspace, take_buffer


#: Elements of one row chunk of :func:`relu_dropout_linear`'s hidden layer
#: (1 MiB of float32): small enough to stay in the CPU's cache between the
#: element-wise steps.
_CHUNK_ELEMENTS = 1 << 18


class _ReluDropoutLinear(torch.autograd.Function):
    """Forward and backward of :func:`relu_dropout_linear`, in row chunks."""

    @staticmethod
    def forward(ctx, x: Tensor, weight1: Tensor, bias1: Optional[Tensor], weight2: Tensor,
                lanes: Optional[Tensor], p: float, workspace: Optional[Workspace]) -> Tensor:
        n, hidden = x.size(0), weight1.size(1)
        # one chunk off the CPU: a GPU gains nothing from them but kernel launches
        chunk = max(1, _CHUNK_ELEMENTS // hidden) if x.device.type == "cpu" else max(n, 1)
        kept_fraction = 1.0 - p if lanes is not None else 1.0
        w1 = weight1.to(x.dtype)
        h = take_buffer(workspace, "hidden", (n, hidden), weight1.dtype, x.device)
        for start in range(0, n, chunk):
            rows = slice(start, start + chunk)
            block = h[rows]
            if x.dtype == h.dtype:
                torch.matmul(x[rows], w1, out=block)
            else:  # a bfloat16 product, rounded, then held in float32
                block.copy_(x[rows] @ w1)
            if bias1 is not None:
                block.add_(bias1)
            block.clamp_(min=0)
            if lanes is not None:  # the keep_mask decisions, one chunk at a time,
                # multiplied in as dropout() multiplies them (a multiplication
                # by a boolean mask is several times faster than masked_fill_)
                block.mul_(kept(lanes[rows], p)).div_(kept_fraction)
        if workspace is not None and lanes is not None:
            workspace.give_back("lanes")
        ctx.save_for_backward(x, h, weight2)
        ctx.has_bias, ctx.kept_fraction, ctx.chunk = bias1 is not None, kept_fraction, chunk
        ctx.workspace = workspace
        return h @ weight2

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, h, weight2 = ctx.saved_tensors
        # h >= 0, and h > 0 exactly where the ReLU passed and the mask kept, so
        # sign(h) / (1 - p) is the derivative of dropout(relu(.)): the gradient
        # before the ReLU, built chunk by chunk with the values autograd's
        # operations give on the unfused expression (for one output, its
        # (N, 1) x (1, h) product is one rounded multiplication per entry, so
        # torch.mul gives it without a K = 1 matmul); then
        # one product for the weight's gradient, so that it is the unfused one
        # to the bit
        workspace = ctx.workspace
        grad_pre = take_buffer(workspace, "grad_pre", h.shape, h.dtype, h.device)
        times_weight = torch.mul if weight2.size(1) == 1 else torch.mm
        for start in range(0, x.size(0), ctx.chunk):
            rows = slice(start, start + ctx.chunk)
            times_weight(grad[rows], weight2.T, out=grad_pre[rows])
            grad_pre[rows].div_(ctx.kept_fraction).mul_(torch.sign(h[rows]))
        low_precision = x.dtype != h.dtype
        if low_precision:  # into a reused buffer: a fresh one page-faults
            grad_pre_x = take_buffer(workspace, "grad_pre_x", h.shape, x.dtype, h.device)
            grad_w1 = (x.T @ grad_pre_x.copy_(grad_pre)).to(h.dtype)
        else:
            grad_w1 = x.T @ grad_pre
        grad_b1 = grad_pre.sum(dim=0) if ctx.has_bias else None
        grad_w2 = h.T @ grad
        if workspace is not None:  # both are free again: the step that wrote them is done
            workspace.give_back("grad_pre")
            workspace.give_back("hidden")
            if low_precision:
                workspace.give_back("grad_pre_x")
        return None, grad_w1, grad_b1, grad_w2, None, None, None


def relu_dropout_linear(x: Tensor, weight1: Tensor, bias1: Optional[Tensor], weight2: Tensor,
                        p: float, training: bool,
                        generator: Optional[torch.Generator] = None,
                        workspace: Optional[Workspace] = None) -> Tensor:
    r"""A hidden layer and a linear map, fused,

    .. math::
        \mathbf{Y} = \operatorname{dropout}\big(\operatorname{ReLU}(\mathbf{X}
        \mathbf{\Theta}_1 + \mathbf{b}_1)\big)\, \mathbf{\Theta}_2,

    with the :func:`dropout` of the same ``generator`` (the same mask and,
    up to how the BLAS blocks a row-chunked product, the same values as the
    unfused expression), for a constant :math:`\mathbf{X}` (no gradient
    flows to it: the GCN sampler's cached :math:`A\mathbf{X}`). Gradients
    flow to :math:`\mathbf{\Theta}_1, \mathbf{b}_1, \mathbf{\Theta}_2`.

    On a CPU the hidden layer :math:`\mathbf{H}` and the gradient before
    its ReLU are computed in row chunks of :data:`_CHUNK_ELEMENTS` that stay
    in cache through bias, ReLU, mask and scale (on other devices in one
    piece); only :math:`\mathbf{H}` is kept for the backward pass (its sign
    is the derivative of ReLU-then-dropout), and the weight gradient
    :math:`\mathbf{X}^\top \mathbf{G}` is one product, taken as autograd
    takes it on the unfused expression (same picks), while a step writes two
    :math:`N \times h` tensors instead of about ten (epoch times fused
    against unfused: ``python -m benchmarks.scale epoch-ab``). ``X`` in another
    dtype (bfloat16) takes the products :math:`\mathbf{X}\mathbf{\Theta}_1`
    and :math:`\mathbf{X}^\top \mathbf{G}` in that dtype.

    With a :class:`Workspace`, :math:`\mathbf{H}`, the gradient before the
    ReLU (and its copy in ``X``'s dtype) and the random lanes of the
    dropout decisions are written into buffers reused from call to call: valid for a loop that runs each
    backward pass before the next forward pass (a training loop), where it
    spares the page faults of fresh :math:`N \times h` tensors (measured by
    ``python -m benchmarks.scale epoch-ab``). Values do not change.

    Shapes:
        - **x:** :math:`(N, d)`; **weight1:** :math:`(d, h)`; **bias1:**
          :math:`(h,)` or ``None``; **weight2:** :math:`(h, c)`
        - **output:** :math:`(N, c)`
    """
    if x.requires_grad:
        raise InvalidParameterError("x", "a constant tensor (requires_grad=False)",
                                    "a tensor that requires grad", "relu_dropout_linear")
    lanes = random_lanes((x.size(0), weight1.size(1)), generator, x.device, workspace) \
        if training and p > 0 else None
    return _ReluDropoutLinear.apply(x, weight1, bias1, weight2, lanes, p, workspace)
