"""Couplings between the electrical spine and its pathway instance (DESIGN.md section 5).

Here both sides are known: the electrical component's ports (charge, calcium
concentration, AMPA weight) and the pathway's (``ca_in``, pump, leak,
``AMPAR_P``).  One class per coupling rule, unit-checked when built; each
carries the flags the synchroniser needs (:class:`sync.IntervalCoupling`):

:class:`InfluxCoupling` (``coupling="influx"``, the default, mass-conserving)
    The charge Q that entered the spine head and PSD through their calcium
    currents during an exchange interval (the running integral of
    (ica + ical) x area, exactly what the engine's calcium mechanisms received)
    becomes n = -Q/(2F) mol, delivered to the pathway as a constant flux
    n/(V dt) over the same interval.  The pathway integrates that interval
    after the electrical model has, so the calcium delivered equals the calcium
    that entered, interval by interval, with no lag.  What it delivers does not
    depend on the windows, so batched delivery may follow calcium tails past
    them.
:class:`ConcentrationDifferenceCoupling` (``coupling="concentration-difference"``)
    The original TimeScales rule (MODEL.md 8.3): the change of free head [Ca]
    (cai + cali at head(0.5)) over the interval, as a constant flux:
    n = dc x V_head, with the pathway's pump and leak switched off during
    synchronisation windows and restored outside them, where ca_in = 0.
:class:`WeightCoupling`
    The pathway's AMPAR_P / its baseline (the value after the biochemical
    equilibration) becomes the weight of the spine's AMPA connection.  The AMPA
    synapse reads its weight when an event arrives (MODEL.md 5.1), so the
    weight acts from the next input on.

Units: the electrical ports are declared with units (charge ``nA*ms`` = pC,
concentration ``mM``); the pathway's ``ca_in`` may be a concentration flux
(``M/s``, ``mol/(L*s)``, ...) or an amount flux (``mol/s``, ``item/s``).  Any
other unit is refused when the coupling is built.
"""

from __future__ import annotations

from typing import ClassVar

from common.errors import did_you_mean
from common.units import FARADAY_C_PER_MOL, parse_unit
from sync.coupling import BaselineReadout, IntervalCoupling
from sync.errors import CouplingError

__all__ = [
    "COUPLINGS",
    "COUPLING_MODES",
    "CalciumCoupling",
    "ConcentrationDifferenceCoupling",
    "InfluxCoupling",
    "WeightCoupling",
    "calcium_coupling_class",
    "charge_to_mol",
    "concentration_change_to_mol",
]

_CHARGE = (0, 0, 1, 1)  # C = A s
_CONC = (1, -3, 0, 0)  # mol/m3
_CONC_FLUX = (1, -3, -1, 0)  # mol/(m3 s)
_AMOUNT_FLUX = (1, 0, -1, 0)  # mol/s


def charge_to_mol(q_c: float) -> float:
    """Calcium charge [C, inward < 0] -> calcium that entered [mol]."""
    # Ca2+ carries 2 elementary charges: n = -Q / (2 F); inward current is negative
    return -q_c / (2.0 * FARADAY_C_PER_MOL)


def concentration_change_to_mol(dc_mM: float, volume_um3: float) -> float:
    """Change of a concentration [mM] in a volume [um3] -> amount [mol]."""
    # mM = 1e-3 mol/L; um3 = 1e-15 L  ->  dc * 1e-3 * V * 1e-15 mol
    return dc_mM * 1e-3 * volume_um3 * 1e-15


def _dims(unit: str, what: str) -> tuple[float, tuple[int, int, int, int]]:
    try:
        return parse_unit(unit)
    except ValueError as exc:
        raise CouplingError(f"{what}: unit {unit!r}: {exc}") from None


def _electrical_port(electrical, name: str, where: str):
    try:
        return electrical.port(name)
    except LookupError as exc:
        raise CouplingError(f"{where}: {exc}") from None


def _where(instance) -> str:
    return f"spine {instance.spine!r} (instance {instance.name})"


