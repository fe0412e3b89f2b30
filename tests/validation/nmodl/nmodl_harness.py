"""Shared by the NMODL validation tests: compile with nrnivmodl, run NEURON and the engine.

A .mod file is copied into a temporary folder with its SUFFIX renamed (so that
it never clashes with NEURON's built-in mechanisms of the same name), compiled
there with nrnivmodl and run by ``nrn_run.py`` in a subprocess; the engine
imports the same renamed copy with :func:`electrical.load_nmodl`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
WHEEL_MODFILES = None
try:  # NEURON's own .mod files, shipped in the wheel
    import neuron as _neuron

    WHEEL_MODFILES = Path(_neuron.__file__).resolve().parent / ".data" / "share" / "modfile"
except ImportError:  # pragma: no cover
    pass


def renamed_copy(src: Path, folder: Path, tag: str) -> tuple[Path, str]:
    """Copy ``src`` into ``folder`` with SUFFIX ``name`` -> ``name_tag``; (path, new name)."""
    text = src.read_text(errors="replace")
    m = re.search(r"\bSUFFIX\s+(\w+)", text)
    name = m.group(1)
    new = f"{name}_{tag}"
    text = re.sub(rf"\bSUFFIX\s+{name}\b", f"SUFFIX {new}", text)
    # RANGE/GLOBAL names qualified with the suffix in hoc (x_name) are not in the file
    dst = folder / f"{new}.mod"
    dst.write_text(text)
    return dst, new


def nrnivmodl(folder: Path) -> None:
    exe = shutil.which("nrnivmodl") or str(Path(sys.executable).parent / "nrnivmodl")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    r = subprocess.run(
        [exe], cwd=folder, capture_output=True, text=True, env=env, timeout=600, check=False
    )
    if r.returncode != 0:
        tail = (r.stdout + r.stderr).strip().splitlines()[-5:]
        raise RuntimeError("nrnivmodl failed: " + " | ".join(tail))


def run_neuron(moddir: Path, protocol: dict, record: list) -> list[np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "out.json"
        spec.write_text(json.dumps({"moddir": str(moddir), "protocol": protocol, "record": record}))
        env = dict(os.environ, NEURON_MODULE_OPTIONS="-nogui")
        r = subprocess.run(
            [sys.executable, str(HERE / "nrn_run.py"), str(spec), str(out)],
            cwd=tmp,
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        if r.returncode != 0:
            raise RuntimeError("NEURON run failed: " + r.stderr.strip().splitlines()[-1])
        return [np.array(x) for x in json.loads(out.read_text())]


def run_engine(protocol: dict, record: list) -> list[np.ndarray]:
    from electrical import Cell, IClamp, Simulation

    cells: dict = {}
    secs = {}
    for s in protocol["sections"]:
        cname = s["name"].split("_")[0]
        cell = cells.setdefault(cname, Cell(cname))
        parent = secs[s["parent"]](1.0) if s.get("parent") else None
        sec = cell.section(
            s["name"], L=s["L"], diam=s["diam"], nseg=s["nseg"], Ra=s["Ra"], parent=parent
        )
        for mech, vals in s["mechs"].items():
            sec.insert(mech, **vals)
        secs[s["name"]] = sec
    for st in protocol["iclamps"]:
        cells[st["sec"].split("_")[0]].place(
            secs[st["sec"]](st["x"]), IClamp(delay=st["delay"], dur=st["dur"], amp=st["amp"])
        )
    mech_globals: dict = {}
    for name, val in protocol.get("globals", {}).items():
        g, _, mech = name.partition("_")
        mech_globals.setdefault(mech, {})[g] = val
    sim = Simulation(
        list(cells.values()),
        dt_ms=protocol["dt"],
        celsius=protocol["celsius"],
        mech_globals=mech_globals,
    )
    traces = []
    for sec, x, var in record:
        path = var
        m = re.match(r"(\w+?)_(" + "|".join(map(re.escape, _mech_names(protocol))) + r")$", var)
        if m:
            path = f"{m.group(2)}.{m.group(1)}"
        traces.append(sim.record(path, secs[sec](x)))
    sim.initialize(protocol["v_init"])
    sim.advance(protocol["t_stop"])
    return [np.asarray(tr.values) for tr in traces]


def _mech_names(protocol: dict) -> list[str]:
    return sorted({m for s in protocol["sections"] for m in s["mechs"]}, key=len, reverse=True)


def protocol(
    mechs: dict,
    celsius: float = 6.3,
    t_stop: float = 40.0,
    v_init: float = -65.0,
    amp: float = 0.3,
    globals_: dict | None = None,
) -> dict:
    """Two cells in one run: ``a`` one compartment (soma 20x20 um) and ``b`` a soma with
    two dendrites (3 sections, 9 segments); each gets IClamp steps at its soma."""
    secs = [
        {"name": "a_soma", "L": 20.0, "diam": 20.0, "nseg": 1, "Ra": 100.0, "mechs": mechs},
        {"name": "b_soma", "L": 20.0, "diam": 20.0, "nseg": 1, "Ra": 100.0, "mechs": mechs},
        {
            "name": "b_d1",
            "L": 200.0,
            "diam": 2.0,
            "nseg": 5,
            "Ra": 150.0,
            "parent": "b_soma",
            "mechs": mechs,
        },
        {
            "name": "b_d2",
            "L": 100.0,
            "diam": 1.0,
            "nseg": 3,
            "Ra": 150.0,
            "parent": "b_d1",
            "mechs": mechs,
        },
    ]
    clamps = []
    for sec in ("a_soma", "b_soma"):
        clamps += [
            {"sec": sec, "x": 0.5, "delay": 5.0, "dur": 10.0, "amp": amp},
            {"sec": sec, "x": 0.5, "delay": 25.0, "dur": 10.0, "amp": -amp / 2},
        ]
    from electrical import ION_TABLE

    # NEURON's ion defaults set to the engine's (a new ion is 1 mM in NEURON; the MSN's
    # 'cal' is declared by the engine with its own values)
    ions = {}
    for ion in ION_TABLE.values():
        ions[f"{ion.name}i"] = ion.ci_mM
        ions[f"{ion.name}o"] = ion.co_mM
    return {
        "ion_values": ions,
        "sections": secs,
        "iclamps": clamps,
        "celsius": celsius,
        "dt": 0.025,
        "t_stop": t_stop,
        "v_init": v_init,
        "globals": globals_ or {},
    }


def deviation(ref: np.ndarray, got: np.ndarray) -> float:
    """Largest deviation: absolute where |ref| <= 1 (mV, gates), else relative."""
    n = min(ref.size, got.size)
    ref, got = ref[-n:], got[-n:]
    scale = np.maximum(np.abs(ref), 1.0)
    return float(np.max(np.abs(got - ref) / scale))
