"""Start a gloo process group of spawned processes on 127.0.0.1 and collect
what each rank's job returned or raised (helper of the distributed tests)."""
from __future__ import annotations

import datetime
import multiprocessing
import os
import pickle
import socket
import traceback
from pathlib import Path

#: Seconds the process group waits on a silent peer before a collective fails.
GROUP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world_size, port, out_dir, job, args):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size,
                            timeout=datetime.timedelta(seconds=GROUP_TIMEOUT_S))
    try:
        result = ("ok", job(rank, world_size, *args))
    except BaseException as err:  # reported to the test, which asserts on it
        result = ("raised", type(err).__name__, str(err), traceback.format_exc())
    with open(Path(out_dir) / f"rank{rank}.pkl", "wb") as f:
        pickle.dump(result, f)
    dist.destroy_process_group()


def launch(world_size, job, args, out_dir, timeout_s=60):
    """Run ``job(rank, world_size, *args)`` on ``world_size`` spawned ranks;
    each rank's ``("ok", value)`` or ``("raised", type name, message,
    traceback)``, ``None`` for a rank that left no result (killed)."""
    context = multiprocessing.get_context("spawn")
    port = free_port()
    processes = [context.Process(target=_worker, args=(r, world_size, port, str(out_dir), job,
                                                       args)) for r in range(world_size)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout_s)
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    results = []
    for r in range(world_size):
        path = Path(out_dir) / f"rank{r}.pkl"
        results.append(pickle.loads(path.read_bytes()) if path.exists() else None)
    return results
