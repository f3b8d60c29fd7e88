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
        # h holds ReLU(X W1 + b1) times the keep mask, unscaled: the 1 / (1 - p)
        # of dropout is applied once to the N x c output instead
        h = take_buffer(workspace, "hidden", (n, hidden), weight1.dtype, x.device)
        out = torch.empty(n, weight2.size(1), dtype=weight2.dtype, device=x.device)
        scratch = torch.empty(min(chunk, n), hidden, dtype=h.dtype, device=x.device)
        for start in range(0, n, chunk):
            rows = slice(start, start + chunk)
            block = h[rows]
            if x.dtype == h.dtype:
                torch.matmul(x[rows], w1, out=block)
                if bias1 is not None:
                    block.add_(bias1)
            elif bias1 is not None:  # a bfloat16 product, rounded, then held in float32
                torch.add(x[rows] @ w1, bias1, out=block)
            else:
                block.copy_(x[rows] @ w1)
            block.clamp_(min=0)
            if lanes is not None:  # the keep_mask decisions as 0.0 / 1.0, one chunk at a
                # time (a multiplication by a float mask is several times faster
                # than by a boolean one, or than masked_fill_)
                block.mul_(kept(lanes[rows], p, out=scratch[:block.size(0)]))
            _times_weight(block, weight2, out[rows], scratch)  # while the chunk is in cache
        if lanes is not None:
            out.div_(kept_fraction)
            if workspace is not None:
                workspace.give_back("lanes")
        ctx.save_for_backward(x, h, weight2)
        ctx.has_bias, ctx.kept_fraction, ctx.chunk = bias1 is not None, kept_fraction, chunk
        ctx.workspace = workspace
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, h, weight2 = ctx.saved_tensors
        # h >= 0, and h > 0 exactly where the ReLU passed and the mask kept, so
        # sign(h) / (1 - p) is the derivative of dropout(relu(.)): with the
        # incoming gradient scaled by 1 / (1 - p) once, the gradient G before
        # the ReLU is built chunk by chunk (for one output, its (N, 1) x (1, h)
        # product is one rounded multiplication per entry, so torch.mul gives
        # it without a K = 1 matmul), and while a chunk is in cache it adds its
        # rows' terms to the bias's and the second weight's gradients and is
        # stored in X's dtype; then one product X^T G for the first weight's
        # gradient
        workspace = ctx.workspace
        n, hidden = h.shape
        low_precision = x.dtype != h.dtype
        grad = grad / ctx.kept_fraction if ctx.kept_fraction != 1.0 else grad
        grad_pre = take_buffer(workspace, "grad_pre", h.shape, x.dtype, h.device)
        # a low-precision G is rounded from a float32 chunk
        scratch = torch.empty(min(ctx.chunk, n), hidden, dtype=h.dtype, device=h.device)
        pre_scratch = torch.empty_like(scratch) if low_precision else None
        times_weight = torch.mul if weight2.size(1) == 1 else torch.mm
        grad_b1 = h.new_zeros(hidden) if ctx.has_bias else None
        grad_w2 = torch.zeros_like(weight2)
        for start in range(0, n, ctx.chunk):
            rows = slice(start, start + ctx.chunk)
            size = grad[rows].size(0)
            pre = pre_scratch[:size] if low_precision else grad_pre[rows]
            times_weight(grad[rows], weight2.T, out=pre)
            pre.mul_(torch.sign(h[rows]))
            if low_precision:
                grad_pre[rows].copy_(pre)
            if grad_b1 is not None:
                grad_b1.add_(pre.sum(dim=0))
            _add_transposed_times(grad_w2, h[rows], grad[rows], scratch[:size])
        grad_w1 = (x.T @ grad_pre).to(h.dtype)
        if workspace is not None:  # both are free again: the step that wrote them is done
            workspace.give_back("grad_pre")
            workspace.give_back("hidden")
        return None, grad_w1, grad_b1, grad_w2, None, None, None


