"""NEURON Import3d as the reference: run in a subprocess, print JSON (used by the tests).

``python _import3d_reference.py FILE`` imports FILE with NEURON's
Import3d_SWC_read (.swc) or Import3d_Neurolucida3 (.asc) and
Import3d_GUI(…, False).instantiate(None), then prints, per
section: name, parent name and x, L, nseg, 3-D points, segment areas and
diameters, h.distance from soma[0](0.5) at every segment centre and at both ends,
and the d-lambda nseg (fixnseg, 100 Hz, d_lambda 0.1) after the others are read.

``python _import3d_reference.py FILE --passive SITES_JSON`` instead sets nseg by
the d-lambda rule, inserts pas with g = G0_S_CM2*(1 + distance/RULE_UM) per segment
(distance from soma[0](0.5)), Ra 150, cm 1, puts an IClamp at soma[0](0.5) and
prints v [mV] at the given (section, x) sites every step (backward Euler).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")


#: the passive run (mirrored by the test): pas rule, stimulus, step, duration
G0_S_CM2 = 1e-4
RULE_UM = 200.0
E_PAS_MV = -70.0
RA_OHM_CM = 150.0
STIM = {"delay": 1.0, "dur": 5.0, "amp": 0.5}
DT_MS = 0.025
T_STOP_MS = 10.0
#: printed before the JSON (Import3d prints notices such as removed sections to stdout)
MARK = "--- json ---"


def _instantiate(h, path: str) -> None:
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    if path.lower().endswith(".asc"):
        reader = h.Import3d_Neurolucida3()
    else:
        reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(path)
    gui = h.Import3d_GUI(reader, False)
    gui.instantiate(None)


def passive(path: str, sites: list) -> None:
    from neuron import h

    _instantiate(h, path)
    h.load_file("stdrun.hoc")
    for s in h.allsec():
        s.Ra, s.cm = RA_OHM_CM, 1.0
    for s in h.allsec():
        s.nseg = int((s.L / (0.1 * h.lambda_f(100, sec=s)) + 0.9) / 2) * 2 + 1
    origin = h.soma[0](0.5)
    for s in h.allsec():
        s.insert("pas")
        for seg in s:
            seg.pas.g = G0_S_CM2 * (1 + h.distance(origin, seg) / RULE_UM)
            seg.pas.e = E_PAS_MV
    stim = h.IClamp(origin)
    stim.delay, stim.dur, stim.amp = STIM["delay"], STIM["dur"], STIM["amp"]
    byname = {s.name(): s for s in h.allsec()}
    vecs = [h.Vector().record(byname[n](x)._ref_v) for n, x in sites]
    h.dt, h.secondorder, h.celsius = DT_MS, 0, 6.3
    h.finitialize(E_PAS_MV)
    h.continuerun(T_STOP_MS)
    print(MARK)
    json.dump([list(v) for v in vecs], sys.stdout)


def main(path: str, nseg: int) -> None:
    from neuron import h

    _instantiate(h, path)
    secs = list(h.allsec())
    for s in secs:
        s.nseg = nseg
    origin = h.soma[0](0.5)
    out = []
    for s in secs:
        ps = s.parentseg()
        segs = list(s)
        out.append(
            {
                "name": s.name(),
                "parent": ps.sec.name() if ps is not None else None,
                "parent_x": ps.x if ps is not None else None,
                "L": s.L,
                "points": [[s.x3d(i), s.y3d(i), s.z3d(i), s.diam3d(i)] for i in range(s.n3d())],
                "area": [seg.area() for seg in segs],
                "diam": [seg.diam for seg in segs],
                "distance": [h.distance(origin, seg) for seg in segs]
                + [h.distance(origin, s(0)), h.distance(origin, s(1))],
            }
        )
    for rec, s in zip(out, secs):
        h.lambda_f(100, sec=s)
        rec["dlambda_nseg"] = int((s.L / (0.1 * h.lambda_f(100, sec=s)) + 0.9) / 2) * 2 + 1
    print(MARK)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--passive":
        passive(sys.argv[1], json.loads(sys.argv[3]))
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
