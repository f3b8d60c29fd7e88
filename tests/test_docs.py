"""The user docs' examples run: every ```python block of README.md and docs/*.md,
the docstring examples (``>>>``) of every gcnal module, and the scripts in
examples/.

Blocks of one Markdown file run in order in one namespace, so a block may use
what an earlier block of the same file defined. An HTML comment on the line
before a block's fence tags it:

- ``<!-- doctest: needs NAME -->``: the block uses API that lands with the
  branch NAME (see ``PENDING``). While NAME is pending the block must fail
  (strict xfail) and runs in a copy of the namespace, so later blocks never
  depend on it; once the branch is merged, remove NAME from ``PENDING`` and
  the block must pass.
- ``<!-- doctest: raises ExceptionName -->``: the block must raise that
  exception (a name from ``gcnal.errors`` or a builtin). Both tags may be
  combined: ``<!-- doctest: raises InvalidParameterError needs options -->``.
- ``<!-- doctest: server -->``: the block talks to a Label Studio server; it
  runs in tests/integrations against the server started there, not here.
"""
from __future__ import annotations

import builtins
import doctest
import importlib
import pkgutil
import re
import runpy
import shlex
import warnings
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import pytest
import torch

import gcnal
import gcnal.errors
from gcnal.registry import METHODS, SAMPLERS, SELECTORS

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

# API that the docs already use and that is not merged yet: branch -> what it adds.
# Remove a branch once it is merged into main; its blocks must then pass.
PENDING = {
}

FENCE = re.compile(r"(?:<!--\s*doctest:\s*(?P<tag>[^>]*?)\s*-->\s*\n)?```python\n(?P<code>.*?)```",
                   re.DOTALL)


class Block(NamedTuple):
    path: Path
    line: int
    code: str
    needs: Tuple[str, ...]
    raises: Optional[str]
    server: bool = False


def python_blocks(path: Path) -> List[Block]:
    """The ```python blocks of a Markdown file with their tags."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        needs, raises, keyword, server = [], None, None, False
        for word in (match.group("tag") or "").split():
            if word == "server":
                server = True
            elif word in ("needs", "raises"):
                keyword = word
            elif keyword == "needs":
                needs.append(word)
            elif keyword == "raises" and raises is None:
                raises = word
            else:
                raise ValueError(f"{path.name}: bad doctest tag {match.group('tag')!r}")
        line = text.count("\n", 0, match.start("code")) + 1
        blocks.append(Block(path, line, match.group("code"), tuple(needs), raises, server))
    return blocks


BLOCKS = [block for path in DOCS for block in python_blocks(path) if not block.server]


def _block_id(block: Block) -> str:
    return f"{block.path.relative_to(ROOT)}:{block.line}"


def _exception(name: str) -> type:
    return getattr(gcnal.errors, name, None) or getattr(builtins, name)


def _file_blocks(path: Path) -> List[Block]:
    return [block for block in BLOCKS if block.path == path]


class _Namespaces:
    """One namespace per Markdown file, advanced block by block (so a block
    run on its own still gets what the file's earlier blocks define)."""

    def __init__(self):
        self._state: Dict[Path, Tuple[int, dict]] = {}

    def before(self, block: Block) -> dict:
        """The file's namespace after every runnable block before ``block``."""
        blocks = _file_blocks(block.path)
        index = blocks.index(block)
        done, ns = self._state.get(block.path, (0, None))
        if ns is None or done > index:
            done, ns = 0, {"__name__": "__doc_example__"}
        for earlier in blocks[done:index]:
            if not _pending(earlier.needs):
                _run(earlier, ns)
        self._state[block.path] = (index, ns)
        return ns

    def ran(self, block: Block) -> None:
        """``block`` has run in its file's namespace."""
        index = _file_blocks(block.path).index(block)
        self._state[block.path] = (index + 1, self._state[block.path][1])


NAMESPACES = _Namespaces()


def _pending(needs) -> List[str]:
    """The branches in ``needs`` that are not merged yet."""
    return [name for name in needs if name in PENDING]


def _expect_failure_while_pending(request, needs) -> bool:
    """Mark the test strict-xfail while any branch in ``needs`` is pending;
    whether it is."""
    pending = _pending(needs)
    if pending:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason=f"needs {', '.join(pending)}: {PENDING[pending[0]]}"))
    return bool(pending)


