"""Memory layout of large matrices: the block size of every blocked
distance or similarity computation, and column-major storage for matrices
that matrix-vector products read many times."""
from __future__ import annotations

from torch import Tensor

#: Most elements of one block of a blocked distance or similarity matrix
#: (:math:`2^{24}`, 64 MiB of float32): pool rows are processed
#: :func:`rows_per_block` at a time, so memory stays one block beyond the
#: result whatever :math:`N`.
BLOCK_ELEMENTS = 1 << 24


def rows_per_block(columns: int) -> int:
    """Rows of a block of :data:`BLOCK_ELEMENTS` elements with ``columns``
    columns (at least one)."""
    return max(1, BLOCK_ELEMENTS // max(columns, 1))


def column_major(x: Tensor) -> Tensor:
    r"""The matrix ``x`` with its values stored column by column (a transposed
    view of a contiguous :math:`\mathbf{X}^\top`), or ``x`` itself when it
    already is.

    Both matrix-vector products, :math:`\mathbf{X}\mathbf{c}` and
    :math:`\mathbf{X}^\top\mathbf{y}`, then run on BLAS's column-major kernels
    (against row-major rows: ``python -m benchmarks.scale epoch-ab``); the
    values are the same. For matrices read once per step of a loop: the
    factored cosine adjacency, the centres of
    :class:`~gcnal.selectors.nearest_centre.NearestCentres`.
    """
    return x if x.T.is_contiguous() else x.T.contiguous().T
