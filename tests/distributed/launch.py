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


def _run(name, out_dir, rank, job, *args):
    """Run ``job(rank, *args)`` and write what it returned or raised."""
    try:
        result = ("ok", job(rank, *args))
    except BaseException as err:  # reported to the test, which asserts on it
        result = ("raised", type(err).__name__, str(err), traceback.format_exc())
    with open(Path(out_dir) / f"{name}{rank}.pkl", "wb") as f:
        pickle.dump(result, f)


def _worker(rank, world_size, port, out_dir, job, args, then, dies):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size,
                            timeout=datetime.timedelta(seconds=GROUP_TIMEOUT_S))
    _run("rank", out_dir, rank, job, world_size, *args)
    if then is not None:
        if rank == dies:
            os._exit(0)  # without a word to the others
        _run("then", out_dir, rank, then, world_size)
    dist.destroy_process_group()


def _results(out_dir, name, world_size):
    paths = [Path(out_dir) / f"{name}{r}.pkl" for r in range(world_size)]
    return [pickle.loads(p.read_bytes()) if p.exists() else None for p in paths]


def launch(world_size, job, args, out_dir, timeout_s=60, then=None, dies=None):
    """Run ``job(rank, world_size, *args)`` on ``world_size`` spawned ranks;
    each rank's ``("ok", value)`` or ``("raised", type name, message,
    traceback)``, ``None`` for a rank that left no result. With ``then``:
    rank ``dies`` then exits at once and the others run ``then(rank,
    world_size)``; ``(results, then's results)``."""
    context = multiprocessing.get_context("spawn")
    port = free_port()
    processes = [context.Process(target=_worker, args=(r, world_size, port, str(out_dir), job,
                                                       args, then, dies))
                 for r in range(world_size)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout_s)
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    results = _results(out_dir, "rank", world_size)
    return results if then is None else (results, _results(out_dir, "then", world_size))
