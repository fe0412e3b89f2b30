"""Imported .mod files against NEURON running the same files (compiled live with nrnivmodl).

For every .mod file of NEURON's wheel (share/modfile) and of the ModelDB folders under
../shared/reference/modeldb: either the importer refuses it with a one-line error, or
the engine runs it, in one compartment and in a 3-section cable (two cells of one
run), under IClamp steps, with ``usetable`` 1 and 0 when it has a TABLE, and every
recorded v, state and current equals NEURON's within TOL over 40 ms, with the same
spike steps.  A table of the files (largest deviation, or the reason for refusal) is
printed; a file listed in SUPPORTED that is refused fails the test.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from electrical import Catalogue
from electrical.nmodl import NmodlError, load_nmodl
from electrical.nmodl._parse import parse_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nmodl_harness as H

pytest.importorskip("neuron", reason="NEURON (PyPI 'neuron') is the reference here")

#: mV, or relative where |value| > 1: the issue's agreement with NEURON
TOL = 1e-6

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "modeldb"

DATA = Path(__file__).resolve().parents[2] / "data" / "nmodl"

#: (folder, celsius, files that must import and agree; other files must be refused)
SETS = {
    "testcases": (
        DATA,
        16.3,
        {
            "good_leak",
            "good_cnexp",
            "good_nonlinear",
            "good_nonlinear2",
            "good_derivimplicit",
            "good_euler",
            "good_procsolve",
            "good_concentration",
        },
    ),
    "wheel": (H.WHEEL_MODFILES, 6.3, {"hh", "passive"}),
    "pospischil2008": (
        REFERENCE / "pospischil2008",
        36.0,
        {"HH_traub", "IL_gutnick", "IM_cortex", "IT_huguenard", "cadecay_destexhe"},
    ),
    "timescales_msn": (
        REFERENCE / "timescales_msn" / "mod",
        35.0,
        {"cadyn", "caldyn", "can", "caq", "kas", "skkca", "caL", "caL13"},
    ),
    "destexhe1994_synapses": (REFERENCE / "destexhe1994_synapses", 36.0, {"HH"}),
    "destexhe1998_synapses": (REFERENCE / "destexhe1998_synapses", 36.0, {"HH2"}),
    "destexhe2001_gfluct": (
        REFERENCE / "destexhe2001_gfluct",
        36.0,
        {"IKd_traub", "IM", "INa_traub_shifted"},
    ),
    "hsu2018": (
        REFERENCE / "hsu2018" / "FullModel",
        35.0,
        {"h", "kad", "kap", "kdr", "km2", "nas", "nax"},
    ),
}


def _states_of(path: Path) -> list[str]:
    """STATEs of the file (NEURON records them per segment as state_suffix)."""
    return list(parse_file(path).states)


def _spike_steps(v: np.ndarray) -> np.ndarray:
    return np.flatnonzero((v[1:] > 0.0) & (v[:-1] <= 0.0))


@pytest.mark.slow
@pytest.mark.neuron
@pytest.mark.parametrize("set_name", list(SETS))
def test_modfiles_equal_neuron(set_name, capsys):
    folder, celsius, supported = SETS[set_name]
    if folder is None or not Path(folder).is_dir():
        pytest.skip(f"{folder} is absent (NEURON wheel or ../shared/reference)")
    files = sorted(Path(folder).glob("good_*.mod" if folder == DATA else "*.mod"))
    tmp = Path(tempfile.mkdtemp(prefix=f"nmodl_{set_name}_"))
    copies = {}
    for f in files:
        try:
            # a tag per set: two sets may use one SUFFIX (hh2) in this process
            copies[f.stem] = H.renamed_copy(f, tmp, f"n{list(SETS).index(set_name)}")
        except AttributeError:  # no SUFFIX: a POINT_PROCESS; refused below
            copies[f.stem] = None
    H.nrnivmodl(tmp)
    rows = []
    failures = []
    for f in files:
        stem = f.stem
        try:
            if copies[stem] is None:  # no SUFFIX: the importer's error for the original
                load_nmodl(f, catalogue=Catalogue("refused"))
                raise AssertionError(f"{f} has no SUFFIX and was imported")
            path, name = copies[stem]
            cls = load_nmodl(path)[name]
        except NmodlError as exc:
            msg = str(exc).replace(str(tmp) + "/", "").replace(str(folder) + "/", "")
            assert "\n" not in msg
            rows.append((stem, "refused", msg.split(": ", 1)[-1]))
            if stem in supported:
                failures.append(f"{stem} refused: {msg}")
            continue
        tabled = "usetable" in cls.globals
        worst = 0.0
        for ut in (1, 0) if tabled else (1,):
            p = H.protocol(
                {name: {}}, celsius=celsius, globals_={f"usetable_{name}": ut} if tabled else {}
            )
            rec = []
            current_vars = {c if ion else f"{c}_{name}" for c, ion in cls.currents.items()}
            for sec in ("a_soma", "b_soma"):
                rec.append((sec, 0.5, "v"))
                rec += [(sec, 0.5, f"{s}_{name}") for s in _states_of(path) if s in cls.states]
                rec += [(sec, 0.5, c) for c in sorted(current_vars)]
            rec.append(("b_d2", 0.5, "v"))
            ref = H.run_neuron(tmp, p, rec)
            got = H.run_engine(p, rec)
            for (sec, x, var), a, b in zip(rec, ref, got):
                if var in current_vars:
                    # currents: the engine records 0 at t = 0 (it evaluates them in the
                    # first step; NEURON already in finitialize), so from the first step
                    a, b = a[1:], b[1:]
                d = H.deviation(a, b)
                worst = max(worst, d)
                if not d <= TOL:
                    failures.append(f"{stem} usetable={ut} {sec}({x}).{var}: deviation {d:.3g}")
            for k in (0, len(rec) - 1):
                if not np.array_equal(_spike_steps(ref[k]), _spike_steps(got[k])):
                    failures.append(f"{stem} usetable={ut}: spike steps differ")
        rows.append((stem, "supported", f"largest deviation {worst:.2e}"))
        if stem not in supported:
            failures.append(f"{stem} imports now: add it to SUPPORTED")
    with capsys.disabled():
        print(f"\n[{set_name}] NMODL import vs NEURON (tolerance {TOL:g})")
        for stem, status, what in rows:
            print(f"  {stem:24s} {status:10s} {what}")
    assert not failures, "\n".join(failures)