def _run(block: Block, ns: dict) -> None:
    code = compile(block.code, _block_id(block), "exec")
    if block.raises is None:
        exec(code, ns)
        return
    with pytest.raises(_exception(block.raises)):
        exec(code, ns)


@pytest.fixture
def isolated_registries():
    """Doc examples register their own samplers, selectors and methods; the
    registries are restored afterwards so other tests see the built-ins only."""
    saved = [(r, dict(r._entries), dict(r._names)) for r in (METHODS, SAMPLERS, SELECTORS)]
    yield
    for registry, entries, names in saved:
        registry._entries, registry._names = entries, names


@pytest.mark.parametrize("block", BLOCKS, ids=_block_id)
def test_markdown_python_block_runs(block: Block, isolated_registries, request):
    pending = _expect_failure_while_pending(request, block.needs)
    ns = dict(NAMESPACES.before(block)) if pending else NAMESPACES.before(block)
    try:
        with warnings.catch_warnings():
            # the docs show the current API, never a deprecated keyword
            warnings.filterwarnings("error", category=DeprecationWarning,
                                    module=r"(gcnal|__doc_example__)")
            _run(block, ns)
    finally:
        if not pending:
            NAMESPACES.ran(block)


def test_docs_have_python_examples():
    """Every guide shows code, and the tags above are parsed."""
    files = {block.path for block in BLOCKS}
    assert ROOT / "README.md" in files
    for name in ["quickstart", "graph-and-samplers", "plugins", "task-aware"]:
        assert ROOT / "docs" / f"{name}.md" in files, name


def test_readme_lists_every_method():
    """A user reads the README's methods table to know what exists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Methods"):text.index("## Speed")]
    missing = [m for m in gcnal.available_methods() if f"`{m}`" not in table]
    assert not missing, f"methods missing from README's methods table: {missing}"


def _modules():
    yield gcnal
    for info in pkgutil.walk_packages(gcnal.__path__, "gcnal."):
        if info.name != "gcnal.__main__":
            yield importlib.import_module(info.name)


DOCTESTS = [test for module in _modules()
            for test in doctest.DocTestFinder(exclude_empty=True).find(module)
            if test.examples]


def test_gcnal_module_docstring_has_an_example():
    assert any(test.name == "gcnal" for test in DOCTESTS)


@pytest.mark.parametrize("test", DOCTESTS, ids=lambda t: t.name)
def test_docstring_examples_run(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=lambda text: print(text, end=""))
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {test.name} failed"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_script_runs(script: Path, isolated_registries):
    runpy.run_path(str(script), run_name="__main__")


def _quickstart_select_commands() -> List[List[str]]:
    """The ``gcnal select --features ...`` lines of quickstart.md's command-line block."""
    text = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    block = re.search(r"## The command line\n\n```bash\n(.*?)```", text, re.DOTALL).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines
            if line.startswith("gcnal select --features")]


def test_quickstart_cli_commands_run(tmp_path, monkeypatch, request):
    """The documented `gcnal select` commands run on files made like a user's."""
    from gcnal.cli import main

    _expect_failure_while_pending(request, ("options", "selcli"))
    commands = _quickstart_select_commands()
    assert len(commands) == 2, commands
    rng = np.random.default_rng(0)
    features = np.abs(rng.normal(size=(300, 8))).astype(np.float32)
    mask = np.zeros(300, dtype=bool)
    mask[:20] = True
    np.save(tmp_path / "feats.npy", features)
    torch.save(torch.from_numpy(features), tmp_path / "feats.pt")
    np.save(tmp_path / "mask.npy", mask)
    np.save(tmp_path / "probs.npy", rng.dirichlet(np.ones(4), size=300))
    (tmp_path / "ids.txt").write_text("\n".join(str(i) for i in range(20)) + "\n")
    monkeypatch.chdir(tmp_path)
    for argv in commands:
        assert argv[0] == "gcnal"
        assert main(argv[1:] + ["--quiet"]) == 0, argv
    rows = (tmp_path / "picks.csv").read_text().splitlines()
    assert len(rows) == 1 + 100                      # a header, then one row per pick
    ids = [int(line) for line in (tmp_path / "picks.txt").read_text().split()]
    assert len(set(ids)) == 100 and min(ids) >= 20   # unique, none of the labelled 0..19
