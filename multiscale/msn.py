"""The striatal medium spiny neuron (MSN) of the TimeScales model.

Mattioni M, Le Novere N (2013), PLoS ONE 8:e66811, after the Wolf et al. (2005)
reduced MSN; the specification is ``MODEL.md`` (shared reference), cited by
section below.  :func:`build_msn` (or :class:`MSN`) builds:

- 29 cell sections (MODEL.md 1.1): ``soma``; ``dend1``..``dend4`` (proximal;
  dend1, dend2 on soma(1), dend3, dend4 on soma(0)); ``dendB_K[0]`` (medial,
  B = 1..4, K = 1, 2) on ``dendB(1)``; ``dendB_K[1]``, ``dendB_K[2]`` (distal)
  on ``dendB_K[0](1)``;
- the TimeScales geometry (MODEL.md 1.2): soma 16 x 16, proximal 20 x 2.25,
  medial 20 x 1 (nseg 5), distal 190 x 0.5 um (nseg 11); Ra 100 ohm cm, cm 1;
- leak 1.15e-5 S/cm2 at -70 mV, E_K -90 mV, E_Na 50 mV (MODEL.md 2);
- the channel densities of MODEL.md 3.4, kir 1.6e-4 S/cm2 everywhere (the
  run-script value of every published run), cadyn/caldyn shells;
- the ion defaults cai0 = cali0 = 1e-3 mM, cao0 = calo0 = 5 mM (MODEL.md 2);
- spines (:mod:`multiscale.spine`) in one of the modes of MODEL.md 6.2:
  ``"none"`` (0), ``"two"`` (2), ``"onebranch"`` (103), ``"all"`` (1504),
  numbered ``spine1``... in the original creation order.

The spine positions of the onebranch and all modes are the published lists
(``spine_positions.csv``, computed offline by the original authors from the
Wilson 1992 profile, MODEL.md 6.2).  They are read at build time from
``positions_dir`` (default ``../shared/reference/msn`` beside the checkout);
a missing file raises :class:`SpinePositionsError` naming the file and the fix.

Run with ``celsius = 35`` and ``v_init = -87.75 mV`` (:meth:`MSN.simulation`
and :meth:`MSN.initialize` use :class:`MSNParameters` for both).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import electrical.mechanisms.msn  # noqa: F401  (registers the MSN channels and the cal ion)
from electrical import Cell, Location, Section, Simulation

from .errors import InvalidModelError, SpinePositionsError  # SpinePositionsError: re-exported
from .spine import CORRECTED_SPINE, TIMESCALES_SPINE, Spine, SpineParameters, add_spine

__all__ = [
    "CELL_SECTIONS",
    "DEFAULT_POSITIONS_DIR",
    "ION_VARIABLES",
    "MODES",
    "MODE_ALIASES",
    "MSN",
    "SPINE_PARTS",
    "MSNParameters",
    "SpinePositionsError",
    "build_msn",
    "load_spine_positions",
    "section_names",
    "spine_layout",
]

#: Spine modes and their spine counts (MODEL.md 6.2); "zero" is the original's name of "none".
MODES: Mapping[str, int] = MappingProxyType({"none": 0, "two": 2, "onebranch": 103, "all": 1504})
#: Other names of spine modes: the original's "zero" is "none".
MODE_ALIASES: Mapping[str, str] = MappingProxyType({"zero": "none"})
_MODE_ALIASES = MODE_ALIASES

#: The 29 cell sections in creation order (MODEL.md 1.1): soma, proximal, medial, distal.
CELL_SECTIONS: tuple[str, ...] = (
    ("soma", "dend1", "dend2", "dend3", "dend4")
    + tuple(f"dend{b}_{k}[0]" for b in range(1, 5) for k in (1, 2))
    + tuple(f"dend{b}_{k}[{i}]" for b in range(1, 5) for k in (1, 2) for i in (1, 2))
)
#: The sections of spine N are ``spine<N>_<part>`` (multiscale.spine.add_spine).
SPINE_PARTS: tuple[str, ...] = ("neck", "head", "psd")
#: Ion variables of the MSN's ions (na, k, ca and the L-type cal): reversal potentials,
#: inside and outside concentrations, currents.
ION_VARIABLES: tuple[str, ...] = (
    "ena", "nai", "nao", "ina", "ek", "ki", "ko", "ik",
    "eca", "cai", "cao", "ica", "ecal", "cali", "calo", "ical",
)  # fmt: skip


def section_names(n_spines: int) -> list[str]:
    """Every section name of an MSN with ``n_spines`` spines (cell first, then spines)."""
    return list(CELL_SECTIONS) + [
        f"spine{n}_{p}" for n in range(1, n_spines + 1) for p in SPINE_PARTS
    ]

#: Where the published spine positions live in the development layout (../shared beside
#: the checkout).  Override with ``positions_dir=`` or $MSN_SPINE_POSITIONS_DIR.
DEFAULT_POSITIONS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "msn"
POSITIONS_FILE = "spine_positions.csv"

#: Primary branches and their attachment end on the soma (MODEL.md 1.1).
_PRIMARY = (("dend1", 1.0), ("dend2", 1.0), ("dend3", 0.0), ("dend4", 0.0))

#: Parameter name of the maximal value of each channel.
_GBAR = {
    "naf": "gnabar", "nap": "gnabar", "kas": "gkbar", "kaf": "gkbar", "krp": "gkbar",
    "bkkca": "gkbar", "skkca": "gkbar", "caL": "pbar", "caL13": "pbar", "can": "pbar",
    "caq": "pbar", "car": "pbar", "cat": "pbar",
}


def _frozen(d: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(d))


# MODEL.md 3.4 (S/cm2 for g, cm/s for P); kir is set separately (run-script override).
_SOMA = {
    "naf": 1.5, "nap": 4e-5, "kas": 0.0104, "kaf": 0.225, "krp": 0.001, "bkkca": 0.001,
    "skkca": 0.145, "caL": 6.7e-6, "caL13": 4.25e-7, "can": 1.0e-5, "caq": 6.0e-6,
    "car": 2.6e-5, "cat": 4e-7,
}
_PROX = {
    "naf": 0.0195, "nap": 1.3802e-7, "kas": 0.0104, "kaf": 0.225, "bkkca": 0.001,
    "skkca": 0.145, "caL": 6.7e-6, "caL13": 4.25e-7, "can": 1.0e-5, "caq": 6.0e-6,
    "car": 2.6e-5, "cat": 4e-7,
}
_DEND = {**_PROX, "kas": 9.5142e-4, "kaf": 0.020584}




@dataclass(frozen=True)
class MSNParameters:
    """Every parameter of the MSN cell, with the original values as defaults.

    Lengths and diameters in um, Ra in ohm cm, cm in uF/cm2, conductances in
    S/cm2, permeabilities in cm/s, potentials in mV, concentrations in mM,
    temperature in degC, times in ms.  Channel tables map a mechanism name to
    its maximal value (``gnabar``, ``gkbar`` or ``pbar``); override with
    :func:`dataclasses.replace`, e.g. ``replace(p, kir_gkbar=1.2e-4)``.
    """

    # MODEL.md 1.2 (TimeScales geometry) and 1.3 (nseg)
    soma_L: float = 16.0
    soma_diam: float = 16.0
    soma_nseg: int = 1
    prox_L: float = 20.0
    prox_diam: float = 2.25
    prox_nseg: int = 1
    mid_L: float = 20.0
    mid_diam: float = 1.0
    mid_nseg: int = 5
    dist_L: float = 190.0
    dist_diam: float = 0.5
    dist_nseg: int = 11
    Ra: float = 100.0
    cm: float = 1.0
    # MODEL.md 2
    g_pas: float = 1.15e-5
    e_pas: float = -70.0
    ek: float = -90.0
    ena: float = 50.0
    cai0: float = 1e-3
    cao0: float = 5.0
    cali0: float = 1e-3
    calo0: float = 5.0
    celsius: float = 35.0
    v_init: float = -87.75
    dt_ms: float = 0.025
    # MODEL.md 3.4
    kir_gkbar: float = 1.6e-4
    soma_channels: Mapping[str, float] = field(default_factory=lambda: _frozen(_SOMA))
    prox_channels: Mapping[str, float] = field(default_factory=lambda: _frozen(_PROX))
    mid_channels: Mapping[str, float] = field(default_factory=lambda: _frozen(_DEND))
    dist_channels: Mapping[str, float] = field(default_factory=lambda: _frozen(_DEND))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_channels"):
                if not isinstance(value, Mapping):
                    raise InvalidModelError(f"MSNParameters.{f.name} must be a mapping, got {value!r}")
                for mech, g in value.items():
                    if mech not in _GBAR:
                        raise InvalidModelError(
                            f"MSNParameters.{f.name}: unknown channel '{mech}'; known: "
                            f"{sorted(_GBAR)} (kir is set by kir_gkbar)"
                        )
                    _check_number(f"MSNParameters.{f.name}['{mech}']", g, nonneg=True)
                object.__setattr__(self, f.name, _frozen(value))
                continue
            if f.name.endswith("nseg"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise InvalidModelError(f"MSNParameters.{f.name} = {value!r}: a positive integer")
                continue
            positive = f.name.endswith(("_L", "_diam")) or f.name in ("Ra", "dt_ms")
            nonneg = positive or f.name in ("cm", "g_pas", "kir_gkbar") or f.name.endswith("0")
            _check_number(f"MSNParameters.{f.name}", value, nonneg=nonneg, positive=positive)


def _check_number(what: str, value, nonneg: bool = False, positive: bool = False) -> None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidModelError(f"{what} = {value!r} is not a number") from None
    if not math.isfinite(x):
        raise InvalidModelError(f"{what} = {value!r} is not finite")
    if (nonneg and x < 0) or (positive and x <= 0):
        raise InvalidModelError(f"{what} = {value!r} must be {'> 0' if positive else '>= 0'}")


# ----------------------------------------------------------------------------- positions


def load_spine_positions(positions_dir: str | os.PathLike | None = None) -> dict[str, list[float]]:
    """The published normalised spine positions, list name -> positions (MODEL.md 6.2).

    Parameters
    ----------
    positions_dir : path, optional
        Folder with ``spine_positions.csv``; default $MSN_SPINE_POSITIONS_DIR or
        :data:`DEFAULT_POSITIONS_DIR` (``../shared/reference/msn`` beside the checkout).

    Returns
    -------
    dict
        ``medial_0``, ``medial_1`` (18 positions each), ``distal_0``..``distal_3``
        (85 each), in file order, values in [0, 1].
    """
    folder = Path(positions_dir or os.environ.get("MSN_SPINE_POSITIONS_DIR") or DEFAULT_POSITIONS_DIR)
    path = folder / POSITIONS_FILE
    if not path.is_file():
        raise SpinePositionsError(
            f"spine positions file not found: {path}.  The 'onebranch' and 'all' modes place "
            "spines at the published TimeScales positions (MODEL.md 6.2).  Fix: pass "
            "positions_dir= (or set $MSN_SPINE_POSITIONS_DIR) to the folder holding "
            f"{POSITIONS_FILE} (shared/reference/msn/), or use spines='none'/'two'."
        )
    lists: dict[str, list[tuple[int, float]]] = {}
    with path.open(newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for k, row in enumerate(rows):
            try:
                lists.setdefault(row["list"], []).append((int(row["index"]), float(row["x"])))
            except (KeyError, TypeError, ValueError):
                raise SpinePositionsError(
                    f"{path}: row {k + 1} = {row!r} is not 'list,index,x'"
                ) from None
    expected = {"medial_0": 18, "medial_1": 18, **{f"distal_{i}": 85 for i in range(4)}}
    out = {}
    for name, n in expected.items():
        entries = sorted(lists.get(name, []))
        if len(entries) != n or [i for i, _ in entries] != list(range(n)):
            raise SpinePositionsError(
                f"{path}: list '{name}' has {len(entries)} positions (indices 0..{n - 1} expected)"
            )
        xs = [x for _, x in entries]
        if not all(0.0 <= x <= 1.0 for x in xs):
            raise SpinePositionsError(f"{path}: list '{name}' has positions outside [0, 1]")
        out[name] = xs
    return out


#: 'all' mode: which position list goes on which sections, in creation order (MODEL.md 6.2).
_ALL_LAYOUT = (
    ("medial_0", ("dend1_1[0]", "dend2_1[0]", "dend3_1[0]", "dend4_1[0]")),
    ("medial_1", ("dend1_2[0]", "dend2_2[0]", "dend3_2[0]", "dend4_2[0]")),
    ("distal_0", ("dend1_1[1]", "dend2_1[1]", "dend3_1[1]", "dend4_1[1]")),
    ("distal_1", ("dend1_1[2]", "dend2_2[2]", "dend3_2[2]", "dend4_2[2]")),
    ("distal_2", ("dend1_2[1]", "dend2_2[1]", "dend3_2[1]", "dend4_2[1]")),
    ("distal_3", ("dend1_2[2]", "dend2_1[2]", "dend3_1[2]", "dend4_1[2]")),
)


def _mode(mode: str) -> str:
    if not isinstance(mode, str):
        raise InvalidModelError(f"spines = {mode!r}: give one of {list(MODES)}")
    m = _MODE_ALIASES.get(mode, mode)
    if m not in MODES:
        raise InvalidModelError(f"spines = {mode!r}: unknown spine mode; use one of {list(MODES)}")
    return m


def spine_layout(
    mode: str, positions_dir: str | os.PathLike | None = None
) -> list[tuple[str, float]]:
    """(section name, x) of every spine of a mode, in creation order (spine1 first).

    Parameters
    ----------
    mode : {"none", "two", "onebranch", "all"}
    positions_dir : path, optional
        See :func:`load_spine_positions` (only onebranch and all need it).
    """
    m = _mode(mode)
    if m == "none":
        return []
    if m == "two":
        return [("dend3_1[1]", 0.3), ("dend3_1[1]", 0.5)]
    pos = load_spine_positions(positions_dir)
    if m == "onebranch":
        return [("dend3_1[0]", x) for x in pos["medial_0"]] + [
            ("dend3_1[1]", x) for x in pos["distal_0"]
        ]
    return [(sec, x) for lst, secs in _ALL_LAYOUT for sec in secs for x in pos[lst]]


# ----------------------------------------------------------------------------- the cell


class MSN:
    """The TimeScales MSN: a :class:`electrical.Cell` with named sections and spines.

    Parameters
    ----------
    spines : {"none", "two", "onebranch", "all"}
        Spine mode (MODEL.md 6.2); ``"zero"`` is accepted for ``"none"``.
    params : MSNParameters
        Cell parameters (default: the original values).
    spine_params : SpineParameters, optional
        Spine parameters; default :data:`~multiscale.spine.TIMESCALES_SPINE`, or
        :data:`~multiscale.spine.CORRECTED_SPINE` when ``corrections`` is true.
    corrections : bool
        Use the spine corrections of MODEL.md 11.3 (leak, E_K -90 mV, head Ra 150).
    positions_dir : path, optional
        Folder of ``spine_positions.csv`` (see :func:`load_spine_positions`).

    Attributes
    ----------
    cell : electrical.Cell
    spines : list of Spine
        In creation order; ``spines[0]`` is ``spine1``.
    """

    def __init__(
        self,
        spines: str = "none",
        params: MSNParameters | None = None,
        spine_params: SpineParameters | None = None,
        corrections: bool = False,
        positions_dir: str | os.PathLike | None = None,
    ) -> None:
        self.params = MSNParameters() if params is None else params
        if not isinstance(self.params, MSNParameters):
            raise InvalidModelError(f"params must be MSNParameters, got {type(params).__name__}")
        if spine_params is None:
            spine_params = CORRECTED_SPINE if corrections else TIMESCALES_SPINE
        elif corrections:
            raise InvalidModelError("give either spine_params or corrections=True, not both")
        if not isinstance(spine_params, SpineParameters):
            raise InvalidModelError(f"spine_params must be SpineParameters, got {spine_params!r}")
        self.spine_params = spine_params
        self.mode = _mode(spines)
        layout = spine_layout(self.mode, positions_dir)
        self.cell = Cell("MSN")
        self._build_cell()
        self.spines: list[Spine] = []
        for sec_name, x in layout:
            self.add_spine(self.cell[sec_name](x))

    # -- structure -----------------------------------------------------------
    def _build_cell(self) -> None:
        p = self.params
        c = self.cell
        soma = c.section("soma", L=p.soma_L, diam=p.soma_diam, nseg=p.soma_nseg, Ra=p.Ra, cm=p.cm)
        self.soma = soma
        self.prox: list[Section] = []
        self.mid: list[Section] = []
        self.dist: list[Section] = []
        for name, end in _PRIMARY:
            d = c.section(name, L=p.prox_L, diam=p.prox_diam, nseg=p.prox_nseg, Ra=p.Ra,
                          cm=p.cm, parent=soma(end))
            self.prox.append(d)
        for b in range(1, 5):
            for k in (1, 2):
                m = c.section(f"dend{b}_{k}[0]", L=p.mid_L, diam=p.mid_diam, nseg=p.mid_nseg,
                              Ra=p.Ra, cm=p.cm, parent=c[f"dend{b}"](1.0))
                self.mid.append(m)
                for i in (1, 2):
                    self.dist.append(
                        c.section(f"dend{b}_{k}[{i}]", L=p.dist_L, diam=p.dist_diam,
                                  nseg=p.dist_nseg, Ra=p.Ra, cm=p.cm, parent=m(1.0))
                    )
        groups = ((soma,), p.soma_channels), (self.prox, p.prox_channels), (
            self.mid, p.mid_channels), (self.dist, p.dist_channels)
        for secs, channels in groups:
            for sec in secs:
                sec.insert("pas", g=p.g_pas, e=p.e_pas)
                sec.insert("kir", gkbar=p.kir_gkbar)
                for mech, g in channels.items():
                    sec.insert(mech, **{_GBAR[mech]: g})
                sec.insert("cadyn")
                sec.insert("caldyn")
                for var, value in (("ek", p.ek), ("ena", p.ena), ("cai", p.cai0),
                                   ("cao", p.cao0), ("cali", p.cali0), ("calo", p.calo0)):
                    sec.set(var, value)

    @property
    def cell_sections(self) -> list[Section]:
        """The 29 cell sections (soma, proximal, medial, distal), without spines."""
        return [self.soma, *self.prox, *self.mid, *self.dist]

    def __getitem__(self, name: str) -> Section:
        return self.cell[name]

    def spine(self, name_or_number: str | int) -> Spine:
        """A spine by number (1-based, as ``spine1``) or name ``"spine<N>"``."""
        for s in self.spines:
            if name_or_number in (s.number, s.name):
                return s
        raise LookupError(
            f"no spine {name_or_number!r} in this MSN ({len(self.spines)} spines, "
            f"mode '{self.mode}')"
        )

    def add_spine(self, location: Location | tuple[str, float]) -> Spine:
        """Attach the next spine (``spine<len+1>``) at ``sec(x)`` or ``("dend3_1[1]", 0.5)``."""
        if isinstance(location, tuple):
            if len(location) != 2:
                raise InvalidModelError(f"add_spine: expected (section name, x), got {location!r}")
            location = self.cell[location[0]](location[1])
        if not isinstance(location, Location):
            raise InvalidModelError(f"add_spine: location must be sec(x), got {location!r}")
        if location.section.name.startswith("spine"):
            raise InvalidModelError(f"add_spine: {location} is on a spine; attach spines to dendrites")
        spine = add_spine(self.cell, location, len(self.spines) + 1, self.spine_params)
        self.spines.append(spine)
        return spine

    @property
    def n_sections(self) -> int:
        return len(self.cell.sections)

    @property
    def n_compartments(self) -> int:
        return sum(s.nseg for s in self.cell.sections)

    # -- running ---------------------------------------------------------------
    def simulation(self, dt_ms: float | None = None, **kwargs) -> Simulation:
        """A :class:`electrical.Simulation` of this cell at ``params.celsius`` (35 degC)."""
        kwargs.setdefault("celsius", self.params.celsius)
        return Simulation(self.cell, dt_ms=self.params.dt_ms if dt_ms is None else dt_ms, **kwargs)

    def initialize(self, sim: Simulation) -> None:
        """``sim.initialize`` at ``params.v_init`` (-87.75 mV, MODEL.md 2)."""
        sim.initialize(v_init_mV=self.params.v_init)

    def __repr__(self) -> str:
        return (f"<MSN mode={self.mode} n_spines={len(self.spines)} n_sections={self.n_sections} "
                f"n_compartments={self.n_compartments}>")


def build_msn(spines: str = "none", **kwargs) -> MSN:
    """Build the TimeScales MSN (see :class:`MSN` for the arguments)."""
    return MSN(spines, **kwargs)