def _times_weight(block: Tensor, weight: Tensor, out: Tensor, scratch: Tensor) -> None:
    r"""``out = block @ weight``; for one column on a CPU as an element-wise
    product and row sums, :math:`\sum_j b_{ij} w_j`, which a CPU's
    matrix-vector product at these shapes computes several times slower."""
    if weight.size(1) == 1 and block.device.type == "cpu":
        products = torch.mul(block, weight.T, out=scratch[:block.size(0)])
        torch.sum(products, dim=1, keepdim=True, out=out)
    else:
        torch.matmul(block, weight, out=out)


def _add_transposed_times(total: Tensor, block: Tensor, column: Tensor, scratch: Tensor) -> None:
    r"""``total += block.T @ column``; for one column on a CPU as an
    element-wise product and column sums, :math:`\sum_i b_{ij} g_i` (see
    :func:`_times_weight`)."""
    if column.size(1) == 1 and block.device.type == "cpu":
        total[:, 0].add_(torch.mul(block, column, out=scratch).sum(dim=0))
    else:
        total.addmm_(block.T, column)


def relu_dropout_linear(x: Tensor, weight1: Tensor, bias1: Optional[Tensor], weight2: Tensor,
                        p: float, training: bool,
                        generator: Optional[torch.Generator] = None,
                        workspace: Optional[Workspace] = None) -> Tensor:
    r"""A hidden layer and a linear map, fused,

    .. math::
        \mathbf{Y} = \operatorname{dropout}\big(\operatorname{ReLU}(\mathbf{X}
        \mathbf{\Theta}_1 + \mathbf{b}_1)\big)\, \mathbf{\Theta}_2,

    with the :func:`dropout` of the same ``generator`` (the same mask and,
    up to the order of float32 rounding, the same values as the unfused
    expression: the :math:`1 / (1 - p)` scale is applied to the output and
    to the incoming gradient, once each), for a constant :math:`\mathbf{X}` (no gradient
    flows to it: the GCN sampler's cached :math:`A\mathbf{X}`). Gradients
    flow to :math:`\mathbf{\Theta}_1, \mathbf{b}_1, \mathbf{\Theta}_2`.

    On a CPU the hidden layer :math:`\mathbf{H}` and the gradient
    :math:`\mathbf{G}` before its ReLU are computed in row chunks of
    :data:`_CHUNK_ELEMENTS` that stay in cache through bias, ReLU, mask,
    scale and the chunk's rows of :math:`\mathbf{H}\mathbf{\Theta}_2`
    (forward) or of the bias's and :math:`\mathbf{\Theta}_2`'s gradients
    (backward; on other devices in one piece); only :math:`\mathbf{H}` is
    kept for the backward pass (its sign is the derivative of
    ReLU-then-dropout), and the first weight's gradient
    :math:`\mathbf{X}^\top \mathbf{G}` is one product, so a step writes two
    :math:`N \times h` tensors and reads each about twice instead of about
    ten (epoch times fused against unfused: ``python -m benchmarks.scale
    epoch-ab``). The gradients are the unfused expression's up to the order
    in which float32 sums add the chunks' terms. ``X`` in another dtype
    (bfloat16) takes the products :math:`\mathbf{X}\mathbf{\Theta}_1` and
    :math:`\mathbf{X}^\top \mathbf{G}` in that dtype (:math:`\mathbf{G}`
    rounded to it chunk by chunk).

    With a :class:`Workspace`, :math:`\mathbf{H}`, :math:`\mathbf{G}` and
    the random lanes of the dropout decisions are written into buffers
    reused from call to call: valid for a loop that runs each backward pass
    before the next forward pass (a training loop), where it spares the page
    faults of fresh :math:`N \times h` tensors (measured by ``python -m
    benchmarks.scale epoch-ab``). Values do not change.

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
