"""Dendritic spines of the TimeScales MSN: neck, head and PSD with AMPA + NMDA.

A spine (Mattioni & Le Novere 2013, PLoS ONE 8:e66811; MODEL.md 6.1) is three
cable sections attached to a dendrite location ``sec(x)``:
``dendrite(x) -> neck(0)``, ``neck(1) -> head(0)``, ``head(1) -> PSD(0)``,
with an AMPA and an NMDA synapse at ``PSD(0.5)``.

The defaults reproduce the original model, quirks included (MODEL.md 11.3,
item 18): no leak in the spine, E_K = -77 mV (NEURON's default, because the
original ``set_ek`` ran before the spines existed), the head's axial
resistivity at NEURON's default 35.4 ohm cm (the intended 150 ohm cm went
into an unrelated attribute), and the NMODL-default skkca (0.175 S/cm2) and
caL13 (1.7e-6 cm/s) densities.  :data:`CORRECTED_SPINE` (or
``SpineParameters.corrected()``) is the one named alternative that applies
all of MODEL.md 11.3's corrections at once.

Spine calcium (``catrack``/``caltrack``, radial + longitudinal diffusion,
MODEL.md 4.3) is inserted on every spine segment when those mechanisms are
in the default catalogue; without them the spine concentrations stay at
their initial ion values (see :data:`HAS_SPINE_CALCIUM`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from electrical import Cell, Location, PointInstance, Section, default_catalogue
from electrical.mechanisms.synapses import AMPA, NMDA

from .errors import InvalidModelError

__all__ = [
    "SYNAPSES",
    "CORRECTED_SPINE",
    "HAS_SPINE_CALCIUM",
    "TIMESCALES_SPINE",
    "Spine",
    "SpineParameters",
    "add_spine",
    "spine_calcium_available",
]


def spine_calcium_available() -> bool:
    """True when ``catrack`` and ``caltrack`` (MODEL.md 4.3) are in the default catalogue."""
    return "catrack" in default_catalogue and "caltrack" in default_catalogue


#: Whether spine calcium (catrack/caltrack) was available when this module was imported.
HAS_SPINE_CALCIUM = spine_calcium_available()

#: The synapses of a spine head that receive its inputs (MODEL.md 5): the one list.
SYNAPSES: tuple[str, ...] = ("ampa", "nmda")


@dataclass(frozen=True)
class SpineParameters:
    """Geometry and membrane of one spine (MODEL.md 6.1 and 3.4, spine columns).

    Lengths and diameters in um, Ra in ohm cm, cm in uF/cm2, conductances in
    S/cm2, permeabilities in cm/s, potentials in mV.  The defaults are the
    original model's values, quirks included; ``None`` for ``g_pas`` means no
    leak is inserted (the original).
    """

    neck_L: float = 1.5
    neck_diam: float = 0.1
    neck_nseg: int = 3
    neck_Ra: float = 100.0
    head_L: float = 1.0
    head_diam: float = 1.175
    head_nseg: int = 1
    #: NEURON's default Ra; the original meant 150 (MODEL.md 6.1, 11.3 item 18).
    head_Ra: float = 35.4
    psd_L: float = 0.05
    psd_diam: float = 0.5
    psd_nseg: int = 1
    psd_Ra: float = 100.0
    cm: float = 1.0
    #: Leak [S/cm2] on neck, head and PSD; None = no leak (the original).
    g_pas: float | None = None
    e_pas: float = -70.0
    #: E_K in neck and head: NEURON's default -77 mV in the original (MODEL.md 2).
    ek: float = -77.0
    #: kir everywhere in the spine except the PSD (run-script value, MODEL.md 3.4).
    kir_gkbar: float = 1.6e-4
    skkca_gkbar: float = 0.175
    can_pbar: float = 1.0e-5
    caq_pbar: float = 6.0e-6
    car_pbar: float = 2.6e-5
    caL_pbar: float = 6.7e-6
    caL13_pbar: float = 1.7e-6
    #: Ion defaults (MODEL.md 2): both Ca pools start at 1e-3 mM inside, 5 mM outside.
    cai0: float = 1e-3
    cao0: float = 5.0
    cali0: float = 1e-3
    calo0: float = 5.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "g_pas" and value is None:
                continue
            if f.name.endswith("nseg"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise InvalidModelError(f"SpineParameters.{f.name} = {value!r}: a positive integer")
                continue
            try:
                x = float(value)
            except (TypeError, ValueError):
                raise InvalidModelError(f"SpineParameters.{f.name} = {value!r} is not a number") from None
            if not math.isfinite(x):
                raise InvalidModelError(f"SpineParameters.{f.name} = {value!r} is not finite")
            if f.name in ("ek", "e_pas"):
                continue
            if x < 0 or (x == 0 and f.name.endswith(("_L", "_diam", "_Ra"))):
                raise InvalidModelError(f"SpineParameters.{f.name} = {value!r} must be positive")

    @classmethod
    def corrected(cls, **overrides) -> SpineParameters:
        """MODEL.md 11.3 item 18 corrected: the values the original meant the spine to have.

        Leak as in the cell (1.15e-5 S/cm2, -70 mV), E_K = -90 mV, head Ra =
        150 ohm cm, and the dendritic skkca (0.145 S/cm2) and caL13 (4.25e-7
        cm/s) densities instead of the NMODL defaults.
        """
        values = {
            "g_pas": 1.15e-5, "e_pas": -70.0, "ek": -90.0, "head_Ra": 150.0,
            "skkca_gkbar": 0.145, "caL13_pbar": 4.25e-7,
        }
        values.update(overrides)
        return cls(**values)


#: The original TimeScales spine (quirks included; MODEL.md 6.1).
TIMESCALES_SPINE = SpineParameters()
#: The spine with every correction of MODEL.md 11.3 item 18.
CORRECTED_SPINE = SpineParameters.corrected()


@dataclass
class Spine:
    """One spine: its sections, synapses and attachment point (a description).

    It holds no run-time state: the pathway instance and couplings of a
    biochemical spine belong to the :class:`multiscale.cosim.Cosimulation` that
    built them (``cs.instance(spine)``, ``cs.couplings(spine)``), so one spine may
    back several co-simulations.

    Attributes
    ----------
    name : str
        ``"spine<N>"`` (original numbering, from 1).
    number : int
        N.
    location : electrical.Location
        The dendrite location ``sec(x)`` the neck's 0 end attaches to.
    neck, head, psd : electrical.Section
    ampa, nmda : electrical.PointInstance
        The synapses at ``psd(0.5)``.
    """

    name: str
    number: int
    location: Location
    neck: Section
    head: Section
    psd: Section
    ampa: PointInstance
    nmda: PointInstance

    @property
    def sections(self) -> tuple[Section, Section, Section]:
        return (self.neck, self.head, self.psd)

    def __repr__(self) -> str:
        return f"<Spine name={self.name} at={self.location}>"


def add_spine(
    cell: Cell,
    location: Location,
    number: int,
    params: SpineParameters = TIMESCALES_SPINE,
) -> Spine:
    """Build spine ``number`` at ``location`` on ``cell`` (MODEL.md 6.1).

    Parameters
    ----------
    cell : electrical.Cell
        The cell that owns ``location``.
    location : electrical.Location
        Dendrite location ``sec(x)``; the neck's 0 end connects there.
    number : int
        Spine number N >= 1; sections are ``spine<N>_neck``, ``_head``, ``_psd``.
    params : SpineParameters
        Geometry and membrane (default: the original model).

    Returns
    -------
    Spine
    """
    if not isinstance(location, Location):
        raise InvalidModelError(f"add_spine: location must be sec(x), got {location!r}")
    if location.section.cell is not cell:
        raise InvalidModelError(f"add_spine: {location} is not on cell '{cell.name}'")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidModelError(f"add_spine: number = {number!r} must be a positive integer")
    if not isinstance(params, SpineParameters):
        raise InvalidModelError(f"add_spine: params must be SpineParameters, got {type(params).__name__}")
    p = params
    name = f"spine{number}"
    if f"{name}_neck" in cell:
        raise InvalidModelError(f"cell '{cell.name}' already has a spine named '{name}'")
    neck = cell.section(f"{name}_neck", L=p.neck_L, diam=p.neck_diam, nseg=p.neck_nseg,
                        Ra=p.neck_Ra, cm=p.cm, parent=location)
    head = cell.section(f"{name}_head", L=p.head_L, diam=p.head_diam, nseg=p.head_nseg,
                        Ra=p.head_Ra, cm=p.cm, parent=neck(1.0))
    psd = cell.section(f"{name}_psd", L=p.psd_L, diam=p.psd_diam, nseg=p.psd_nseg,
                       Ra=p.psd_Ra, cm=p.cm, parent=head(1.0))
    # MODEL.md 3.4, spine columns
    neck.insert("kir", gkbar=p.kir_gkbar)
    head.insert("kir", gkbar=p.kir_gkbar)
    head.insert("can", pbar=p.can_pbar)
    head.insert("caq", pbar=p.caq_pbar)
    head.insert("car", pbar=p.car_pbar)
    head.insert("skkca", gkbar=p.skkca_gkbar)
    psd.insert("caL", pbar=p.caL_pbar)
    psd.insert("caL13", pbar=p.caL13_pbar)
    # rubin (plasticity read-out in the PSD) is omitted: it affects no voltage or
    # concentration (MODEL.md 3.3b, 11.3 item 22).
    with_ca = spine_calcium_available()
    for sec in (neck, head, psd):
        if with_ca:
            sec.insert("catrack")
            sec.insert("caltrack")
        if p.g_pas is not None:
            sec.insert("pas", g=p.g_pas, e=p.e_pas)
        for var, value in (("cai", p.cai0), ("cao", p.cao0), ("cali", p.cali0),
                           ("calo", p.calo0)):
            sec.set(var, value)
        sec.set("ek", p.ek)
    ampa = cell.place(psd(0.5), AMPA(), name=f"{name}_AMPA")
    nmda = cell.place(psd(0.5), NMDA(), name=f"{name}_NMDA")
    return Spine(name, number, location, neck, head, psd, ampa, nmda)