class CalciumCoupling(IntervalCoupling):
    """Spine calcium -> pathway calcium input, for one spine: the common part of the rules.

    Use a rule: :class:`InfluxCoupling` or :class:`ConcentrationDifferenceCoupling`
    (or :func:`calcium_coupling_class` for the name of one).

    Parameters
    ----------
    electrical : electrical.component.ElectricalComponent
    instance : biochem.PathwayInstance
    charge_port : str
        Electrical integral port: calcium charge into head + PSD [a charge unit].
    concentration_port : str
        Electrical probe port: free head calcium [a concentration unit].
    head_volume_um3 : float
        Volume the electrical concentration refers to [um3].
    pathway_volume_l : float
        Volume [L] a concentration flux into the pathway refers to.
    ca_in_port, pump_port, leak_port : str
        Pathway ports; the pump and leak are switched by concentration-difference,
        and set for the equilibration by both rules when present (None: the
        pathway has none).
    pump_vmax, leak_vmax : float
        Their values outside windows, in their ports' units (default: the
        pathway's values).
    sample_span_ms : float, optional
        concentration-difference only: measure the change of concentration over
        the last ``sample_span_ms`` of each interval (still divided by the whole
        interval).  The original sampled 0.9 ms back and divided by 1 ms
        (MODEL.md 8.3, "sampling mismatch"); ``0.9`` reproduces that.  Default:
        the whole interval.
    local_electrical : bool
        This rank computes the spine's compartments (its electrical ports exist
        here and are checked).
    """

    #: The name of the rule at the user API (``Cosimulation(coupling=...)``).
    mode: ClassVar[str] = ""
    #: The rule switches the pathway's pump and leak (they must exist).
    needs_pump_and_leak: ClassVar[bool] = False

    def __init__(
        self,
        electrical,
        instance,
        *,
        charge_port: str,
        concentration_port: str,
        head_volume_um3: float,
        pathway_volume_l: float,
        ca_in_port: str = "ca_in",
        pump_port: str | None = "ca_pump_vmax",
        leak_port: str | None = "ca_leak_vmax",
        pump_vmax: float | None = None,
        leak_vmax: float | None = None,
        sample_span_ms: float | None = None,
        local_electrical: bool = True,
    ) -> None:
        where = _where(instance)
        # electrical side: a charge and a concentration (checked on the rank that owns them)
        self._charge_si = self._conc_si = 1.0
        if local_electrical:
            self._check_electrical(electrical, where, charge_port, concentration_port)
        self.charge_port = charge_port
        self.concentration_port = concentration_port
        self._check_pathway(where, instance, ca_in_port, pump_port, leak_port,
                            head_volume_um3, pathway_volume_l)  # fmt: skip
        super().__init__(electrical, instance, input_port=ca_in_port,
                         sample_span_ms=sample_span_ms)  # fmt: skip
        self.pump_vmax = instance.get(self.pump_port) if pump_vmax is None and self.pump_port \
            else pump_vmax  # fmt: skip
        self.leak_vmax = instance.get(self.leak_port) if leak_vmax is None and self.leak_port \
            else leak_vmax  # fmt: skip

    def _check_electrical(self, electrical, where: str, charge_port: str,
                          concentration_port: str) -> None:  # fmt: skip
        cp = _electrical_port(electrical, charge_port, where)
        f, d = _dims(cp.unit, f"{where}: electrical port {charge_port!r}")
        if d != _CHARGE or cp.kind != "integral":
            raise CouplingError(
                f"{where}: electrical port {charge_port!r} must be an integral of a charge "
                f"(e.g. nA*ms), it is a {cp.kind} in {cp.unit!r}"
            )
        self._charge_si = f
        kp = _electrical_port(electrical, concentration_port, where)
        f, d = _dims(kp.unit, f"{where}: electrical port {concentration_port!r}")
        if d != _CONC:
            raise CouplingError(
                f"{where}: electrical port {concentration_port!r} must be a concentration "
                f"(e.g. mM), it is in {kp.unit!r}"
            )
        self._conc_si = f

    def _check_pathway(self, where, instance, ca_in_port, pump_port, leak_port,
                       head_volume_um3, pathway_volume_l) -> None:  # fmt: skip
        # pathway side: a flux of amount or of concentration
        ports = instance.ports()
        if not self.needs_pump_and_leak:  # pump and leak are only set for the equilibration
            pump_port = pump_port if pump_port in ports else None
            leak_port = leak_port if leak_port in ports else None
        for name in (ca_in_port, pump_port, leak_port):
            if name is not None and name not in ports:
                raise CouplingError(
                    f"{where}: the pathway has no port {name!r}{did_you_mean(name, ports)}; "
                    f"declare it (Pathway(..., ports={{{name!r}: ...}}))"
                )
            if name is not None and not ports[name].writable:
                raise CouplingError(f"{where}: pathway port {name!r} is read-only")
        spec = ports[ca_in_port]
        f, d = _dims(spec.unit, f"{where}: pathway port {ca_in_port!r}")
        if d == _CONC_FLUX:
            self._flux_kind = "concentration"
        elif d == _AMOUNT_FLUX:
            self._flux_kind = "amount"
        else:
            raise CouplingError(
                f"{where}: pathway port {ca_in_port!r} is in {spec.unit!r}; a calcium input "
                "must be a flux of concentration (M/s) or of amount (mol/s)"
            )
        self._flux_si = f
        if self.needs_pump_and_leak and (pump_port is None or leak_port is None):
            raise CouplingError(
                f"{where}: {self.mode} switches the pathway's pump and leak off "
                "during windows; give pump_port and leak_port"
            )
        for name, value in (("head_volume_um3", head_volume_um3),
                            ("pathway_volume_l", pathway_volume_l)):  # fmt: skip
            if not (isinstance(value, int | float) and value > 0):
                raise CouplingError(f"{where}: {name} = {value!r} must be a positive number")
        self.head_volume_um3 = float(head_volume_um3)
        self.pathway_volume_l = float(pathway_volume_l)
        self.pump_port = pump_port
        self.leak_port = leak_port

    @property
    def ca_in_port(self) -> str:
        """The pathway's calcium input port (:attr:`input_port`)."""
        return self.input_port

    # -- arithmetic ----------------------------------------------------------------------
    def read_electrical(self) -> tuple[float, float]:
        """(charge [C], concentration [mol/m3 = mM]) now, from the electrical ports.

        Only the rank that owns the spine's compartments can read them; the
        values are in SI so that any rank can use them.
        """
        return (self.electrical.get(self.charge_port) * self._charge_si,
                self.electrical.get(self.concentration_port) * self._conc_si)  # fmt: skip

    def entered_amount(self, daccumulated: float) -> float:
        """Charge [C] -> calcium [mol]."""
        return charge_to_mol(daccumulated)

    def amount_to_input(self, n: float, dt_s: float) -> float:
        """Amount [mol] delivered over dt_s -> the ca_in value, in its unit."""
        if self._flux_kind == "amount":
            return n / dt_s / self._flux_si  # mol/s -> port unit
        # mol / (V [L] * 1e-3 m3/L) / s = mol/(m3 s) -> port unit
        return n / (self.pathway_volume_l * 1e-3) / dt_s / self._flux_si

    def input_to_amount(self, value: float, dt_s: float) -> float:
        if self._flux_kind == "amount":
            return value * self._flux_si * dt_s
        return value * self._flux_si * (self.pathway_volume_l * 1e-3) * dt_s

    def uncoupled_inputs(self) -> dict[str, float]:
        """No calcium input; pump and leak (where the pathway has them) at their values."""
        out = {self.input_port: 0.0}
        for port, value in ((self.pump_port, self.pump_vmax), (self.leak_port, self.leak_vmax)):
            if port is not None and value is not None:
                out[port] = value
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} spine={self.instance.spine!r}>"


