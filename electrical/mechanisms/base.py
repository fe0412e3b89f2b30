"""The mechanism plug-in API: parameters, kernels, ions and the catalogue.

A mechanism is a class.  It declares its parameters, states, the ion
variables it reads, the currents it writes and, for concentration
mechanisms, the ion concentrations it writes.  Its behaviour is given by up
to four *scalar* kernels, numba ``@njit(cache=True)`` functions evaluated for
one segment (or one point-process instance).  The engine generates, once per
model, one compiled step function that loops over the segments of each
mechanism and calls these kernels (see :mod:`electrical.codegen`), so a
mechanism costs no Python call per step.

Kernel signatures (argument *names* are checked when the class is registered):

``init(t, v, <reads>, <params>, aux, celsius)``
    -> tuple of the initial states, then the initial written concentrations.
``current(t, v, <states>, <reads>, <params>, aux, celsius)``
    -> tuple of the currents, in the order of ``currents``.  Density
    mechanisms return mA/cm2 (outward positive), point processes nA (outward
    positive, or inward positive when ``electrode = True``).  The engine
    obtains di/dv numerically with a 0.001 mV step, exactly as NEURON does.
``advance(t, v, <states>, <reads>, <params>, aux, celsius, dt)``
    -> tuple of the new states, then the new written concentrations.  Called
    after the voltage update with v = v(t + dt) (NEURON's staggered scheme).
``receive(t, weight, <states>, <params>, aux)`` (point processes only)
    -> tuple of the new states when a network event of that weight arrives.

``aux`` is a float64 array that belongs to the mechanism (rate tables,
played vectors); :meth:`Mechanism.make_aux` builds it at compile time.

Vectorised ``advance``
    The step runs each ``advance`` kernel over chunks of instances in a loop
    that LLVM vectorises (:mod:`electrical.codegen`).  For that the kernel is
    compiled again inlined into the loop, with numba's ``error_model='numpy'``
    (a division by zero gives inf or nan, as NEURON's C does, not an
    exception), and ``aux`` is passed as a pointer to its data: index it
    (``aux[k]``) and do nothing else with it there.  The loop stays scalar,
    and correct, when the kernel calls a function that is not
    ``inline="always"`` on every instance, calls libm's ``exp`` (a vectorising
    kernel uses :func:`~electrical.mechanisms.numerics.exp_euler_gate_vec` or
    :func:`~electrical.mechanisms.numerics.vexp`, within 1 ulp of it; a scalar
    one is faster with libm's), or branches per instance on a global with a
    call in one arm (``usetable``: give that path's kernel with
    :meth:`Mechanism.kernels`, as ``hh`` does).  Point processes that write
    ion concentrations keep the sequential loop.

Block kernel (optional, density mechanisms)
    ``advance_block(nodes, t, v, <states>, <reads>, <params>, aux, celsius, dt, work)``
    replaces the per-instance ``advance`` loop: the engine calls it once per
    step with whole arrays, for mechanisms whose update does not vectorise
    one instance at a time (e.g. Newton iterations with a per-instance
    number of iterations, :mod:`electrical.mechanisms.msn.catrack`).
    ``nodes[j]`` is the node of instance j; states and params are arrays per
    instance, updated in place; ``v`` and the reads are the model's arrays
    per node (index them with ``nodes[j]``); every written ion concentration
    must also be read, and is written in place at ``nodes[j]``; ``work`` is a
    float64 scratch array of ``block_work`` values per instance.  The scalar
    ``advance`` stays the reference: both must give the same numbers.

Geometry parameters (density mechanisms)
    ``geometry = ("diam",)`` names parameters that the engine fills, per
    segment and at compile time, from the morphology instead of from the
    user (NEURON's ``diam`` read by a mechanism): ``"diam"`` is the segment
    diameter [um].  They are passed to the kernels like any parameter;
    values given when painting are replaced, and ``Simulation.set`` refuses them.

Longitudinal diffusion (density mechanisms; NEURON's ``LONGITUDINAL_DIFFUSION``)
    ``diffusion = {"ca0": "DCa", ...}`` maps a state (a concentration, mM) to
    the parameter that holds its diffusion coefficient [um2/ms].  Once per
    step, after every ``advance`` kernel (item 4 above) and before recording,
    the engine takes one backward-Euler step of

        vol_a (c_a' - c_a)/dt = sum_b Dab (c_b' - c_a')/dist_ab

    over the segments that carry the mechanism, b running over the adjacent
    segments (parent and children in the cell tree) that also carry it;
    vol_a = A_a dx_a, Dab = (D_a A_a + D_b A_b)/2 and dist_ab = (dx_a + dx_b)/2,
    with A = pi diam^2/4 the cross-section [um2] and dx = L/nseg [um] of the
    segment.  The state is assumed to fill a fixed fraction of the
    cross-section (NEURON's ``D*diam*diam*vrat`` flux with a ``diam*diam*vrat``
    compartment): that fraction cancels.  The solve is a tree (Hines-like)
    elimination, O(n); it conserves sum(vol*c) to round-off.  It changes
    only the mechanism's own states: ion concentrations written by
    ``advance`` (e.g. ``cai``) keep their post-``advance`` values until the
    next ``advance`` (NEURON records and uses them so).

Example
-------
>>> import math
>>> from numba import njit
>>> class Leak(DensityMechanism):
...     '''A second passive leak, for the doctest.'''
...     name = "leak_doc"
...     params = {"g": Param(1e-4, "S/cm2", (0, math.inf)), "e": Param(-65.0, "mV")}
...     currents = {"i": None}
...     current = staticmethod(njit(lambda t, v, g, e, aux, celsius: (g * (v - e),)))
>>> cat = Catalogue("doc"); _ = cat.register(Leak); cat["leak_doc"].params["g"].unit
'S/cm2'
"""

