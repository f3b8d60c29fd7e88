r"""Selection over a pool sharded across processes (``torch.distributed``:
gloo on CPUs, NCCL on GPUs, launched with ``torchrun``).

Each rank passes its own shard to :func:`select`; the budget is global and
each rank gets back the picks that fall in its shard. See
docs/distributed.md for an example and the communication volume of each
method.
"""
from .api import ShardedSelection, select
from .methods import SHARDED_METHODS

__all__ = ["SHARDED_METHODS", "ShardedSelection", "select"]
