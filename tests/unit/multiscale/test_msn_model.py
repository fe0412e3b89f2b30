"""The MSN model's structure: sections, compartments, areas, spines, parameters, errors.

Numbers are MODEL.md's [verified] values (sections 1.2, 1.4, 6.1, 6.2).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from electrical.discretize import section_geometry
from electrical.errors import ModelError
from multiscale.msn import (
    MODES,
    MSN,
    MSNParameters,
    SpinePositionsError,
    load_spine_positions,
    spine_layout,
)
from multiscale.spine import CORRECTED_SPINE, TIMESCALES_SPINE, SpineParameters
from multiscale.stimulation import connect_spine_inputs, connect_timescales_stimuli

from ...conftest import REFERENCE

POSITIONS_DIR = REFERENCE / "msn"
needs_positions = pytest.mark.skipif(
    not (POSITIONS_DIR / "spine_positions.csv").is_file(),
    reason=f"published spine positions not found in {POSITIONS_DIR} (../shared beside the checkout)",
)

#: MODEL.md quotes areas to 0.1 um2 (cell) or 0.1 nm2 (spine parts): half a unit of the last digit.
CELL_AREA_ATOL_UM2 = 0.05
SPINE_AREA_ATOL_UM2 = 5e-5
#: Normalised positions are quoted to 4 decimals in MODEL.md 6.2.
POSITION_ATOL = 5e-5

#: MODEL.md 1.4: (spines, sections, compartments) per mode.
COUNTS = {"none": (0, 29, 221), "two": (2, 35, 231), "onebranch": (103, 338, 736),
          "all": (1504, 4541, 7741)}


def _area(sections) -> float:
    return float(sum(section_geometry(s)[0].sum() for s in sections))


@pytest.mark.parametrize(
    "mode", [m if m in ("none", "two") else pytest.param(m, marks=needs_positions) for m in MODES]
)
def test_counts_per_mode(mode):
    msn = MSN(mode)
    spines, sections, compartments = COUNTS[mode]
    assert MODES[mode] == spines == len(msn.spines)
    assert msn.n_sections == sections
    assert msn.n_compartments == compartments
    assert [s.name for s in msn.spines] == [f"spine{i}" for i in range(1, spines + 1)]


def test_zero_is_none():
    assert MSN("zero").mode == "none"


def test_topology_and_geometry():
    msn = MSN("none")
    assert [s.name for s in msn.cell_sections[:5]] == ["soma", "dend1", "dend2", "dend3", "dend4"]
    assert msn["dend1"].parent_x == 1.0 and msn["dend3"].parent_x == 0.0
    assert msn["dend3_1[0]"].parent is msn["dend3"]
    assert msn["dend3_1[2]"].parent is msn["dend3_1[0]"]
    assert {(s.L, s.diam, s.nseg) for s in msn.mid} == {(20.0, 1.0, 5)}
    assert {(s.L, s.diam, s.nseg) for s in msn.dist} == {(190.0, 0.5, 11)}
    assert {(s.Ra, s.cm) for s in msn.cell_sections} == {(100.0, 1.0)}


def test_area_timescales_geometry():
    """MODEL.md 1.2: the bare TimeScales geometry has 6647.6 um2."""
    assert _area(MSN("none").cell_sections) == pytest.approx(6647.6, abs=CELL_AREA_ATOL_UM2)


def test_area_template_geometry_by_override():
    """MODEL.md 1.2: the Wolf template geometry has 16342.3 um2 (mid+dist 14972.6)."""
    p = MSNParameters(mid_L=24.23, mid_diam=1.10, mid_nseg=1, dist_L=395.2, dist_diam=0.72)
    msn = MSN("none", params=p)
    assert msn.n_compartments == 189  # MODEL.md 1.4, template
    assert _area(msn.cell_sections) == pytest.approx(16342.3, abs=CELL_AREA_ATOL_UM2)
    assert _area(msn.mid + msn.dist) == pytest.approx(14972.6, abs=CELL_AREA_ATOL_UM2)


def test_spine_parts():
    """MODEL.md 6.1: areas, connection order, channels, E_K, Ra, synapses at PSD(0.5)."""
    msn = MSN("two")
    s = msn.spine(1)
    assert s.location.section.name == "dend3_1[1]" and s.location.x == 0.3
    assert msn.spine("spine2").location.x == 0.5
    for sec, want in ((s.neck, 0.4712), (s.head, 3.6914), (s.psd, 0.0785)):
        assert _area([sec]) == pytest.approx(want, abs=SPINE_AREA_ATOL_UM2)
    assert s.neck.parent is msn["dend3_1[1]"] and s.head.parent is s.neck
    assert s.psd.parent is s.head and s.head.parent_x == 1.0
    assert (s.neck.nseg, s.head.nseg, s.psd.nseg) == (3, 1, 1)
    assert (s.neck.Ra, s.head.Ra, s.psd.Ra) == (100.0, 35.4, 100.0)
    assert set(s.head.mechs) >= {"kir", "can", "caq", "car", "skkca"}
    assert set(s.psd.mechs) >= {"caL", "caL13"} and "kir" not in s.psd.mechs
    assert not any(sec.has("pas") for sec in s.sections)
    assert s.head.ion_value("ek") == -77.0 and msn.soma.ion_value("ek") == -90.0
    assert s.head.get("skkca.gkbar")[0] == 0.175 and s.psd.get("caL13.pbar")[0] == 1.7e-6
    assert s.ampa.location.section is s.psd and s.ampa.location.x == 0.5
    assert s.nmda.location.section is s.psd


def test_corrections_option():
    """MODEL.md 11.3 item 18 corrections, as one named option."""
    msn = MSN("two", corrections=True)
    s = msn.spine(1)
    assert msn.spine_params is CORRECTED_SPINE
    assert all(sec.has("pas") for sec in s.sections)
    assert s.head.ion_value("ek") == -90.0 and s.head.Ra == 150.0
    assert s.head.get("skkca.gkbar")[0] == 0.145
    assert MSN("two").spine_params is TIMESCALES_SPINE
    with pytest.raises(ModelError, match="not both"):
        MSN("two", spine_params=SpineParameters(), corrections=True)


def test_channel_distribution_and_override():
    """MODEL.md 3.4 values per group; kir everywhere; every parameter overridable."""
    msn = MSN("two")
    assert msn.soma.get("naf.gnabar")[0] == 1.5 and msn["dend2"].get("naf.gnabar")[0] == 0.0195
    assert msn.soma.has("krp") and not msn["dend1"].has("krp")
    assert msn["dend1_1[0]"].get("kaf.gkbar")[0] == 0.020584
    assert msn["dend1"].get("kaf.gkbar")[0] == 0.225
    kir = [sec.get("kir.gkbar")[0] for sec in msn.cell.sections if sec.has("kir")]
    assert len(kir) == 29 + 2 * 2 and set(kir) == {1.6e-4}
    assert all(sec.ion_value("cai") == 1e-3 and sec.ion_value("calo") == 5.0
               for sec in msn.cell.sections)
    p = dataclasses.replace(MSNParameters(), kir_gkbar=1.2e-4,
                            soma_channels={**MSNParameters().soma_channels, "naf": 1.0})
    m2 = MSN("none", params=p)
    assert m2.soma.get("naf.gnabar")[0] == 1.0 and m2["dend4_2[2]"].get("kir.gkbar")[0] == 1.2e-4
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.kir_gkbar = 1.0  # type: ignore[misc]


@needs_positions
def test_spine_numbering_matches_model_md():
    """MODEL.md 6.2: spine-number ranges per section ('all') and stimulated-spine sites."""
    msn = MSN("all", positions_dir=POSITIONS_DIR)
    ranges = {"dend1_1[0]": (1, 18), "dend4_2[0]": (127, 144), "dend1_1[1]": (145, 229),
              "dend1_1[2]": (485, 569), "dend2_2[2]": (570, 654), "dend1_2[1]": (825, 909),
              "dend4_2[1]": (1080, 1164), "dend1_2[2]": (1165, 1249), "dend4_1[2]": (1420, 1504)}
    for sec, (first, last) in ranges.items():
        numbers = [s.number for s in msn.spines if s.location.section.name == sec]
        assert numbers == list(range(first, last + 1)), sec
    sites = {1: ("dend1_1[0]", 0.0945), 2: ("dend1_1[0]", 0.1953), 531: ("dend1_1[2]", 0.3733),
             554: ("dend1_1[2]", 0.6276), 564: ("dend1_1[2]", 0.7759), 75: ("dend1_2[0]", 0.3141),
             96: ("dend2_2[0]", 0.4957)}
    for n, (sec, x) in sites.items():
        loc = msn.spine(n).location
        assert loc.section.name == sec and loc.x == pytest.approx(x, abs=POSITION_ATOL), n
    one = spine_layout("onebranch", POSITIONS_DIR)
    assert one[17] == ("dend3_1[0]", pytest.approx(0.9747, abs=POSITION_ATOL))
    assert one[18] == ("dend3_1[1]", pytest.approx(0.0011, abs=POSITION_ATOL))
    assert one[59][1] == pytest.approx(0.3225, abs=POSITION_ATOL)  # spine60
    # MODEL.md 6.2: the last ~10 % of every distal section is spine-free
    pos = load_spine_positions(POSITIONS_DIR)
    assert max(max(pos[f"distal_{i}"]) for i in range(4)) < 0.91


def test_missing_positions_error_names_file_and_fix(tmp_path):
    with pytest.raises(SpinePositionsError, match=r"spine_positions\.csv.*positions_dir"):
        MSN("onebranch", positions_dir=tmp_path)
    MSN("two", positions_dir=tmp_path)  # modes without positions do not need the file


def test_malformed_positions_file(tmp_path):
    (tmp_path / "spine_positions.csv").write_text("list,index,x\nmedial_0,0,0.5\n")
    with pytest.raises(SpinePositionsError, match="medial_0"):
        load_spine_positions(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spines": "three"}, "unknown spine mode"),
        ({"spines": 2}, "give one of"),
        ({"params": {"Ra": 100}}, "MSNParameters"),
        ({"spine_params": "big"}, "SpineParameters"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ModelError, match=match):
        MSN(**kwargs)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("dist_L", -1.0, "must be > 0"),
        ("mid_nseg", 0, "positive integer"),
        ("g_pas", float("nan"), "not finite"),
        ("Ra", "a lot", "not a number"),
        ("soma_channels", {"hh": 0.1}, "unknown channel 'hh'"),
        ("prox_channels", {"naf": -1.0}, ">= 0"),
    ],
)
def test_bad_parameters(field, value, match):
    with pytest.raises(ModelError, match=match):
        MSNParameters(**{field: value})


def test_bad_spine_parameters_and_locations():
    with pytest.raises(ModelError, match="head_diam"):
        SpineParameters(head_diam=0.0)
    msn = MSN("two")
    with pytest.raises(ModelError, match="on a spine"):
        msn.add_spine(msn.spine(1).head(0.5))
    with pytest.raises(LookupError, match="no section 'dend9'"):
        msn.add_spine(("dend9", 0.5))
    with pytest.raises(LookupError, match="no spine 7"):
        msn.spine(7)
    assert msn.add_spine(("dend1_1[1]", 0.25)).name == "spine3"


def test_stimulation_helpers_deliver_events():
    """TimeScales stimuli: first spike at t_stim + delay, +1 ms NetCon delay, both synapses."""
    msn = MSN("none")
    spine = msn.add_spine(("dend3_1[1]", 0.5))
    sim = msn.simulation()
    conns = connect_timescales_stimuli(
        sim, spine, [{"t_stim": 0.005, "numbers": 2, "delay": 0.005, "type": "ampa"},
                     {"t_stim": 0.005, "numbers": 1, "delay": 0.005, "type": "nmda"}])
    assert set(conns) == {"ampa", "nmda"} and conns["ampa"].delay_ms == 1.0
    ampa = sim.record("spkcnt", spine.ampa)
    nmda = sim.record("spkcnt", spine.nmda)
    msn.initialize(sim)
    sim.advance(20.0)
    t = ampa.t_ms
    # spikes at 10 and 15 ms (MODEL.md 5.2), events at 11 and 16 ms
    assert ampa.values[t < 11.0].max() == 0 and ampa.values[(t > 11.0) & (t < 16.0)].max() == 1
    assert ampa.values[-1] == 2 and nmda.values[-1] == 1
    with pytest.raises(ModelError, match="gaba"):
        connect_timescales_stimuli(sim, spine, [{"t_stim": 0.1, "numbers": 1, "delay": 0.01,
                                                 "type": "gaba"}])
    with pytest.raises(ModelError, match="Spine"):
        connect_spine_inputs(sim, msn.soma, [30.0])
    with pytest.raises(ModelError, match="'ampa' or 'nmda'"):
        connect_spine_inputs(sim, spine, [30.0], synapses=("glu",))


def test_rest_and_input_depolarise_head():
    """A run: rest near MODEL.md 14.1's -88.04 mV; a weight-1 input moves the head, not NaNs."""
    msn = MSN("none")
    spine = msn.add_spine(("dend3_1[1]", 0.5))
    sim = msn.simulation()
    connect_spine_inputs(sim, spine, [100.0])
    v = sim.record("v", msn.soma(0.5))
    vh = sim.record("v", spine.head(0.5))
    msn.initialize(sim)
    sim.advance(120.0)
    t = v.t_ms
    assert np.all(np.isfinite(vh.values))
    assert v.values[np.searchsorted(t, 100.0)] == pytest.approx(-88.0, abs=0.1)
    assert vh.values[t > 101.0].max() > -75.0 > vh.values[t < 101.0].max()
    assert math.isfinite(float(v.values[-1]))
