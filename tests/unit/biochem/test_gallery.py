"""Published SBML files of tests/data/sbml load unmodified and run (slow: large models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from biochem import Pathway, Port

pytestmark = pytest.mark.slow

GALLERY = Path(__file__).resolve().parents[2] / "data" / "sbml"
NAKANO = GALLERY / "MODEL1101170000_Nakano2010.xml"
FERNANDEZ = GALLERY / "BIOMD0000000153_Fernandez2006.xml"


@pytest.fixture(scope="module")
def nakano() -> Pathway:
    return Pathway.from_file(NAKANO, ports={"ca": "[Ca]", "ampar": "[Bulk_AMPAR]"})


def test_nakano2010_describes_itself(nakano):
    assert (nakano.info.level, nakano.info.version) == (2, 4)
    assert (len(nakano.species), len(nakano.reactions)) == (189, 225)
    assert (nakano.time_unit, nakano.seconds_per_time_unit) == ("s", 1.0)
    assert {c.id: c.size for c in nakano.compartments} == {"spine": 1e-15, "extra_cellular": 1.0}
    plain = {s.id for s in nakano.species if s.boundary and not s.constant}
    assert {"Ca", "ATP", "DA"} <= plain
    assert not any(r.variable == "Ca" for r in nakano.rules)
    assert nakano.port("ca").writable and nakano.port("ca").unit == "(1e-06*mol)/(L)"


def test_nakano2010_runs_with_calcium_driven_from_outside(nakano):
    inst = nakano.instance("spine_0001")
    assert inst.get("ca") == 0.06  # Ca_basal, uM
    inst.advance_to(1.0)  # a plain boundary species no longer breaks advance_to
    assert inst.get("ca") == 0.06
    rest = inst.save_state()
    baseline = inst.value("[CaM_Ca4]")
    inst.set("ca", 1.0)  # a 1-uM step
    inst.advance_to(1.5)
    assert inst.get("ca") == 1.0
    assert inst.value("[CaM_Ca4]") > 10 * baseline
    other = nakano.instance("spine_0002")
    other.restore_state(rest)
    assert other.get("ca") == 0.06 and other.t_s == 1.0


def test_fernandez2006_takes_calcium_as_a_flux_parameter():
    pw = Pathway.from_file(
        FERNANDEZ, ports={"ca": "[Ca]", "ca_in": Port("k57", unit="M/s", direction="in")}
    )
    assert (pw.info.level, pw.info.version, pw.time_unit) == (2, 1, "s")
    assert [(c.id, c.size) for c in pw.compartments] == [("Spine", 1e-15)]
    assert (len(pw.species), len(pw.reactions)) == (75, 152)
    inst = pw.instance("spine_0001")
    assert inst.get("ca_in") == 2.5e-8  # M/s, the file's basal influx
    inst.advance_to(10.0)
    rest = inst.get("ca")
    inst.set("ca_in", 1e-5)  # a 100-ms pulse of 10 uM/s
    inst.advance_to(10.1)
    assert inst.get("ca") > 10 * rest
