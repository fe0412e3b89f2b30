"""Each unit factor of electrical.nmodl._units equals the constant nocmodl emits for it."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

from electrical.nmodl._units import FACTORS

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nmodl_harness as H

pytest.importorskip("neuron", reason="nocmodl (PyPI 'neuron') is the reference here")


@pytest.mark.slow
@pytest.mark.neuron
def test_factors_equal_nocmodl():
    tmp = Path(tempfile.mkdtemp(prefix="nmodl_units_"))
    names = {f"F{k}": pair for k, pair in enumerate(FACTORS)}
    # the keys are lower case; nocmodl's unit names are case-sensitive
    spell = {"joule/degc": "joule/degC", "joule/k": "joule/K"}
    units = "\n".join(f"  {n} = ({a}) ({spell.get(b, b)})" for n, (a, b) in names.items())
    body = " + ".join(names)
    (tmp / "tunits.mod").write_text(
        "NEURON { SUFFIX tunits NONSPECIFIC_CURRENT i }\n"
        f"UNITS {{\n{units}\n}}\n"
        "ASSIGNED { v i }\n"
        f"BREAKPOINT {{ i = 1e-30*v*({body}) }}\n"
    )
    H.nrnivmodl(tmp)
    cpp = (tmp / "x86_64" / "tunits.cpp").read_text()
    for n, pair in names.items():
        m = re.search(rf"static double {n} = ([0-9a-fx.+\-p]+);", cpp)
        assert m, f"nocmodl emitted no constant for {n} = {pair}"
        emitted = float.fromhex(m.group(1)) if "0x" in m.group(1) else float(m.group(1))
        assert emitted == FACTORS[pair], (pair, emitted, FACTORS[pair])
