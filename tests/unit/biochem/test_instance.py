"""PathwayInstance: swapped state in a shared roadrunner equals separate roadrunners, bitwise."""

from __future__ import annotations

import textwrap
import tracemalloc

import numpy as np
import pytest
import roadrunner

from biochem import (
    InstanceArgumentError,
    IntegrationError,
    IntegratorSettings,
    InvalidStateError,
    Pathway,
    Port,
    PortSpecError,
    UnknownPortError,
)

# Issue target: <= 64 KiB per extra instance (the state arrays are ~1.5 KiB).
MAX_BYTES_PER_INSTANCE = 64 * 1024
N_MEMORY_INSTANCES = 200  # enough to average out allocator granularity

EVENTS = textwrap.dedent(
    """
    model ev
      unit substance = mole
      unit volume = litre
      unit time_unit = second
      compartment C = 1.5
      species S in C = 0
      x' = 1
      x = 0
      k = 1
      total := S + x
      J0: -> S; k
      E1: at (S > 2.5): S = 0, k = k + 1
    end
    """
)


@pytest.fixture(scope="module")
def spine() -> Pathway:
    return Pathway.spine("timescales")


@pytest.fixture(scope="module")
def events() -> Pathway:
    return Pathway.from_antimony(
        EVENTS,
        ports={"S": "[S]", "k": Port("k", unit="mol/s"), "total": Port("total", unit="M",
                                                                      direction="out")},
    )  # fmt: skip


def separate_roadrunner(pw: Pathway) -> roadrunner.RoadRunner:
    """A plain roadrunner of the same SBML with the pathway's integrator settings."""
    rr = roadrunner.RoadRunner(pw.sbml)
    s = pw.integrator
    integ = rr.integrator
    integ.relative_tolerance = s.relative_tolerance
    integ.maximum_num_steps = s.maximum_num_steps
    integ.absolute_tolerance = list(pw._rr.integrator.getAbsoluteToleranceVector())
    return rr


def all_concentrations(obj, ids) -> np.ndarray:
    if isinstance(obj, roadrunner.RoadRunner):
        return np.array([obj[f"[{s}]"] for s in ids])
    return obj.values([f"[{s}]" for s in ids])


def test_n_instances_equal_n_separate_roadrunners_bitwise(spine):
    """Interleaved instances with different inputs == dedicated roadrunners, bit for bit."""
    n = 3
    insts = spine.instances(n)
    rrs = [separate_roadrunner(spine) for _ in range(n)]
    inputs = [5e-3, 2e-4, 0.0]  # M/s: train pulse, constant flux, nothing
    grid = [0.2, 0.201, 0.202, 0.203, 0.205, 0.21, 0.3, 0.5]
    t = 0.0
    for k, t1 in enumerate(grid):
        for j in range(n):
            value = inputs[j] if k in (1, 2) else 0.0
            insts[j].set("ca_in", value)
            rrs[j]["ca_in"] = value
            insts[j].advance_to(t1)
            rrs[j].simulate(t, t1, 2)
        t = t1
    ids = list(rrs[0].model.getFloatingSpeciesIds())
    finals = []
    for inst, rr in zip(insts, rrs):
        ours = all_concentrations(inst, ids)
        theirs = all_concentrations(rr, ids)
        np.testing.assert_array_equal(ours, theirs)
        for rid in ("CaMKIIbar", "PP2Bbar", "totPP1"):
            assert inst.value(rid) == rr[rid]
        assert inst.t_s == rr.model.getTime() == grid[-1]
        finals.append(inst.get("ca"))
    assert len(set(finals)) == n  # the inputs really differed


def test_events_and_rate_rules_swap_exactly(events):
    """Event trigger state, rate rules and assignment rules survive swapping."""
    a, b = events.instances(2)
    b.set("S", 2.0)  # b is close to its trigger
    b.set("k", 3.0)
    ra, rb = separate_roadrunner(events), separate_roadrunner(events)
    rb["[S]"] = 2.0
    rb["k"] = 3.0
    t = 0.0
    for t1 in np.arange(1, 13) * 0.4:
        for inst, rr in ((a, ra), (b, rb)):
            inst.advance_to(float(t1))
            rr.simulate(t, float(t1), 2)
            assert inst.get("S") == rr["[S]"]
            assert inst.value("x") == rr["x"]
            assert inst.get("total") == rr["total"]
            assert inst.get("k") == rr["k"]
        t = float(t1)
    assert a.get("k") > 1 and b.get("k") > 4  # events fired (several times for b)
    assert a.value("x") == pytest.approx(4.8, rel=1e-9)  # x' = 1


