"""A real third-party SBML file (BIOMD0000000183, Stefan et al. 2008, L2V3) loads and runs.

Expected values are those of ../shared/reference/sbml/base_BIOMD0000000183_check.txt
(libroadrunner, CVODE rtol 1e-10, atol 1e-16 mol/L per species, 0-10 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biochem import IntegratorSettings, Pathway, Port

pytestmark = pytest.mark.validation

REPO = Path(__file__).resolve().parents[2]
BIOMD = REPO.parent / "shared" / "reference" / "sbml" / "BIOMD0000000183.xml"

# Same settings as the published check, so the values agree to integration error.
CHECK_SETTINGS = IntegratorSettings(relative_tolerance=1e-10, absolute_tolerance_conc=1e-16)
# The check file prints 7 significant digits; allow a few units in the last one.
REL_TOL = 1e-5

# (SBML id, t = 1 s, t = 10 s) from base_BIOMD0000000183_check.txt
CHECK_VALUES = {
    "[species_1]": (9.424305e-06, 9.424168e-06),  # free Ca [M]
    "[species_33]": (6.985942e-05, 6.993138e-05),  # CaMKII [M]
    "[species_50]": (1.540794e-06, 1.468711e-06),  # PP2B [M]
    "parameter_28": (2.008307e-03, 9.803013e-04),  # CaMKIIbar
    "parameter_34": (3.700361e-02, 8.205560e-02),  # PP2Bbar
    "parameter_38": (9.997116e-01, 9.999088e-01),  # Rbar
    "parameter_48": (2.878334e00, 2.879021e00),  # moles_bound_ca_per_moles_cam
}


@pytest.fixture(scope="module")
def biomd() -> Pathway:
    if not BIOMD.is_file():
        pytest.skip(f"{BIOMD} is absent (../shared/reference beside the checkout)")
    return Pathway.from_file(
        BIOMD,
        integrator=CHECK_SETTINGS,
        ports={"ca": "[species_1]", "CaMKIIbar": Port("parameter_28", direction="out",
                                                       unit="dimensionless")},
    )  # fmt: skip


def test_description(biomd):
    assert (biomd.info.level, biomd.info.version) == (2, 3)
    assert len(biomd.species) == 67
    assert len(biomd.reactions) == 352
    assert len(biomd.parameters) == 61
    assert len(biomd.rules) == 46
    assert [c.id for c in biomd.compartments] == ["compartment_0"]
    assert biomd.compartments[0].size == pytest.approx(1e-15)
    assert biomd.units["substance"] == "mol"
    assert biomd.ports()["ca"].unit == "mol/L"
    assert biomd.ports()["CaMKIIbar"].assigned


def test_runs_like_published_check(biomd):
    inst = biomd.instance("biomd_0000")
    assert inst.get("ca") == pytest.approx(1e-5, rel=1e-12)
    ids = list(CHECK_VALUES)
    inst.advance_to(1.0)
    at_1s = inst.values(ids)
    inst.advance_to(10.0)
    at_10s = inst.values(ids)
    assert np.all(np.isfinite(at_10s))
    np.testing.assert_allclose(at_1s, [v[0] for v in CHECK_VALUES.values()], rtol=REL_TOL)
    np.testing.assert_allclose(at_10s, [v[1] for v in CHECK_VALUES.values()], rtol=REL_TOL)
    assert inst.get("CaMKIIbar") == at_10s[ids.index("parameter_28")]
