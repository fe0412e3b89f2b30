"""Every example runs with --quick and writes what it promises (STYLE.md 8)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from .conftest import REPO

EXAMPLES = sorted(p for p in (REPO / "examples").glob("*.py") if not p.name.startswith("_"))


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_quick(path, tmp_path):
    mod = _load(path)
    assert mod.__doc__ and "Runtime" in mod.__doc__, "each example states its runtime"
    assert mod.main(["--quick", "--out", str(tmp_path)]) == 0
    outputs = list(tmp_path.iterdir())
    assert outputs, "an example run with --out writes its outputs"
    for js in tmp_path.glob("*.json"):
        json.loads(js.read_text())


def test_ball_and_stick_json_keys(tmp_path):
    mod = _load(REPO / "examples" / "ball_and_stick.py")
    out = tmp_path / "bs.json"
    assert mod.main(["--quick", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == {"nseg1_error_mV", "nseg11_error_mV"}
    assert data["nseg1_error_mV"] > data["nseg11_error_mV"] > 0
