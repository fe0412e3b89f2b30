"""Run one protocol in NEURON with compiled .mod files; write the traces as JSON.

Usage (a subprocess of the tests, so that each NEURON process loads its own
mechanisms): ``python nrn_run.py SPEC.json OUT.json``.  SPEC has ``moddir``
(compiled with nrnivmodl there), ``protocol`` (see protocol.py) and ``record``
(list of [section, x, variable]).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    import neuron
    from neuron import h

    neuron.load_mechanisms(spec["moddir"])
    h.load_file("stdrun.hoc")
    p = spec["protocol"]
    # before the sections: NEURON copies the ion defaults when an ion is allocated
    for name, val in [*p.get("globals", {}).items(), *p.get("neuron_globals", {}).items()]:
        try:
            setattr(h, name, val)
        except (LookupError, AttributeError):  # an ion no mechanism of this run uses
            pass
    secs = {}
    for s in p["sections"]:
        sec = h.Section(name=s["name"])
        sec.L, sec.diam, sec.nseg, sec.Ra, sec.cm = s["L"], s["diam"], s["nseg"], s["Ra"], 1.0
        if s.get("parent"):
            sec.connect(secs[s["parent"]](1.0), 0.0)
        for mech, vals in s["mechs"].items():
            sec.insert(mech)
            for k, val in vals.items():
                for seg in sec:
                    setattr(seg, f"{k}_{mech}", val)
        for var, val in p.get("ion_values", {}).items():
            for seg in sec:
                if hasattr(seg, f"_ref_{var}"):
                    setattr(seg, var, val)
        secs[s["name"]] = sec
    stims = []
    for st in p["iclamps"]:
        ic = h.IClamp(secs[st["sec"]](st["x"]))
        ic.delay, ic.dur, ic.amp = st["delay"], st["dur"], st["amp"]
        stims.append(ic)
    vecs = []
    for sec, x, var in spec["record"]:
        vec = h.Vector()
        vec.record(getattr(secs[sec](x), f"_ref_{var}"))
        vecs.append(vec)
    h.celsius = p["celsius"]
    h.dt = p["dt"]
    h.steps_per_ms = 1.0 / p["dt"]
    h.finitialize(p["v_init"])
    h.continuerun(p["t_stop"])
    Path(out_path).write_text(json.dumps([list(v) for v in vecs]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