class InfluxCoupling(CalciumCoupling):
    """The calcium charge that entered, delivered over the same interval (mass-conserving)."""

    mode = "influx"
    follows_tails = True
    window_sets_inputs = False
    uses_level = False

    def interval_amount(self, entered: float, dlevel: float, window: bool) -> float:
        return entered


class ConcentrationDifferenceCoupling(CalciumCoupling):
    """The change of free head calcium in windows, pump and leak off (TimeScales)."""

    mode = "concentration-difference"
    needs_pump_and_leak = True
    follows_tails = False
    window_sets_inputs = True
    uses_level = True

    def interval_amount(self, entered: float, dlevel: float, window: bool) -> float:
        # dlevel in mol/m3, the same as mM
        return concentration_change_to_mol(dlevel, self.head_volume_um3) if window else 0.0

    def window_inputs(self, window: bool) -> dict[str, float]:
        return {self.pump_port: 0.0 if window else self.pump_vmax,
                self.leak_port: 0.0 if window else self.leak_vmax}  # fmt: skip


#: The calcium coupling rules by their user-API name.
COUPLINGS: dict[str, type[CalciumCoupling]] = {
    cls.mode: cls for cls in (InfluxCoupling, ConcentrationDifferenceCoupling)
}
COUPLING_MODES: tuple[str, ...] = tuple(COUPLINGS)


def calcium_coupling_class(mode: str, what: str = "coupling") -> type[CalciumCoupling]:
    """The rule named ``mode`` (``"influx"`` or ``"concentration-difference"``)."""
    try:
        return COUPLINGS[mode]
    except (KeyError, TypeError):
        raise CouplingError(
            f"{what} = {mode!r}{did_you_mean(mode, COUPLING_MODES)}; use one of "
            f"{list(COUPLING_MODES)}"
        ) from None


class WeightCoupling(BaselineReadout):
    """Pathway read-out / baseline -> an electrical connection weight, for one spine.

    Parameters
    ----------
    instance : biochem.PathwayInstance
    electrical : electrical.component.ElectricalComponent
    weight_port : str
        Electrical weight port (the AMPA connection).
    read_port : str
        Pathway port read (AMPAR_P).
    local_electrical : bool
        This rank computes the spine's synapse (its weight port is checked here).
    """

    def __init__(self, instance, electrical, *, weight_port: str, read_port: str = "AMPAR_P",
                 local_electrical: bool = True):  # fmt: skip
        where = _where(instance)
        ports = instance.ports()
        if read_port not in ports:
            raise CouplingError(
                f"{where}: the pathway has no port {read_port!r}{did_you_mean(read_port, ports)}"
                "; the weight needs a read-out such as AMPAR_P"
            )
        if local_electrical and _electrical_port(electrical, weight_port, where).kind != "weight":
            raise CouplingError(f"{where}: electrical port {weight_port!r} is not a weight")
        super().__init__(instance, electrical, weight_port=weight_port, read_port=read_port)
