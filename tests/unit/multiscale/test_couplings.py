"""The MSN coupling rules (multiscale.couplings): names, flags, unit checks, conversions.

The pathway side is a real (tiny) roadrunner pathway; the electrical side is not
built (``local_electrical=False``: its ports live on another rank), it is covered
by tests/cosim.
"""

from __future__ import annotations

import pytest

from biochem import Pathway, Port
from multiscale.couplings import (
    COUPLING_MODES,
    CalciumCoupling,
    ConcentrationDifferenceCoupling,
    InfluxCoupling,
    WeightCoupling,
    calcium_coupling_class,
    charge_to_mol,
    concentration_change_to_mol,
)
from sync import CouplingError

# Unit conversions are products of a few factors: round-off only.
CONVERSION_RTOL = 1e-14

METER = """
model meter
  compartment Spine = 1e-15
  species ca_total in Spine = 0
  species AMPAR_P in Spine = 2.5e-8
  ca_in = 0
  pump = 3
  leak = 4
  J0: -> ca_total; Spine * ca_in
end
"""


def _pathway(ca_unit: str = "M/s", pump: bool = False) -> Pathway:
    ports = {
        "ca_in": Port("ca_in", "value", ca_unit, "in"),
        "AMPAR_P": Port("AMPAR_P", "concentration", "M", "out"),
    }
    if pump:
        ports["ca_pump_vmax"] = Port("pump", "value", "M/s", "in")
        ports["ca_leak_vmax"] = Port("leak", "value", "M/s", "in")
    return Pathway.from_antimony(METER, ports=ports)


def _coupling(cls, pathway: Pathway, **kw):
    inst = pathway.instance("spine1", spine="spine1")
    args = {"charge_port": "q", "concentration_port": "c", "head_volume_um3": 1.0,
            "pathway_volume_l": 1e-15, "local_electrical": False}  # fmt: skip
    return cls(None, inst, **{**args, **kw})


def test_rule_names_map_to_classes_with_the_flags_the_synchroniser_uses():
    assert COUPLING_MODES == ("influx", "concentration-difference")
    assert calcium_coupling_class("influx") is InfluxCoupling
    assert calcium_coupling_class("concentration-difference") is ConcentrationDifferenceCoupling
    assert InfluxCoupling.follows_tails and not InfluxCoupling.window_sets_inputs
    cd = ConcentrationDifferenceCoupling
    assert not cd.follows_tails and cd.window_sets_inputs and cd.uses_level
    with pytest.raises(CouplingError, match="did you mean 'influx'"):
        calcium_coupling_class("influxx")
    with pytest.raises(TypeError, match="abstract"):  # the common part is not a rule
        _coupling(CalciumCoupling, _pathway())


def test_influx_sets_pump_and_leak_only_for_the_equilibration_when_present():
    plain = _coupling(InfluxCoupling, _pathway())
    assert plain.pump_port is None and plain.uncoupled_inputs() == {"ca_in": 0.0}
    with_pump = _coupling(InfluxCoupling, _pathway(pump=True))
    assert with_pump.uncoupled_inputs() == {"ca_in": 0.0, "ca_pump_vmax": 3.0,
                                            "ca_leak_vmax": 4.0}  # fmt: skip
    assert with_pump.window_inputs(True) == {}
    assert with_pump.interval_amount(2.0, 5.0, window=False) == 2.0


def test_concentration_difference_switches_pump_and_leak_in_windows():
    with pytest.raises(CouplingError, match="pump"):
        _coupling(ConcentrationDifferenceCoupling, _pathway())
    cd = _coupling(ConcentrationDifferenceCoupling, _pathway(pump=True), pump_vmax=7.0)
    assert cd.window_inputs(True) == {"ca_pump_vmax": 0.0, "ca_leak_vmax": 0.0}
    assert cd.window_inputs(False) == {"ca_pump_vmax": 7.0, "ca_leak_vmax": 4.0}
    assert cd.interval_amount(2.0, 1e-3, window=False) == 0.0
    assert cd.interval_amount(2.0, 1e-3, window=True) == concentration_change_to_mol(1e-3, 1.0)


def test_bad_units_ports_and_spans_are_refused_with_the_fix():
    with pytest.raises(CouplingError, match="flux of concentration"):
        _coupling(InfluxCoupling, _pathway(ca_unit="M"))
    with pytest.raises(CouplingError, match="sample_span_ms applies"):
        _coupling(InfluxCoupling, _pathway(), sample_span_ms=0.9)
    with pytest.raises(CouplingError, match="must be a positive number"):
        _coupling(InfluxCoupling, _pathway(), pathway_volume_l=0.0)
    with pytest.raises(CouplingError, match="no port 'ca_inn'"):
        _coupling(InfluxCoupling, _pathway(), ca_in_port="ca_inn")
    inst = _pathway().instance("spine1", spine="spine1")
    with pytest.raises(CouplingError, match="no port 'AMPAR'"):
        WeightCoupling(inst, None, weight_port="w", read_port="AMPAR", local_electrical=False)


def test_conversions_round_trip():
    c = _coupling(InfluxCoupling, _pathway())
    n, dt_s = 3e-21, 1e-3
    value = c.amount_to_input(n, dt_s)
    # mol / (1e-15 L) / s = M/s
    assert value == pytest.approx(n / 1e-15 / dt_s, rel=CONVERSION_RTOL)
    assert c.input_to_amount(value, dt_s) == pytest.approx(n, rel=CONVERSION_RTOL)
    # an inward charge of -2F C brings one mole of Ca2+
    assert charge_to_mol(-2.0 * 96485.33212) == pytest.approx(1.0, rel=CONVERSION_RTOL)
    assert c.entered_amount(-1e-12) == charge_to_mol(-1e-12)
