"""docs/label-studio.md's walk through runs against the session's real Label
Studio server: its Python blocks (tagged ``server``) and its ``gcnal
label-studio`` commands, in the page's order, as a user runs them."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path
from typing import List, Tuple

from gcnal.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "label-studio.md"

STEP = re.compile(r"(?:<!--\s*doctest:\s*server\s*-->\s*\n```python\n(?P<python>.*?)```)"
                  r"|(?:```bash\n(?P<bash>gcnal label-studio .*?)```)", re.DOTALL)


def walkthrough_steps() -> List[Tuple[str, str]]:
    """("python", code) and ("gcnal", command line) in the page's order."""
    steps = []
    for match in STEP.finditer(PAGE.read_text(encoding="utf-8")):
        if match.group("python") is not None:
            steps.append(("python", match.group("python")))
        else:
            steps.append(("gcnal", match.group("bash").replace("\\\n", " ").strip()))
    return steps


def run_walkthrough(workdir: Path) -> List[str]:
    """Run the page's steps in ``workdir`` (``LABEL_STUDIO_URL`` and
    ``LABEL_STUDIO_API_KEY`` set); returns what each step printed. The
    page's ``--project 1`` (a fresh server's first project) becomes the
    project its first block made."""
    namespace = {"__name__": "__doc_example__"}
    printed = []
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        for kind, step in walkthrough_steps():
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                if kind == "python":
                    exec(compile(step, str(PAGE), "exec"), namespace)
                else:
                    argv = shlex.split(step)[1:]
                    argv[argv.index("--project") + 1] = str(namespace["project"].id)
                    assert main(argv) == 0, step
            printed.append(out.getvalue())
    finally:
        os.chdir(previous)
    return printed


def test_the_walkthrough_runs(label_studio, tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    steps = walkthrough_steps()
    assert [kind for kind, _ in steps] == ["python", "gcnal", "python", "python", "gcnal",
                                           "python"]
    printed = run_walkthrough(tmp_path)
    project = int(printed[0])
    assert printed[1].startswith(f"round 1 of project {project}: 0 of 300 tasks labelled; "
                                 "10 picked as gcnal-round1-typical_diverse\n")
    assert printed[4].startswith(f"round 2 of project {project}: 10 of 300 tasks labelled; "
                                 "10 picked as gcnal-round2-margin\n")
    assert printed[5].startswith("3 gcnal-round3-margin 20 (")
