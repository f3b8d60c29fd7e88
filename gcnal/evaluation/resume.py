"""The resume file of :func:`gcnal.evaluate`: one JSON object per line, one
line per (method, seed, cycle), a learning curve's lines written together.

Writing is atomic: the file is rewritten to a temporary file beside it
(previous lines + the new curve) and renamed onto itself, so a run killed at
any moment leaves either the previous file or the one with the whole new
curve, never a part of a curve. A run given the same file skips the curves
it holds; rows written under other settings are refused, never mixed.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

from ..errors import InvalidParameterError


def read_rows(path: Path, settings_key: str) -> List[Dict]:
    """The rows in ``path`` (none when it does not exist yet)."""
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise InvalidParameterError("resume", "a file of JSON lines written by evaluate",
                                        f"{str(path)!r}, line {number} not JSON", "evaluate")
        if row.get("settings_key") != settings_key:
            raise InvalidParameterError(
                "resume", "a file written by evaluate with the same settings (features size, "
                "labels, test split, learner, metric, initial, budget, cycles, options)",
                f"{str(path)!r} holding rows of other settings (line {number})", "evaluate")
        rows.append(row)
    return rows


def finished_curves(rows: List[Dict]) -> Dict[Tuple[str, int], List[Dict]]:
    """The rows of each (method, seed) curve in ``rows``, ordered by cycle."""
    curves: Dict[Tuple[str, int], List[Dict]] = {}
    for row in rows:
        curves.setdefault((row["method"], row["seed"]), []).append(row)
    return {key: sorted(value, key=lambda r: r["cycle"]) for key, value in curves.items()}


def append_rows(path: Path, rows: List[Dict]) -> None:
    """Add ``rows`` to ``path`` atomically (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_bytes() if path.exists() else b""
    if previous and not previous.endswith(b"\n"):
        previous += b"\n"
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(previous + text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
