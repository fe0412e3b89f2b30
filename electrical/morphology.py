"""Model description: sections, locations, cells (NEURON semantics).

A :class:`Section` is an unbranched cable of length ``L`` [um] and diameter
``diam`` [um] (or a list of 3-D points), cut into ``nseg`` segments.  A
child's 0 end connects to its parent at ``x`` in [0, 1].  Density mechanisms
are inserted on sections (values per section, or per segment); point
processes are placed at a :class:`Location` ``sec(x)``.

>>> cell = Cell("demo")
>>> soma = cell.section("soma", L=20, diam=20)
>>> dend = cell.section("dend", L=200, diam=1, nseg=5, parent=soma(1.0))
>>> _ = dend.insert("pas", g=1e-4)
>>> dend(0.5)
<Location section=dend x=0.5>
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .errors import (
    LocationError,
    ModelError,
    TopologyError,
    UnknownParameterError,
    did_you_mean,
)
from .mechanisms.base import ION_TABLE, Mechanism, default_catalogue, ion_of_variable

__all__ = ["Section", "Location", "Cell", "PointInstance", "ParamEdits"]


def _positive(value: Any, what: str, unit: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} = {value!r} is not a number [{unit}]") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        need = "non-negative" if allow_zero else "positive"
        raise ModelError(f"{what} = {value!r} {unit}: must be a finite {need} number")
    return v


class Location:
    """A point ``section(x)`` with x in [0, 1]."""

    __slots__ = ("section", "x")

    def __init__(self, section: Section, x: float) -> None:
        try:
            xf = float(x)
        except (TypeError, ValueError):
            raise LocationError(f"{section.name}({x!r}): x must be a number in [0, 1]") from None
        if not (0.0 <= xf <= 1.0):
            raise LocationError(
                f"{section.name}({x}): x = {x} is outside [0, 1]; 0 is the section's "
                "connection end, 1 its far end"
            )
        self.section = section
        self.x = xf

    def __repr__(self) -> str:
        return f"<Location section={self.section.name} x={self.x:g}>"

    def __str__(self) -> str:
        return f"{self.section.name}({self.x:g})"

    def segment_index(self) -> int:
        """Index of the segment that holds x (NEURON's ``node_index``)."""
        n = self.section.nseg
        i = int(n * self.x)
        return n - 1 if i == n else i


class ParamEdits:
    """The point-process parameter changes of one cell, in order (a journal).

    A cell is a description: it does not know the simulations built from it.
    :meth:`PointInstance.set_param` changes the description and appends here;
    every :class:`~electrical.Simulation` of the cell applies the entries made
    since it last looked (before its next step), so several simulations of one
    cell all see a change.
    """

    def __init__(self) -> None:
        self._log: list[tuple[PointInstance, str, float]] = []

    def append(self, inst: PointInstance, name: str, value: float) -> None:
        self._log.append((inst, name, value))

    def __len__(self) -> int:
        return len(self._log)

    def since(self, pos: int) -> list[tuple[PointInstance, str, float]]:
        """The changes after the first ``pos`` ones: (instance, parameter, value)."""
        return self._log[pos:]


class PointInstance:
    """A point process placed at a location; ``name`` addresses it (``"IClamp[0]"``)."""

    def __init__(self, spec: Mechanism, location: Location, name: str) -> None:
        self.spec = spec
        self.mech = type(spec)
        self.location = location
        self.name = name

    def __repr__(self) -> str:
        return f"<PointInstance name={self.name} mechanism={self.mech.name} at={self.location}>"

    def param(self, name: str) -> float:
        """Current value of a parameter (the description's; simulations apply every change)."""
        if name not in self.mech.params:
            raise UnknownParameterError(
                f"{self.name}: no parameter '{name}'{did_you_mean(name, self.mech.params)}"
            )
        return self.spec.values.get(name, self.mech.params[name].default)

    def set_param(self, name: str, value: float) -> None:
        """Set a parameter; simulations of the cell apply it from their next step."""
        value = self.mech.check_values({name: value})[name]
        self.spec.values[name] = value
        self.location.section.cell.param_edits.append(self, name, value)


class Section:
    """An unbranched cable.

    Parameters
    ----------
    name : str
        Unique name within its cell (``"dend[3]"``).
    L : float
        Length [um] (ignored when ``points`` are given: the arc length is used).
    diam : float
        Diameter [um] (ignored when ``points`` are given).
    nseg : int
        Number of segments (compartments).
    Ra : float
        Axial resistivity [ohm*cm].
    cm : float
        Specific membrane capacitance [uF/cm2].
    points : array-like of shape (n, 4), optional
        3-D points (x, y, z, diam) [um]; areas and resistances are then
        integrated over the piecewise-linear diameter as NEURON does.
    """

    def __init__(
        self,
        name: str,
        L: float = 100.0,
        diam: float = 500.0,
        nseg: int = 1,
        Ra: float = 35.4,
        cm: float = 1.0,
        points: Any = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ModelError(f"section name {name!r} must be a non-empty string")
        self.name = name
        self.cell: Cell | None = None
        self.parent: Section | None = None
        self.parent_x: float = 1.0
        self.children: list[Section] = []
        self.mechs: dict[str, dict[str, np.ndarray]] = {}
        self.ion_values: dict[str, float] = {}
        self._classes: dict[str, type[Mechanism]] = {}
        self._points: np.ndarray | None = None
        self._nseg = 1
        self.nseg = nseg
        self.Ra = Ra
        self.cm = cm
        if points is not None:
            self.points = points
        else:
            self.L = L
            self.diam = diam

    # -- geometry with validation ------------------------------------------------
    @property
    def nseg(self) -> int:
        return self._nseg

    @nseg.setter
    def nseg(self, n: Any) -> None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ModelError(f"{self.name}.nseg = {n!r}: must be a positive integer")
        old = self._nseg
        self._nseg = int(n)
        for values in self.mechs.values():  # keep per-section values, as NEURON does
            for k, arr in values.items():
                if old != n:
                    values[k] = np.full(self._nseg, arr[0])

    @property
    def L(self) -> float:
        return self._L

    @L.setter
    def L(self, value: float) -> None:
        self._L = _positive(value, f"{self.name}.L", "um")

    @property
    def diam(self) -> float:
        return self._diam

    @diam.setter
    def diam(self, value: float) -> None:
        self._diam = _positive(value, f"{self.name}.diam", "um")
        self._points = None

    @property
    def Ra(self) -> float:
        return self._Ra

    @Ra.setter
    def Ra(self, value: float) -> None:
        self._Ra = _positive(value, f"{self.name}.Ra", "ohm*cm")

    @property
    def cm(self) -> float:
        return self._cm

    @cm.setter
    def cm(self, value: float) -> None:
        self._cm = _positive(value, f"{self.name}.cm", "uF/cm2", allow_zero=True)

    @property
    def points(self) -> np.ndarray | None:
        """3-D points (x, y, z, diam) [um], or None for a cylinder."""
        return self._points

    @points.setter
    def points(self, pts: Any) -> None:
        arr = np.asarray(pts, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] < 2:
            raise ModelError(
                f"{self.name}.points: expected an (n >= 2, 4) array of x, y, z, diam [um], "
                f"got shape {arr.shape}"
            )
        if np.any(arr[:, 3] < 0) or not np.all(np.isfinite(arr)):
            raise ModelError(f"{self.name}.points: diameters must be finite and >= 0")
        # NEURON keeps 3-D points in single precision (its Pt3d struct holds floats);
        # rounding them the same way makes areas and resistances identical.
        arr = arr.astype(np.float32).astype(np.float64)
        arc = np.concatenate(
            [[0.0], np.cumsum(np.linalg.norm(np.diff(arr[:, :3], axis=0), axis=1))]
        )
        if arc[-1] <= 0:
            raise ModelError(f"{self.name}.points: the points span zero length")
        self._points = arr
        self._L = float(arc[-1])
        self._diam = float(np.mean(arr[:, 3]))

    # -- topology ------------------------------------------------------------
    def connect(self, parent: Section | Location, x: float = 1.0) -> Section:
        """Connect this section's 0 end to ``parent(x)``; returns self."""
        if isinstance(parent, Location):
            parent, x = parent.section, parent.x
        if not isinstance(parent, Section):
            raise TopologyError(f"{self.name}.connect: parent must be a Section, got {parent!r}")
        Location(parent, x)  # validates x
        if self.parent is not None:
            raise TopologyError(
                f"section '{self.name}' is already connected to '{self.parent.name}'"
                f"({self.parent_x:g}); a section has one parent (disconnect it first)"
            )
        anc: Section | None = parent
        while anc is not None:
            if anc is self:
                raise TopologyError(
                    f"connecting '{self.name}' to '{parent.name}' would make a loop"
                )
            anc = anc.parent
        if parent.cell is not None and self.cell is not None and parent.cell is not self.cell:
            raise TopologyError(
                f"'{self.name}' (cell {self.cell.name}) cannot connect to '{parent.name}' "
                f"(cell {parent.cell.name})"
            )
        self.parent, self.parent_x = parent, float(x)
        parent.children.append(self)
        if parent.cell is not None and self.cell is None:
            parent.cell.add(self)
        return self

    def disconnect(self) -> None:
        """Detach this section from its parent."""
        if self.parent is not None:
            self.parent.children.remove(self)
            self.parent = None

    def __call__(self, x: float) -> Location:
        return Location(self, x)

    def __repr__(self) -> str:
        return f"<Section name={self.name} L={self.L:g} diam={self.diam:g} nseg={self.nseg}>"

    def segments(self) -> Iterator[Location]:
        """Locations of the segment centres."""
        for i in range(self.nseg):
            yield Location(self, (i + 0.5) / self.nseg)

    # -- mechanisms ------------------------------------------------------------
    def insert(self, mech: str | Mechanism | type[Mechanism], **values: float) -> Section:
        """Insert a density mechanism with per-section values; returns self."""
        if isinstance(mech, Mechanism):
            cls, values = type(mech), {**mech.values, **values}
        elif isinstance(mech, type) and issubclass(mech, Mechanism):
            cls = mech
        else:
            cls = default_catalogue[mech]
        if cls.is_point:
            raise ModelError(
                f"{self.name}.insert('{cls.name}'): '{cls.name}' is a point process; "
                f"place it with cell.place({self.name}(x), ...)"
            )
        checked = cls.check_values(values)
        slot = self.mechs.setdefault(cls.name, {})
        for p, spec in cls.params.items():
            if p in checked:
                slot[p] = np.full(self.nseg, checked[p])
            elif p not in slot:
                slot[p] = np.full(self.nseg, spec.default)
        self._classes[cls.name] = cls
        return self

    def mechanism_class(self, name: str) -> type[Mechanism]:
        return self._classes[name]

    def has(self, mech: str) -> bool:
        return mech in self.mechs

    def set(self, path: str, value: float | Iterable[float] | Callable[[float], float]) -> None:
        """Set ``"mech.param"`` on every segment: a number, nseg numbers, or f(x).

        Ion settings use the ion variable name: ``sec.set("ek", -90)``.
        """
        if "." not in path:
            ion, kind = ion_of_variable(path)  # raises with did-you-mean
            unit = "mV" if kind == "e" else "mM"
            try:
                val = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ModelError(f"{self.name}.{path} = {value!r} is not a number [{unit}]") from None
            if not math.isfinite(val) or (kind in ("i", "o") and val < 0):
                raise ModelError(f"{self.name}.{path} = {value!r} {unit} is not a valid value")
            self.ion_values[path] = val
            return
        mech, _, param = path.partition(".")
        if mech not in self.mechs:
            raise UnknownParameterError(
                f"{self.name}: mechanism '{mech}' is not inserted here"
                f"{did_you_mean(mech, self.mechs)}; inserted: {sorted(self.mechs)}"
            )
        cls = self.mechanism_class(mech)
        if param not in cls.params:
            raise UnknownParameterError(
                f"{self.name}.{mech}: no parameter '{param}'{did_you_mean(param, cls.params)}"
            )
        xs = [(i + 0.5) / self.nseg for i in range(self.nseg)]
        if callable(value):
            vals = [value(x) for x in xs]
        elif np.ndim(value) == 0:
            vals = [value] * self.nseg
        else:
            vals = list(value)  # type: ignore[arg-type]
            if len(vals) != self.nseg:
                raise ModelError(
                    f"{self.name}.{path}: got {len(vals)} values for nseg = {self.nseg}"
                )
        spec = cls.params[param]
        self.mechs[mech][param] = np.array(
            [spec.check(v, f"{self.name}({x:g}).{path}") for v, x in zip(vals, xs)]
        )

    def get(self, path: str) -> np.ndarray:
        """Per-segment values of ``"mech.param"``."""
        mech, _, param = path.partition(".")
        if mech not in self.mechs or param not in self.mechs[mech]:
            raise UnknownParameterError(f"{self.name}: no '{path}' here")
        return self.mechs[mech][param].copy()

    def ion_value(self, var: str) -> float:
        """Reversal potential or concentration of an ion in this section (default if unset)."""
        if var in self.ion_values:
            return self.ion_values[var]
        ion, kind = ion_of_variable(var)
        spec = ION_TABLE[ion]
        return {"e": spec.e_mV, "i": spec.ci_mM, "o": spec.co_mM, "cur": 0.0}[kind]


class Cell:
    """A tree of sections (one root).  ``cell["soma"]`` returns a section."""

    def __init__(self, name: str = "cell") -> None:
        self.name = name
        self._sections: dict[str, Section] = {}
        self.point_processes: list[PointInstance] = []
        self._counts: dict[str, int] = {}
        #: changes of point-process parameters, applied by the simulations of this cell
        self.param_edits = ParamEdits()

    def __repr__(self) -> str:
        return (
            f"<Cell name={self.name} n_sections={len(self._sections)} "
            f"n_segments={sum(s.nseg for s in self._sections.values())}>"
        )

    @property
    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def __getitem__(self, name: str) -> Section:
        try:
            return self._sections[name]
        except KeyError:
            raise LookupError(
                f"cell '{self.name}' has no section '{name}'{did_you_mean(name, self._sections)}"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self._sections

    def add(self, sec: Section) -> Section:
        """Add an existing section (and nothing else) to this cell."""
        if sec.name in self._sections and self._sections[sec.name] is not sec:
            raise ModelError(f"cell '{self.name}' already has a section named '{sec.name}'")
        if sec.cell is not None and sec.cell is not self:
            raise TopologyError(f"section '{sec.name}' already belongs to cell '{sec.cell.name}'")
        sec.cell = self
        self._sections[sec.name] = sec
        for child in sec.children:
            if child.cell is None:
                self.add(child)
        return sec

    def section(
        self, name: str, *, parent: Section | Location | None = None, **geometry
    ) -> Section:
        """Create a section in this cell, optionally connected to ``parent`` (a location)."""
        sec = self.add(Section(name, **geometry))
        if parent is not None:
            sec.connect(parent)
        return sec

    def select(self, pattern: str) -> list[Section]:
        """Sections whose names match a glob (``"dend*"``, ``"spine*_head"``); [] allowed."""
        if pattern in self._sections:
            return [self._sections[pattern]]
        return [s for n, s in self._sections.items() if fnmatch.fnmatchcase(n, pattern)]

    def paint(
        self, pattern: str, mech: str | Mechanism | type[Mechanism], **values
    ) -> list[Section]:
        """Insert a density mechanism on every section matching ``pattern``."""
        secs = self.select(pattern)
        if not secs:
            raise LookupError(
                f"cell '{self.name}': no section matches '{pattern}'"
                f"{did_you_mean(pattern, self._sections)}"
            )
        for s in secs:
            s.insert(mech, **values)
        return secs

    def place(
        self,
        where: Location | Section | str,
        x_or_spec: Any = None,
        spec: Mechanism | None = None,
        name: str | None = None,
        **values: float,
    ) -> PointInstance:
        """Place a point process: ``place(sec(x), IClamp(...))`` or ``place("soma", 0.5, spec)``.

        ``spec`` may also be a mechanism name with ``values`` as keywords.
        """
        if isinstance(where, Location):
            loc, spec = where, x_or_spec if spec is None else spec
        else:
            sec = self[where] if isinstance(where, str) else where
            loc = Location(sec, 0.5 if x_or_spec is None else x_or_spec)
        if loc.section.cell is not self:
            raise TopologyError(f"{loc} is not a location of cell '{self.name}'")
        if isinstance(spec, str):
            spec = default_catalogue[spec](**values)
        elif isinstance(spec, type) and issubclass(spec, Mechanism):
            spec = spec(**values)
        if not isinstance(spec, Mechanism) or not spec.is_point:
            raise ModelError(f"cell.place: {spec!r} is not a point-process specification")
        k = self._counts.get(spec.name, 0)
        self._counts[spec.name] = k + 1
        inst = PointInstance(spec, loc, name or f"{spec.name}[{k}]")
        if any(p.name == inst.name for p in self.point_processes):
            raise ModelError(f"cell '{self.name}' already has a point process named '{inst.name}'")
        self.point_processes.append(inst)
        return inst

    def root(self) -> Section:
        """The root section (the only one without a parent)."""
        roots = [s for s in self._sections.values() if s.parent is None]
        if len(roots) != 1:
            names = [s.name for s in roots]
            raise TopologyError(
                f"cell '{self.name}' must have exactly one root section, found {len(roots)}: "
                f"{names[:5]}; connect the others"
            )
        return roots[0]

    # -- morphology files and path distance (electrical.morphology_io, electrical.paths) --
    @classmethod
    def from_morphology(cls, path: Any, name: str | None = None, **options: Any) -> Cell:
        """A cell from an SWC or Neurolucida ASCII file, built as NEURON's Import3d builds it.

        See :func:`electrical.morphology_io.load_morphology` for ``options``.
        """
        from .morphology_io import load_morphology

        return load_morphology(path, name, **options)

    def distance(self, loc: Location, origin: Location | None = None) -> float:
        """Path distance [um] from ``origin`` (default soma(0.5)) to ``loc``, as ``h.distance``."""
        from .paths import distance

        return distance(self, loc, origin)

    def set_by_distance(
        self, pattern: str, path: str, f: Any, origin: Location | None = None
    ) -> int:
        """Set ``"mech.param"`` per segment from ``f(distance_um[, section_name])``."""
        from .paths import set_by_distance

        return set_by_distance(self, pattern, path, f, origin)

    def sections_in(self, list_name: str) -> list[Section]:
        """Sections of a named list of a morphology file (``"apical"``, ``"dendritic_5"``)."""
        from .paths import sections_in

        return sections_in(self, list_name)

    def set_nseg_dlambda(
        self, freq_hz: float = 100.0, d_lambda: float = 0.1, pattern: str = "*"
    ) -> dict[str, int]:
        """nseg of every (matching) section by NEURON's d-lambda rule (``fixnseg``)."""
        from .paths import set_nseg_dlambda

        return set_nseg_dlambda(self, freq_hz, d_lambda, pattern)
