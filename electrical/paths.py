"""Path distance along a cell, parameters by distance, section lists, d-lambda.

NEURON semantics:

- :func:`distance` is ``h.distance(origin, loc)``: the path length [um] along
  the tree between the two locations, each first moved to its node (x = 0
  and x = 1 stay, any other x goes to the centre of the segment that holds
  it), a child's 0 end being at its parent's connection node.
- :func:`set_nseg_dlambda` is NEURON's ``fixnseg``:
  ``nseg = int((L/(d_lambda*lambda_f(freq)) + 0.9)/2)*2 + 1`` with
  ``lambda_f`` from the 3-D points (stdlib.hoc).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

from .errors import LocationError, ModelError, TopologyError, did_you_mean

__all__ = [
    "default_origin",
    "distance",
    "dlambda_nseg",
    "lambda_f",
    "sections_in",
    "set_by_distance",
    "set_nseg_dlambda",
]


def _node_x(sec, x: float) -> float:
    """The x of the node that NEURON uses for ``sec(x)`` (``node_exact``)."""
    if x <= 0.0 or x >= 1.0:
        return x
    n = sec.nseg
    i = int(n * x)
    if i == n:
        i = n - 1
    return (i + 0.5) / n


def _chain(sec):
    """[(section, arc position [um] where the path enters it)] from ``sec`` to the root."""
    out = []
    while sec.parent is not None:
        out.append(sec)
        sec = sec.parent
    out.append(sec)
    return out


def default_origin(cell):
    """soma(0.5): the section ``soma[0]`` (Import3d) or ``soma``."""
    for name in ("soma[0]", "soma"):
        if name in cell:
            return cell[name](0.5)
    raise LookupError(
        f"cell '{cell.name}' has no section 'soma[0]' or 'soma'; "
        "give the origin, e.g. cell.distance(loc, origin=cell['dend[0]'](0))"
    )


def distance(cell, loc, origin=None) -> float:
    """Path distance [um] from ``origin`` (default soma(0.5)) to ``loc``, as ``h.distance``."""
    from .morphology import Location

    if origin is None:
        origin = default_origin(cell)
    for what, lo in (("loc", loc), ("origin", origin)):
        if not isinstance(lo, Location):
            raise LocationError(f"cell.distance: {what} must be a location sec(x), got {lo!r}")
        if lo.section.cell is not cell:
            raise TopologyError(f"cell.distance: {lo} is not a location of cell '{cell.name}'")
    # position of each location as (section, arc position), walking up to the root
    pos_a = {}
    sec, s = origin.section, _node_x(origin.section, origin.x) * origin.section.L
    acc = 0.0
    while True:
        pos_a[id(sec)] = (s, acc)
        if sec.parent is None:
            break
        acc += s
        s = _node_x(sec.parent, sec.parent_x) * sec.parent.L
        sec = sec.parent
    sec, s = loc.section, _node_x(loc.section, loc.x) * loc.section.L
    acc = 0.0
    while id(sec) not in pos_a:
        if sec.parent is None:  # pragma: no cover - same cell has one root
            raise TopologyError(f"cell.distance: {loc} and {origin} are not connected")
        acc += s
        s = _node_x(sec.parent, sec.parent_x) * sec.parent.L
        sec = sec.parent
    s_a, acc_a = pos_a[id(sec)]
    return acc + acc_a + abs(s - s_a)


def _two_args(f: Callable) -> bool:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return False
    params = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values()):
        return True
    return len(params) >= 2


def set_by_distance(cell, pattern: str, path: str, f, origin=None) -> int:
    """Set ``"mech.param"`` on every segment of the sections matching ``pattern``.

    ``f(distance_um)`` or ``f(distance_um, section_name)`` gives the value at
    each segment centre; a number sets that value everywhere.  ``pattern`` is
    a glob on section names or the name of a section list.  Returns the number
    of segments set.
    """
    secs = _select(cell, pattern)
    if origin is None:
        origin = default_origin(cell)
    two = callable(f) and _two_args(f)
    n = 0
    for sec in secs:
        vals = []
        for seg in sec.segments():
            if not callable(f):
                vals.append(f)
                continue
            dist = distance(cell, seg, origin)
            try:
                v = f(dist, sec.name) if two else f(dist)
            except Exception as exc:  # noqa: BLE001  (any error of the user's rule: say where)
                raise ModelError(
                    f"cell.set_by_distance('{pattern}', '{path}'): the rule raised "
                    f"{type(exc).__name__}: {exc} at {seg} (distance {dist:g} um)"
                ) from None
            vals.append(v)
        sec.set(path, vals)
        n += len(vals)
    return n


def _select(cell, pattern: str):
    lists = getattr(cell, "_section_lists", {})
    if pattern in lists:
        return [cell[n] for n in lists[pattern]]
    secs = cell.select(pattern)
    if not secs:
        raise LookupError(
            f"cell '{cell.name}': no section or section list matches '{pattern}'"
            f"{did_you_mean(pattern, [*cell._sections, *lists])}"
        )
    return secs


def sections_in(cell, list_name: str):
    """The sections of a named list (``"apical"``, ``"somatic"``, ``"dendritic_5"``, ``"all"``)."""
    lists = getattr(cell, "_section_lists", None)
    if lists is None:
        if list_name == "all":
            return cell.sections
        raise LookupError(
            f"cell '{cell.name}' has no section lists (only cells read from a morphology "
            "file have them); use cell.select('dend*')"
        )
    if list_name not in lists:
        raise LookupError(
            f"cell '{cell.name}' has no section list '{list_name}'"
            f"{did_you_mean(list_name, lists)}; lists: {sorted(lists)}"
        )
    return [cell[n] for n in lists[list_name]]


def lambda_f(sec, freq_hz: float) -> float:
    """AC length constant [um] at ``freq_hz`` [Hz], as NEURON's stdlib ``lambda_f``."""
    if sec.cm == 0:
        return 1e10
    pts = sec.points
    if pts is None:
        return 1e5 * math.sqrt(sec.diam / (4 * math.pi * freq_hz * sec.Ra * sec.cm))
    # arc3d as NEURON: single-precision coordinate differences, double sums
    p32 = pts.astype("float32")
    x1 = 0.0
    d1 = float(pts[0, 3])
    lam = 0.0
    for i in range(1, len(pts)):
        if d1 == 0:
            raise ModelError(
                f"{sec.name}: 3-D point {i - 1} has zero diameter; lambda_f is undefined"
            )
        dx, dy, dz = (float(v) for v in (p32[i, :3] - p32[i - 1, :3]))
        x2 = x1 + math.sqrt(dx * dx + dy * dy + dz * dz)
        d2 = float(pts[i, 3])
        lam += (x2 - x1) / math.sqrt(d1 + d2)
        x1, d1 = x2, d2
    lam *= math.sqrt(2) * 1e-5 * math.sqrt(4 * math.pi * freq_hz * sec.Ra * sec.cm)
    return sec.L / lam


def dlambda_nseg(sec, freq_hz: float = 100.0, d_lambda: float = 0.1) -> int:
    """nseg of NEURON's d-lambda rule for one section."""
    return int((sec.L / (d_lambda * lambda_f(sec, freq_hz)) + 0.9) / 2) * 2 + 1


def set_nseg_dlambda(cell, freq_hz: float = 100.0, d_lambda: float = 0.1, pattern: str = "*"):
    """Set nseg of every matching section by the d-lambda rule; returns {name: nseg}."""
    for what, v in (("freq_hz", freq_hz), ("d_lambda", d_lambda)):
        try:
            ok = math.isfinite(float(v)) and float(v) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ModelError(f"cell.set_nseg_dlambda: {what} = {v!r} must be a positive number")
    out = {}
    for sec in _select(cell, pattern) if pattern != "*" else cell.sections:
        sec.nseg = dlambda_nseg(sec, float(freq_hz), float(d_lambda))
        out[sec.name] = sec.nseg
    return out
