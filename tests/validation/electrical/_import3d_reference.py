"""NEURON Import3d as the reference: run in a subprocess, print JSON (used by the tests).

``python _import3d_reference.py FILE`` imports FILE with NEURON's
Import3d_SWC_read (.swc) or Import3d_Neurolucida3 (.asc) and
Import3d_GUI(…, False).instantiate(None), then prints, per
section: name, parent name and x, L, nseg, 3-D points, segment areas and
diameters, h.distance from soma[0](0.5) at every segment centre and at both ends,
and the d-lambda nseg (fixnseg, 100 Hz, d_lambda 0.1) after the others are read.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")


def main(path: str, nseg: int) -> None:
    from neuron import h

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
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
