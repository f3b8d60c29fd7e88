"""
Select from a pool sharded across processes
===========================================

Each process (rank) reads only its own rows of a memory-mapped ``.npy``
feature file and passes them to :func:`gcnal.distributed.select`; the budget
is global, each rank gets the picks that fall in its rows, and rank 0 writes
the global pick order. Run it on 2 processes of this machine with::

    torchrun --standalone --nproc-per-node 2 examples/distributed_select.py \\
        features.npy --labelled labelled.npy --budget 100 --out picks.npy

``features.npy`` is ``(N, d)`` float32; ``labelled.npy`` is ``(N,)`` bool (or
0/1). Without a feature file (or without torchrun, on one process) it makes
a demo pool of 5,000 x 32 first.
"""
# %%
import argparse
import datetime
import os
import socket
import tempfile
from pathlib import Path

import numpy as np
import torch.distributed as dist

import gcnal.distributed
from gcnal.io import save_array_atomic

under_torchrun = "RANK" in os.environ
parser = argparse.ArgumentParser(description="Sharded active-learning selection.")
parser.add_argument("features", nargs="?", help="(N, d) .npy file; default: a demo pool")
parser.add_argument("--labelled", help="(N,) bool .npy file; default: every 100th item")
parser.add_argument("--budget", type=int, default=100)
parser.add_argument("--method", default="typical_diverse",
                    choices=sorted(gcnal.distributed.SHARDED_METHODS))
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", help="where rank 0 writes the global picks (.npy)")
args = parser.parse_args(None if under_torchrun else [])

# %%
# torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; on its own the
# script is a group of one. gloo runs on CPUs (NCCL for tensors on GPUs).
timeout = datetime.timedelta(minutes=5)
if under_torchrun:
    dist.init_process_group("gloo", timeout=timeout)
else:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0,
                            world_size=1, timeout=timeout)
rank, world_size = dist.get_rank(), dist.get_world_size()

if args.features is None:  # rank 0 writes a demo pool once, the others wait for it
    args.features = str(Path(tempfile.gettempdir()) / "gcnal_distributed_demo.npy")
    if rank == 0:
        rng = np.random.default_rng(0)
        centres = rng.normal(size=(20, 32)) * 3
        demo = centres[rng.integers(20, size=5_000)] + rng.normal(size=(5_000, 32))
        save_array_atomic(demo.astype(np.float32), args.features)
    dist.barrier()

# %%
# Each rank reads rows [start, stop) of the file, and nothing else.
pool = np.load(args.features, mmap_mode="r", allow_pickle=False)
start, stop = len(pool) * rank // world_size, len(pool) * (rank + 1) // world_size
features = np.array(pool[start:stop], dtype=np.float32)
if args.labelled:
    labelled = np.array(np.load(args.labelled, mmap_mode="r", allow_pickle=False)[start:stop],
                        dtype=bool)
else:
    labelled = np.arange(start, stop) % 100 == 0

selection = gcnal.distributed.select(features, labelled, args.budget, args.method,
                                     seed=args.seed, return_order=True)
print(f"rank {rank}/{world_size}: rows {start}-{stop}, {len(selection.indices)} of the "
      f"{args.budget} picks are mine, e.g. local {selection.indices[:3].tolist()}; "
      f"sent {sum(selection.bytes_sent.values()) / 1e3:.1f} kB")
if rank == 0:
    print("global picks (first 10):", selection.order[:10].tolist())
    if args.out:
        save_array_atomic(selection.order, args.out)
dist.destroy_process_group()