def test_save_continue_equals_restore_continue(spine):
    inst = spine.instance("spine_0007", spine=7)
    inst.advance_to(0.5)
    inst.set("ca_in", 5e-3)
    inst.advance_to(0.502)
    blob = inst.save_state()
    assert len(blob) < 4096
    inst.set("ca_in", 0.0)
    inst.advance_to(0.6)
    first = inst.values(["[ca]", "[AMPAR_P]", "CaMKIIbar"])

    other = spine.instance("spine_0008")
    other.advance_to(0.1)  # different history, then restore
    other.restore_state(blob)
    assert other.t_s == 0.502
    assert other.get("ca_in") == 5e-3  # parameters are part of the state
    other.set("ca_in", 0.0)
    other.advance_to(0.6)
    np.testing.assert_array_equal(other.values(["[ca]", "[AMPAR_P]", "CaMKIIbar"]), first)

    inst.restore_state(blob)  # back in time on the same instance
    assert inst.t_s == 0.502
    inst.set("ca_in", 0.0)
    inst.advance_to(0.6)
    np.testing.assert_array_equal(inst.values(["[ca]", "[AMPAR_P]", "CaMKIIbar"]), first)


def test_set_takes_effect_and_reset(spine):
    inst = spine.instance("spine_0001")
    baseline = inst.get("ca")
    inst.set("ca_in", 5e-3)  # M/s
    inst.advance_to(0.002)
    assert inst.get("ca") > 100 * baseline  # a 2-ms pulse raises Ca into the uM range
    inst.set("ca", 1e-8)
    assert inst.get("ca") == 1e-8
    inst.set("ca_pump_vmax", 0.0)
    assert inst.get("ca_pump_vmax") == 0.0
    inst.reset()
    assert inst.t_s == 0.0 and inst.get("ca") == baseline and inst.get("ca_in") == 0.0
    assert inst.get("ca_pump_vmax") == 4e-3


def test_get_without_side_effects(spine):
    inst = spine.instance("spine_0002")
    inst.advance_to(0.01)
    blob = inst.save_state()
    for _ in range(3):
        inst.get("AMPAR_P")
        inst.value("CaMKIIbar")
    assert inst.save_state() == blob


def test_integration_error_names_instance_spine_and_time():
    # an oscillator of period 2*pi/100 s cannot cross 1000 s in 200 steps
    fast = Pathway.from_antimony(
        "model osc\n  A' = B\n  B' = -10000*A\n  A = 1\n  B = 0\nend\n",
        integrator=IntegratorSettings(maximum_num_steps=200),
    )
    inst = fast.instance("spine_0042", spine=42)
    inst.advance_to(0.001)
    with pytest.raises(
        IntegrationError, match=r"instance spine_0042 \(spine 42\).*t = 0\.001 s"
    ) as e:
        inst.advance_to(1000.0)
    assert "maximum_num_steps" in str(e.value)
    assert inst.t_s == 0.001  # state unchanged after a failure


def test_nonsense_arguments(spine):
    inst = spine.instance("spine_0003")
    inst.advance_to(1.0)
    with pytest.raises(InstanceArgumentError, match="before the instance time"):
        inst.advance_to(0.5)
    with pytest.raises(InstanceArgumentError, match="not finite"):
        inst.advance_to(float("nan"))
    with pytest.raises(InstanceArgumentError, match="must be a number"):
        inst.advance_to("soon")  # type: ignore[arg-type]
    with pytest.raises(InstanceArgumentError, match="not finite"):
        inst.set("ca_in", float("inf"))
    with pytest.raises(InstanceArgumentError, match="cannot be negative"):
        inst.set("ca", -1e-9)
    with pytest.raises(PortSpecError, match="output port"):
        inst.set("AMPAR_P", 1e-7)
    with pytest.raises(UnknownPortError, match="did you mean 'ca_in'"):
        inst.set("ca_inn", 0.0)
    with pytest.raises(UnknownPortError, match="did you mean 'ca'"):
        inst.get("Ca")
    with pytest.raises(UnknownPortError, match="no model value 'CaMKIIbarr'"):
        inst.value("CaMKIIbarr")
    with pytest.raises(InstanceArgumentError):
        spine.instance("")
    with pytest.raises(InstanceArgumentError):
        spine.instances(-1)
    inst.advance_to(1.0)  # same time: no-op
    assert inst.t_s == 1.0


def test_restore_rejects_foreign_or_corrupt_state(spine, events):
    blob = spine.instance("a").save_state()
    with pytest.raises(InvalidStateError, match="different model"):
        events.instance("b").restore_state(blob)
    with pytest.raises(InvalidStateError, match="corrupt"):
        spine.instance("c").restore_state(blob[:-8])
    with pytest.raises(InvalidStateError, match="not a biochem state"):
        spine.instance("d").restore_state(b"x" * len(blob))
    with pytest.raises(InvalidStateError, match="needs the bytes"):
        spine.instance("e").restore_state("state")  # type: ignore[arg-type]


def test_repr(spine):
    inst = spine.instance("spine_0003")
    inst.advance_to(1.5)
    assert repr(inst) == "<PathwayInstance name=spine_0003 t_s=1.5>"


def test_instances_are_small(spine):
    inst = spine.instance("probe")
    assert inst.nbytes() < 2048  # 129 amounts + 55 parameters, float64
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    many = spine.instances(N_MEMORY_INSTANCES)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown / len(many) < MAX_BYTES_PER_INSTANCE
