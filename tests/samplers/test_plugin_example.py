"""The plug-in example (examples/graphsage_sampler.py) runs and registers its
sampler and preset by name."""
import copy
import runpy
from pathlib import Path

import pytest

from gcnal.registry import METHODS, SAMPLERS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "graphsage_sampler.py"


@pytest.fixture
def clean_registry():
    saved = [(r, copy.copy(r._entries), copy.copy(r._names)) for r in (SAMPLERS, METHODS)]
    yield
    for registry, entries, names in saved:
        registry._entries, registry._names = entries, names


def _run(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    return capsys.readouterr().out


def test_graphsage_example(clean_registry, capsys):
    assert len(EXAMPLE.read_text().splitlines()) <= 40
    out = _run(capsys)
    assert "sage" in SAMPLERS and "uncertain_sage" in METHODS
    assert len(out.splitlines()) == 2