from __future__ import annotations

import importlib.metadata
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ModelError, UnknownMechanismError, UnknownParameterError, did_you_mean

__all__ = [
    "Param",
    "Ion",
    "Mechanism",
    "DensityMechanism",
    "PointProcess",
    "Catalogue",
    "default_catalogue",
    "register",
    "define_ion",
    "ION_TABLE",
    "GEOMETRY_PARAMS",
]


@dataclass(frozen=True)
class Param:
    """A parameter (or state) of a mechanism.

    Parameters
    ----------
    default : float
        Default value, in ``unit``.
    unit : str
        Unit string (NEURON units: mV, ms, S/cm2, mA/cm2, nA, uS, mM, ...).
    bounds : tuple of float
        Inclusive lower and upper bound; values outside are rejected when set.
    doc : str
        One line of documentation.
    """

    default: float
    unit: str
    bounds: tuple[float, float] = (-math.inf, math.inf)
    doc: str = ""

    def check(self, value: float, where: str) -> float:
        """Return ``value`` as float, or raise :class:`ModelError` naming ``where``."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ModelError(f"{where} = {value!r} is not a number [{self.unit}]") from None
        lo, hi = self.bounds
        if not (lo <= value <= hi) or math.isnan(value):
            raise ModelError(
                f"{where} = {value} {self.unit} is outside its bounds [{lo}, {hi}] {self.unit}"
            )
        return value


# ----------------------------------------------------------------------------- ions


@dataclass(frozen=True)
class Ion:
    """An ion species: valence and the default concentrations and reversal potential.

    The defaults are NEURON's (``nai0_na_ion`` etc.); ``e_mV`` is used as the
    reversal potential unless a section sets its own.
    """

    name: str
    valence: int
    ci_mM: float
    co_mM: float
    e_mV: float

    def variables(self) -> tuple[str, str, str, str]:
        """Names of the ion variables: reversal, inside, outside, current."""
        return (f"e{self.name}", f"{self.name}i", f"{self.name}o", f"i{self.name}")


#: Known ions.  NEURON's defaults: na 10/140 mM, ena 50 mV; k 54.4/2.5 mM, ek -77 mV;
#: ca 5e-5/2 mM with eca from the Nernst equation at 6.3 degC (132.4579 mV).
ION_TABLE: dict[str, Ion] = {
    "na": Ion("na", 1, 10.0, 140.0, 50.0),
    "k": Ion("k", 1, 54.4, 2.5, -77.0),
    "ca": Ion("ca", 2, 5e-5, 2.0, 132.4579341637009),
}


def define_ion(name: str, valence: int, ci_mM: float, co_mM: float, e_mV: float = 0.0) -> Ion:
    """Declare a new ion (e.g. the MSN's second calcium pool ``cal``)."""
    if name in ION_TABLE and ION_TABLE[name] != Ion(name, valence, ci_mM, co_mM, e_mV):
        raise ModelError(f"ion '{name}' is already defined as {ION_TABLE[name]}")
    ION_TABLE[name] = Ion(name, int(valence), float(ci_mM), float(co_mM), float(e_mV))
    return ION_TABLE[name]


def ion_of_variable(var: str) -> tuple[str, str]:
    """Split an ion variable name into (ion, kind) with kind in {'e', 'i', 'o', 'cur'}."""
    for ion in ION_TABLE:
        e, ci, co, cur = ION_TABLE[ion].variables()
        if var == e:
            return ion, "e"
        if var == ci:
            return ion, "i"
        if var == co:
            return ion, "o"
        if var == cur:
            return ion, "cur"
    known = [v for ion in ION_TABLE.values() for v in ion.variables()]
    raise UnknownParameterError(
        f"'{var}' is not an ion variable of any known ion{did_you_mean(var, known)}; "
        "declare new ions with electrical.define_ion()"
    )


# ----------------------------------------------------------------------------- mechanisms

#: Parameters a density mechanism may take from the morphology: name -> unit.
GEOMETRY_PARAMS: dict[str, str] = {"diam": "um"}


def _no_aux(cls, celsius: float, globals_: Mapping[str, float], instances: list) -> np.ndarray:
    return np.zeros(1)


class Mechanism:
    """Common base of density mechanisms and point processes.

    Subclasses set the class attributes below and provide the kernels as
    ``staticmethod(njit(cache=True)(...))``.  Instantiating a mechanism class
    gives a *specification* (parameter values not yet placed anywhere):
    ``HH(gnabar=0.2)``.
    """

    name: ClassVar[str] = ""
    params: ClassVar[Mapping[str, Param]] = {}
    states: ClassVar[Mapping[str, Param]] = {}
    #: name -> ion (e.g. {"ina": "na"}) or None for a nonspecific current.
    currents: ClassVar[Mapping[str, str | None]] = {}
    #: ion variables read, in kernel order, e.g. ("ena", "ek").
    reads: ClassVar[tuple[str, ...]] = ()
    #: ion concentrations written (states that live in the ion arrays), e.g. ("cai",).
    writes: ClassVar[tuple[str, ...]] = ()
    #: mechanism-wide settings (NEURON GLOBALs), e.g. {"usetable": Param(1, "1")}.
    globals: ClassVar[Mapping[str, Param]] = {}
    #: True for point processes: currents in nA, placed at a location.
    is_point: ClassVar[bool] = False
    #: Order of the state updates: lower first.  Concentration mechanisms use -10
    #: so that, as in NEURON, Ca-dependent gates see the new concentration.
    priority: ClassVar[int] = 0
    #: parameters filled from the morphology per segment (see the module docstring).
    geometry: ClassVar[tuple[str, ...]] = ()
    #: longitudinally diffusing states: state -> parameter holding D [um2/ms].
    diffusion: ClassVar[Mapping[str, str]] = {}

    init: ClassVar[Callable | None] = None
    current: ClassVar[Callable | None] = None
    advance: ClassVar[Callable | None] = None
    receive: ClassVar[Callable | None] = None
    #: optional whole-block replacement of ``advance`` (see the module docstring)
    advance_block: ClassVar[Callable | None] = None
    #: scratch values per instance that ``advance_block`` needs
    block_work: ClassVar[int] = 0
    #: False when the ``current`` kernel does not depend on v (e.g. a pump current of
    #: stored states): the engine then evaluates it once per step and adds no di/dv,
    #: which is exactly what the numerical derivative would give (i(v+dv) - i(v) = 0)
    current_depends_on_v: ClassVar[bool] = True
    #: relative cost of one instance per step (1: a typical channel), used to balance
    #: the load of MPI ranks (:mod:`electrical._split`)
    cost: ClassVar[float] = 1.0

    def __init__(self, **values: float) -> None:
        self.values = self.check_values(values)

    def __repr__(self) -> str:
        vals = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"<{type(self).__name__} name={self.name} {vals}>".replace(" >", ">")

    # -- declared interface -------------------------------------------------
    @classmethod
    def make_aux(cls, celsius: float, globals_: Mapping[str, float], instances: list) -> np.ndarray:
        """Build the mechanism's ``aux`` array (tables, played data); default: unused."""
        return _no_aux(cls, celsius, globals_, instances)

    @classmethod
    def kernels(cls, globals_: Mapping[str, float]) -> dict[str, Callable]:
        """Kernels that replace the class's for these global values; default: none.

        For a global that selects a code path for every instance (``usetable``):
        the step is then generated with the kernel of that path, which holds no
        branch on it (a branch per instance with a call in one arm keeps the
        loop from vectorising).  Keys among ``init``, ``current``, ``advance``;
        each kernel has the signature of the one it replaces and must give its
        numbers for these globals, up to rounding (hh's tabulated advance uses
        :func:`~electrical.mechanisms.numerics.vexp`, within 1 ulp of libm's exp).
        """
        return {}

    @classmethod
    def check_values(cls, values: Mapping[str, Any]) -> dict[str, float]:
        """Validate parameter values (names and bounds); return them as floats."""
        out = {}
        for k, val in values.items():
            if k not in cls.params:
                raise UnknownParameterError(
                    f"mechanism '{cls.name}' has no parameter '{k}'"
                    f"{did_you_mean(k, cls.params)}; its parameters are {sorted(cls.params)}"
                )
            out[k] = cls.params[k].check(val, f"{cls.name}.{k}")
        return out

    @classmethod
    def ions(cls) -> dict[str, str]:
        """Ion usage summary: ion -> 'read', 'write' (STYLE.md's ``ions`` view)."""
        out: dict[str, str] = {}
        for var in cls.reads:
            out.setdefault(ion_of_variable(var)[0], "read")
        for ion in cls.currents.values():
            if ion is not None:
                out[ion] = "write"
        for var in cls.writes:
            out[ion_of_variable(var)[0]] = "write"
        return out

    @classmethod
    def variables(cls) -> list[str]:
        """Every name that can be recorded on this mechanism."""
        return [*cls.params, *cls.states, *cls.currents]

    # -- validation of a class when it is registered ----------------------------------
    @classmethod
    def _expected_args(cls, kernel: str) -> list[str]:
        p, s, r = list(cls.params), list(cls.states), list(cls.reads)
        if kernel == "init":
            return ["t", "v", *r, *p, "aux", "celsius"]
        if kernel == "current":
            return ["t", "v", *s, *r, *p, "aux", "celsius"]
        if kernel == "advance":
            return ["t", "v", *s, *r, *p, "aux", "celsius", "dt"]
        if kernel == "receive":
            return ["t", "weight", *s, *p, "aux"]
        if kernel == "advance_block":
            return ["nodes", "t", "v", *s, *r, *p, "aux", "celsius", "dt", "work"]
        raise KeyError(kernel)

    @classmethod
    def validate_class(cls) -> None:
        """Check names, units and kernel signatures; raise :class:`ModelError` if wrong."""
        where = f"mechanism class {cls.__module__}.{cls.__qualname__}"
        if not cls.name or not cls.name.replace("_", "").replace("/", "").isalnum():
            raise ModelError(f"{where}: name {cls.name!r} must be a non-empty identifier")
        names = [*cls.params, *cls.states, *cls.currents]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ModelError(f"{where}: names used twice among params/states/currents: {dup}")
        for var in (*cls.reads, *cls.writes):
            ion_of_variable(var)
        for cur, ion in cls.currents.items():
            if ion is not None and ion not in ION_TABLE:
                raise ModelError(f"{where}: current '{cur}' names unknown ion '{ion}'")
        if cls.current is None and cls.currents:
            raise ModelError(f"{where}: declares currents but has no current kernel")
        if (cls.states or cls.writes) and cls.advance is None:
            raise ModelError(f"{where}: has states but no advance kernel")
        for g in cls.geometry:
            if g not in GEOMETRY_PARAMS or cls.is_point:
                raise ModelError(
                    f"{where}: geometry parameter '{g}' is not supported; density mechanisms "
                    f"may use {sorted(GEOMETRY_PARAMS)}"
                )
            if g not in cls.params or cls.params[g].unit != GEOMETRY_PARAMS[g]:
                raise ModelError(
                    f"{where}: geometry parameter '{g}' must be declared in params with unit "
                    f"'{GEOMETRY_PARAMS[g]}'"
                )
        for st, dpar in cls.diffusion.items():
            if cls.is_point:
                raise ModelError(f"{where}: only density mechanisms can diffuse along the cable")
            if st not in cls.states:
                raise ModelError(
                    f"{where}: diffusing '{st}' is not a state{did_you_mean(st, cls.states)}"
                )
            if dpar not in cls.params or cls.params[dpar].unit != "um2/ms":
                raise ModelError(
                    f"{where}: the diffusion coefficient of '{st}' must be a parameter in "
                    f"um2/ms, got {dpar!r}"
                )
        if cls.advance_block is not None:
            if cls.is_point or cls.advance is None:
                raise ModelError(
                    f"{where}: advance_block needs a density mechanism with an advance kernel"
                )
            unread = [w for w in cls.writes if w not in cls.reads]
            if unread:
                raise ModelError(
                    f"{where}: advance_block writes {unread}, which must also be in reads"
                )
            if isinstance(cls.block_work, bool) or not isinstance(cls.block_work, int) or (
                cls.block_work < 0
            ):
                raise ModelError(f"{where}: block_work = {cls.block_work!r} must be an int >= 0")
        for kname in ("init", "current", "advance", "receive", "advance_block"):
            kernel = getattr(cls, kname)
            if kernel is None:
                continue
            if kname == "receive" and not cls.is_point:
                raise ModelError(f"{where}: only point processes can receive events")
            cls._check_kernel(where, kname, kernel)

    @classmethod
    def _check_kernel(cls, where: str, kname: str, kernel) -> None:
        py = getattr(kernel, "py_func", None)
        if py is None:
            raise ModelError(f"{where}: kernel '{kname}' must be a numba @njit(cache=True) function")
        got = list(inspect.signature(py).parameters)
        want = cls._expected_args(kname)
        if got != want:
            raise ModelError(
                f"{where}: kernel '{kname}' has arguments ({', '.join(got)}); "
                f"expected ({', '.join(want)})"
            )

    @classmethod
    def checked_kernels(cls, globals_: Mapping[str, float]) -> dict[str, Callable]:
        """:meth:`kernels` for these globals, with names and signatures checked."""
        out = dict(cls.kernels(globals_))
        where = f"mechanism '{cls.name}'.kernels({dict(globals_)})"
        for kname, kernel in out.items():
            if kname not in ("init", "current", "advance") or getattr(cls, kname) is None:
                raise ModelError(
                    f"{where}: '{kname}' replaces no kernel of the class; it may replace "
                    "the class's init, current or advance"
                )
            cls._check_kernel(where, kname, kernel)
        return out


class DensityMechanism(Mechanism):
    """A mechanism painted on sections; currents in mA/cm2 (outward positive)."""

    is_point = False


class PointProcess(Mechanism):
    """A mechanism placed at one location ``sec(x)``; currents in nA.

    ``electrode = True`` means the current is injected (positive depolarises),
    as for NEURON's ELECTRODE_CURRENT (IClamp); otherwise positive is outward.
    """

    is_point = True
    electrode: ClassVar[bool] = False


# ----------------------------------------------------------------------------- catalogue


class Catalogue:
    """A named registry of mechanism classes.

    >>> cat = Catalogue("mine")
    >>> "pas" in default_catalogue
    True
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._mechs: dict[str, type[Mechanism]] = {}

    def __repr__(self) -> str:
        return f"<Catalogue name={self.name} n_mechanisms={len(self._mechs)}>"

    def __contains__(self, name: str) -> bool:
        return name in self._mechs

    def __iter__(self):
        return iter(sorted(self._mechs))

    def __len__(self) -> int:
        return len(self._mechs)

    def register(self, cls: type[Mechanism], name: str | None = None) -> type[Mechanism]:
        """Add a mechanism class; duplicate names raise :class:`ModelError`."""
        cls.validate_class()
        key = name or cls.name
        if key in self._mechs and self._mechs[key] is not cls:
            raise ModelError(
                f"catalogue '{self.name}' already has a mechanism '{key}' "
                f"({self._mechs[key].__module__}); register yours under another name"
            )
        self._mechs[key] = cls
        return cls

    def __getitem__(self, name: str) -> type[Mechanism]:
        if name not in self._mechs and self is default_catalogue:
            _load_entry_points()
        try:
            return self._mechs[name]
        except KeyError:
            raise UnknownMechanismError(
                f"no mechanism '{name}' in catalogue '{self.name}'{did_you_mean(name, self._mechs)}"
            ) from None

    get = __getitem__

    def extend(self, other: Catalogue, prefix: str = "") -> None:
        """Add every mechanism of ``other``, its names prefixed by ``prefix``."""
        for key, cls in other._mechs.items():
            self.register(cls, prefix + key)


default_catalogue = Catalogue("default")
_entry_points_loaded = False


def _load_entry_points() -> None:
    """Load third-party catalogues from the entry-point group ``electrical.mechanisms``."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group="electrical.mechanisms"):
        obj = ep.load()
        if isinstance(obj, Catalogue):
            default_catalogue.extend(obj)
        elif isinstance(obj, type) and issubclass(obj, Mechanism):
            default_catalogue.register(obj)


def register(cls: type[Mechanism]) -> type[Mechanism]:
    """Class decorator: add the mechanism to the default catalogue."""
    return default_catalogue.register(cls)
