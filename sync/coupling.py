"""Couplings between the electrical spine and its pathway instance (DESIGN.md section 5).

Two couplings per biochemical spine, both unit-checked when built:

:class:`CalciumCoupling`
    Electrical spine calcium -> the pathway's calcium input flux (``ca_in``).

    ``influx`` (default, mass-conserving): the charge Q that entered the spine head
    and PSD through their calcium currents during an exchange interval (the
    running integral of (ica + ical) x area, exactly what the engine's calcium
    mechanisms received) becomes n = -Q/(2F) mol, delivered to the pathway as a
    constant flux n/(V dt) over the same interval.  The pathway integrates that
    interval after the electrical model has, so the calcium delivered equals the
    calcium that entered, interval by interval, with no lag.

    ``concentration-difference`` (the original TimeScales rule, MODEL.md 8.3): the
    change of free head [Ca] (cai + cali at head(0.5)) over the interval, as a
    constant flux: n = dc x V_head, with the pathway's pump and leak switched off
    during synchronisation windows and restored outside them, where ca_in = 0.

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

from common.units import FARADAY_C_PER_MOL, parse_unit

from .errors import CouplingError

__all__ = [
    "COUPLING_MODES",
    "CalciumCoupling",
    "WeightCoupling",
    "charge_to_mol",
    "concentration_change_to_mol",
]

COUPLING_MODES = ("influx", "concentration-difference")

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


class CalciumCoupling:
    """Spine calcium -> pathway calcium input, for one spine (see the module docstring).

    Parameters
    ----------
    mode : {"influx", "concentration-difference"}
    electrical : sync.ElectricalComponent
    instance : biochem.PathwayInstance
    charge_port : str
        Electrical integral port: calcium charge into head + PSD [a charge unit].
    concentration_port : str
        Electrical probe port: free head calcium [a concentration unit].
    head_volume_um3 : float
        Volume the electrical concentration refers to (concentration-difference).
    pathway_volume_l : float
        Volume [L] a concentration flux into the pathway refers to.
    ca_in_port, pump_port, leak_port : str
        Pathway ports; pump and leak are used by concentration-difference only
        (None: the pathway has none).
    pump_vmax, leak_vmax : float
        Their values outside windows, in their ports' units.
    sample_span_ms : float, optional
        concentration-difference only: measure the change of concentration over
        the last ``sample_span_ms`` of each interval (still divided by the whole
        interval).  The original sampled 0.9 ms back and divided by 1 ms
        (MODEL.md 8.3, "sampling mismatch"); ``0.9`` reproduces that.  Default:
        the whole interval.
    """

    def __init__(
        self,
        mode: str,
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
        if mode not in COUPLING_MODES:
            from common.errors import did_you_mean

            raise CouplingError(
                f"calcium coupling mode {mode!r}{did_you_mean(mode, COUPLING_MODES)}; use "
                f"one of {list(COUPLING_MODES)}"
            )
        self.mode = mode
        self.electrical = electrical
        self.instance = instance
        where = f"spine {instance.spine!r} (instance {instance.name})"
        # electrical side: a charge and a concentration (checked on the rank that owns them)
        self._charge_si = self._conc_si = 1.0
        if local_electrical:
            self._check_electrical(where, charge_port, concentration_port)
        self.charge_port = charge_port
        self.concentration_port = concentration_port
        self._check_pathway(where, mode, instance, ca_in_port, pump_port, leak_port,
                            head_volume_um3, pathway_volume_l, pump_vmax, leak_vmax,
                            sample_span_ms)  # fmt: skip

    def _check_electrical(self, where: str, charge_port: str, concentration_port: str) -> None:
        electrical = self.electrical
        cp = electrical.port(charge_port)
        f, d = _dims(cp.unit, f"{where}: electrical port {charge_port!r}")
        if d != _CHARGE or cp.kind != "integral":
            raise CouplingError(
                f"{where}: electrical port {charge_port!r} must be an integral of a charge "
                f"(e.g. nA*ms), it is a {cp.kind} in {cp.unit!r}"
            )
        self._charge_si = f
        kp = electrical.port(concentration_port)
        f, d = _dims(kp.unit, f"{where}: electrical port {concentration_port!r}")
        if d != _CONC:
            raise CouplingError(
                f"{where}: electrical port {concentration_port!r} must be a concentration "
                f"(e.g. mM), it is in {kp.unit!r}"
            )
        self._conc_si = f

    def _check_pathway(self, where, mode, instance, ca_in_port, pump_port, leak_port,
                       head_volume_um3, pathway_volume_l, pump_vmax, leak_vmax,
                       sample_span_ms) -> None:  # fmt: skip
        # pathway side: a flux of amount or of concentration
        ports = instance.ports()
        if mode == "influx":  # pump and leak are only set for the equilibration, when present
            pump_port = pump_port if pump_port in ports else None
            leak_port = leak_port if leak_port in ports else None
        for name in (ca_in_port, pump_port, leak_port):
            if name is not None and name not in ports:
                from common.errors import did_you_mean

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
        if mode == "concentration-difference" and (pump_port is None or leak_port is None):
            raise CouplingError(
                f"{where}: concentration-difference switches the pathway's pump and leak off "
                "during windows; give pump_port and leak_port"
            )
        for name, value in (("head_volume_um3", head_volume_um3),
                            ("pathway_volume_l", pathway_volume_l)):  # fmt: skip
            if not (isinstance(value, int | float) and value > 0):
                raise CouplingError(f"{where}: {name} = {value!r} must be a positive number")
        if sample_span_ms is not None:
            if mode != "concentration-difference":
                raise CouplingError(f"{where}: sample_span_ms applies to concentration-difference")
            if not (isinstance(sample_span_ms, int | float) and sample_span_ms > 0):
                raise CouplingError(f"{where}: sample_span_ms = {sample_span_ms!r} must be > 0")
        self.sample_span_ms = sample_span_ms
        self.head_volume_um3 = float(head_volume_um3)
        self.pathway_volume_l = float(pathway_volume_l)
        self.ca_in_port = ca_in_port
        self.pump_port = pump_port
        self.leak_port = leak_port
        self.pump_vmax = instance.get(pump_port) if pump_vmax is None and pump_port else pump_vmax
        self.leak_vmax = instance.get(leak_port) if leak_vmax is None and leak_port else leak_vmax
        self._last_charge = 0.0
        self._last_conc = 0.0
        self._knot = 0.0  # the input's value at the end of the last batch (deliver_series)
        #: Calcium that entered head + PSD while coupled [mol].
        self.entered_mol = 0.0
        #: Calcium delivered to the pathway through ca_in [mol].
        self.delivered_mol = 0.0

    # -- arithmetic ----------------------------------------------------------------------
    def _mol_to_port(self, n_mol: float, dt_s: float) -> float:
        """Amount delivered over dt_s -> the ca_in value, in its unit."""
        if self._flux_kind == "amount":
            return n_mol / dt_s / self._flux_si  # mol/s -> port unit
        # mol / (V [L] * 1e-3 m3/L) / s = mol/(m3 s) -> port unit
        return n_mol / (self.pathway_volume_l * 1e-3) / dt_s / self._flux_si

    def _port_to_mol(self, value: float, dt_s: float) -> float:
        if self._flux_kind == "amount":
            return value * self._flux_si * dt_s
        return value * self._flux_si * (self.pathway_volume_l * 1e-3) * dt_s

    # -- protocol used by the synchroniser -----------------------------------------------
    def read_electrical(self) -> tuple[float, float]:
        """(charge [C], concentration [mol/m3 = mM]) now, from the electrical ports.

        Only the rank that owns the spine's compartments can read them; the
        values are in SI so that any rank can use them.
        """
        return (self.electrical.get(self.charge_port) * self._charge_si,
                self.electrical.get(self.concentration_port) * self._conc_si)  # fmt: skip

    def start(self, values: tuple[float, float] | None = None) -> None:
        """Coupling begins now: the charge and concentration seen so far are the origin.

        ``values``: :meth:`read_electrical` of the rank that owns the spine's
        compartments (default: read here).
        """
        self._last_charge, self._last_conc = values or self.read_electrical()
        self._set_exchange_inputs(0.0, window=False)
        self._knot = 0.0

    def _set_exchange_inputs(self, ca_in: float, window: bool) -> None:
        inst = self.instance
        inst.set(self.ca_in_port, ca_in)
        if self.mode == "concentration-difference":
            inst.set(self.pump_port, 0.0 if window else self.pump_vmax)
            inst.set(self.leak_port, 0.0 if window else self.leak_vmax)

    def prepare_interval(self, dt_s: float, window: bool, base_conc: float | None = None,
                         values: tuple[float, float] | None = None) -> float:  # fmt: skip
        """Set the pathway's inputs for the interval just integrated electrically.

        Returns the amount [mol] it will deliver.  ``window`` says whether the
        interval lies in a synchronisation window (used by concentration-difference);
        ``base_conc`` is the concentration ``sample_span_ms`` before the end of
        the interval, when there is one (default: the start of the interval);
        ``values`` as in :meth:`start`.
        """
        value = self.interval_value(dt_s, window, base_conc, values)
        self._set_exchange_inputs(value, window)
        return self._port_to_mol(value, dt_s)

    def interval_value(self, dt_s: float, window: bool, base_conc: float | None = None,
                       values: tuple[float, float] | None = None) -> float:  # fmt: skip
        """The ca_in value (port unit) that delivers the interval just integrated.

        Reads the electrical side and books the calcium entered and delivered
        (arguments as in :meth:`prepare_interval`); sets nothing on the pathway.
        """
        q, c = values or self.read_electrical()
        entered = charge_to_mol(q - self._last_charge)
        self._last_charge = q
        self.entered_mol += entered
        base = self._last_conc if base_conc is None else base_conc
        dc = c - base  # mol/m3, the same as mM
        self._last_conc = c
        if self.mode == "influx":
            n = entered
        elif window:
            n = concentration_change_to_mol(dc, self.head_volume_um3)
        else:
            n = 0.0
        value = self._mol_to_port(n, dt_s) if dt_s > 0 else 0.0
        self.delivered_mol += self._port_to_mol(value, dt_s)
        return value

    def deliver_series(self, edges_s, means, window: bool) -> None:
        """Set the pathway's input to a continuous course through the bins' means.

        ``means[k]`` (from :meth:`interval_value`) is delivered exactly over
        ``[edges_s[k], edges_s[k+1])``.  The values at the edges are the harmonic
        means of the neighbouring bins (0 where the sign changes), the first one
        continues the previous course (clipped to [0, 3 means[0]]) and the last
        is the last mean: each bin's quadratic then keeps the sign of its mean
        (the Fritsch-Carlson condition for a monotone cumulative input), so an
        influx never becomes negative.
        """
        m = [float(x) for x in means]
        d = [0.0] * (len(m) + 1)
        d[0] = min(max(self._knot / m[0], 0.0), 3.0) * m[0] if m[0] != 0 else 0.0
        for k in range(1, len(m)):
            a, b = m[k - 1], m[k]
            d[k] = 2.0 * a * b / (a + b) if a * b > 0 else 0.0
        d[-1] = m[-1]
        self._knot = d[-1]
        self._set_exchange_inputs(0.0, window)  # pump and leak for the batch
        self.instance.set_series(self.ca_in_port, edges_s, m, d)

    def state(self) -> tuple:
        return (self._last_charge, self._last_conc, self.entered_mol, self.delivered_mol,
                self._knot)  # fmt: skip

    def set_state(self, st: tuple) -> None:
        (self._last_charge, self._last_conc, self.entered_mol, self.delivered_mol,
         self._knot) = st  # fmt: skip

    def __repr__(self) -> str:
        return f"<CalciumCoupling {self.mode} spine={self.instance.spine!r}>"


class WeightCoupling:
    """Pathway read-out / baseline -> an electrical connection weight, for one spine.

    Parameters
    ----------
    instance : biochem.PathwayInstance
    electrical : sync.ElectricalComponent
    weight_port : str
        Electrical weight port (the AMPA connection).
    read_port : str
        Pathway port read (AMPAR_P).
    """

    def __init__(self, instance, electrical, *, weight_port: str, read_port: str = "AMPAR_P",
                 local_electrical: bool = True):  # fmt: skip
        where = f"spine {instance.spine!r} (instance {instance.name})"
        ports = instance.ports()
        if read_port not in ports:
            from common.errors import did_you_mean

            raise CouplingError(
                f"{where}: the pathway has no port {read_port!r}{did_you_mean(read_port, ports)}"
                "; the weight needs a read-out such as AMPAR_P"
            )
        if local_electrical and electrical.port(weight_port).kind != "weight":
            raise CouplingError(f"{where}: electrical port {weight_port!r} is not a weight")
        self.instance = instance
        self.electrical = electrical
        self.weight_port = weight_port
        self.read_port = read_port
        self.baseline: float | None = None
        self.history_t_ms: list[float] = []
        self.history_w: list[float] = []

    def set_baseline(self) -> float:
        """The read-out now (after the biochemical equilibration) is weight 1."""
        b = self.instance.get(self.read_port)
        if not b > 0:
            raise CouplingError(
                f"spine {self.instance.spine!r}: {self.read_port} = {b!r} after the "
                "equilibration; the weight baseline must be positive"
            )
        self.baseline = b
        return b

    def apply(self, t_ms: float, set_electrical: bool = True) -> float:
        """Weight = read-out / baseline, kept in the history and set on the connection.

        With ``set_electrical=False`` the caller sets it (on the rank that owns the synapse).
        """
        w = self.instance.get(self.read_port) / self.baseline
        if set_electrical:
            self.electrical.set(self.weight_port, w)
        self.history_t_ms.append(t_ms)
        self.history_w.append(w)
        return w

    def state(self) -> tuple:
        return (self.baseline, list(self.history_t_ms), list(self.history_w))

    def set_state(self, st: tuple) -> None:
        self.baseline, t, w = st
        self.history_t_ms, self.history_w = list(t), list(w)

    def __repr__(self) -> str:
        return f"<WeightCoupling {self.read_port}/baseline spine={self.instance.spine!r}>"
