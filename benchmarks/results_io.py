"""JSON-lines results: one file per (dataset, method, trial), appended atomically.

Each append rewrites the file under a temporary name in the same folder,
fsyncs it and renames it over the old one (``os.replace``), so a crash at
any point leaves either the old file or the new one, never a half-written
line. Files are small (one line per cycle), so the rewrite costs nothing.
The reader still tolerates a truncated last line (e.g. a file written by
another tool), and refuses a corrupt line in the middle.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence

__all__ = [
    "REQUIRED_KEYS",
    "result_path",
    "read_rows",
    "append_row",
    "append_rows",
    "load_study",
    "git_commit",
    "utc_now",
]

#: Keys every result row carries (the issue's contract).
REQUIRED_KEYS = (
    "dataset",
    "profile",
    "method",
    "trial",
    "cycle",
    "labelled",
    "accuracy",
    "selection_time_s",
    "train_time_s",
    "seed",
    "commit",
    "device",
    "date",
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def result_path(results_dir: Path, study: str, dataset: str, method: str, trial: int) -> Path:
    return Path(results_dir) / study / f"{dataset}__{method}__trial{int(trial)}.jsonl"


def read_rows(path: Path) -> List[Dict]:
    """Rows of one JSONL file ([] if it does not exist); a truncated last line is ignored."""
    path = Path(path)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    rows = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if i == len(lines) - 1:  # no trailing newline: an interrupted write
                break
            raise ValueError(f"{path}: line {i + 1} is not valid JSON ({exc}); fix or remove it") from exc
    return rows


def append_row(path: Path, row: Dict) -> None:
    """Append one JSON line to ``path`` atomically (temporary file + rename)."""
    append_rows(path, [row])


def append_rows(path: Path, rows: List[Dict]) -> None:
    """Append JSON lines to ``path`` atomically, all or none (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old = old[: old.rfind(b"\n") + 1]  # drop a truncated last line
    lines = b"".join((json.dumps(row, sort_keys=False, separators=(", ", ": ")) + "\n").encode("utf-8")
                     for row in rows)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(old)
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_study(folder: Path) -> List[Dict]:
    """All rows of all ``*.jsonl`` files under ``folder`` (recursively), in a stable order."""
    rows: List[Dict] = []
    for path in sorted(Path(folder).rglob("*.jsonl")):
        rows.extend(read_rows(path))
    return rows


def provenance(module: str, argv: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """A run's stamp for its rows: the command (``python -m benchmarks.<module>``
    with ``argv``, else the process's arguments), commit, machine and date."""
    args = sys.argv[1:] if argv is None else list(argv)
    return {"command": " ".join([f"python -m benchmarks.{module}"] + args),
            "commit": git_commit(), "machine": describe_device("cpu"), "date": utc_now()}


def package_versions(names=("gcnal", "numpy", "scikit-learn", "torch")) -> Dict[str, str]:
    """The installed versions of ``names`` (``"absent"`` for one not installed):
    the floating-point results of a learner depend on them, not only on the commit."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


@lru_cache(maxsize=1)
def git_commit() -> str:
    """``HEAD``'s sha, with ``+dirty`` when gcnal/ or benchmarks/ have uncommitted changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "gcnal", "benchmarks"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True,
        ).stdout
        # Result files under benchmarks/results do not make the code dirty.
        dirty = any(
            line[3:].strip() and not line[3:].startswith("benchmarks/results") for line in status.splitlines()
        )
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what
    :mod:`platform` says of the processor."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_device(device) -> str:
    """The machine a row was measured on: the GPU's name, or the CPU's
    model, architecture, the instruction set torch's kernels use (rows of
    one study can differ between machines by these: the MLP regressor's
    RMSE, a k-means on another build) and the torch thread count."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return (f"cpu ({cpu_model()}, {platform.machine()}, {torch.backends.cpu.get_cpu_capability()}, "
            f"{torch.get_num_threads()} threads)")
