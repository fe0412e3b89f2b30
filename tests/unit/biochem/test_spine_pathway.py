"""The spine-pathway generator: shipped files, structure, variants, and the reference RHS."""

from __future__ import annotations

import math
from pathlib import Path

import libsbml
import numpy as np
import pytest

from biochem import Pathway, UnknownVariantError
from biochem import spine_pathway as sp

REPO = Path(__file__).resolve().parents[3]
REF_SBML = REPO.parent / "shared" / "reference" / "sbml" / "spine_camkii_timescales.xml"

# Family counts of MODEL.md 7.3 / the sbml README (timescales variant).
FAMILY_COUNTS = {
    "F1": 128, "F2": 128, "F3": 32, "F4": 32, "F5": 16, "F6": 16, "F7": 32, "F8": 31,
    "F9": 16, "F10": 32, "F11": 51, "F12": 3, "F13": 48, "F14": 2, "F16": 4, "F17": 1,
    "F18": 1, "F19": 1, "F21": 1, "F22": 1,
}  # fmt: skip
# Right-hand sides are the same sums of the same terms in another order: round-off only,
# relative to the gross flux through the species (the README's measure).
RHS_REL_TOL = 1e-12
N_RANDOM_STATES = 10  # random states for the RHS comparison (fixed seed)


def _family(r) -> str:
    return r.family.split()[0]


@pytest.mark.parametrize("variant", sp.VARIANTS)
def test_shipped_file_is_freshly_generated(variant):
    path = sp.shipped_path(variant)
    assert path.is_file(), "run python -m biochem.spine_pathway --write"
    assert path.read_text(encoding="utf-8") == sp.generate_sbml(variant), (
        f"{path} is stale; run python -m biochem.spine_pathway --write"
    )
    assert sp.check_shipped() == []


def test_family_counts_timescales():
    counts: dict[str, int] = {}
    for r in sp.reactions("timescales"):
        counts[_family(r)] = counts.get(_family(r), 0) + 1
    assert counts == FAMILY_COUNTS
    assert sum(counts.values()) == 576
    assert len(sp.species_ids()) == 129


def test_corrected_differs_in_exactly_the_four_quirks():
    ts = {r.rid: r for r in sp.reactions("timescales")}
    co = {r.rid: r for r in sp.reactions("corrected")}
    assert set(co) - set(ts) == {"F8_camR_ca2_AC_PP2B_bind"}  # reaction_197 restored
    changed = {rid for rid in ts if ts[rid] != co[rid]}
    assert changed == {"AMPAR_Dephosphorylation_831"}
    assert "totPP1a" in co["AMPAR_Dephosphorylation_831"].rate
    assert "totPP1 " in ts["AMPAR_Dephosphorylation_831"].rate
    phi_ts = {r[0]: r[1] for r in sp.assignment_rules("timescales")}["autophos_phi"]
    phi_co = {r[0]: r[1] for r in sp.assignment_rules("corrected")}["autophos_phi"]
    assert phi_co.startswith("piecewise(0,") and not phi_ts.startswith("piecewise")
    doc = libsbml.readSBMLFromString(sp.generate_sbml("corrected"))
    assert doc.getModel().getCompartment("Spine").getSize() == pytest.approx(
        sp.SPINE_HEAD_VOLUME_L, rel=1e-14
    )
    assert sp.SPINE_HEAD_VOLUME_L == pytest.approx(1.08434e-15, rel=1e-5)  # MODEL.md 6.1


@pytest.mark.parametrize("variant", sp.VARIANTS)
def test_generated_sbml_is_consistent(variant):
    doc = libsbml.readSBMLFromString(sp.generate_sbml(variant))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
    doc.checkConsistency()
    errors = [
        doc.getError(k).getMessage()
        for k in range(doc.getNumErrors())
        if doc.getError(k).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]
    assert errors == []


def test_phi_clamp_in_corrected_model():
    """Phi(0) = -0.001008 (MODEL.md F9): CaMKIIp goes negative in timescales, not in corrected."""
    ts = Pathway.spine("timescales").instance("a")
    co = Pathway.spine("corrected").instance("b")
    assert ts.value("autophos_phi") == pytest.approx(-0.001008, rel=1e-12)
    assert co.value("autophos_phi") == 0.0
    ts.advance_to(1.0)
    co.advance_to(1.0)
    # published: min CaMKIIpbar about -1.0e-5 near t = 1 s (sbml README, quirk 2)
    assert ts.value("CaMKIIpbar") == pytest.approx(-1.0e-5, rel=0.05)
    assert co.value("CaMKIIpbar") >= 0.0


def test_unknown_variant_suggests():
    with pytest.raises(UnknownVariantError, match="did you mean 'corrected'"):
        sp.generate_sbml("corected")
    with pytest.raises(LookupError):
        Pathway.spine("faithful")


def test_cli_check_and_print(capsys):
    assert sp.main(["--check"]) == 0
    assert sp.main(["--print", "timescales"]) == 0
    assert capsys.readouterr().out.startswith("<?xml")


def test_same_ode_as_reference_sbml():
    """Same species, same initial values and the same right-hand side as the reference."""
    if not REF_SBML.is_file():
        pytest.skip(f"{REF_SBML} is absent (../shared/reference beside the checkout)")
    import roadrunner

    ours = roadrunner.RoadRunner(sp.generate_sbml("timescales"))
    ref = roadrunner.RoadRunner(str(REF_SBML))
    ids = list(ref.model.getFloatingSpeciesIds())
    assert sorted(ours.model.getFloatingSpeciesIds()) == sorted(ids)
    assert ours.model.getNumReactions() == ref.model.getNumReactions() == 576
    for s in ids:
        assert ours[f"[{s}]"] == pytest.approx(ref[f"[{s}]"], rel=1e-15), s
    rng = np.random.default_rng(20080401)
    order = [list(ours.model.getFloatingSpeciesIds()).index(s) for s in ids]
    stoich = np.abs(np.array(ref.getFullStoichiometryMatrix()))
    for _ in range(N_RANDOM_STATES):
        conc = rng.uniform(0.0, 1e-5, len(ids))
        for rr in (ours, ref):
            for s, c in zip(ids, conc):
                rr.setValue(f"[{s}]", c)
        d_ours = np.array(ours.getRatesOfChange())[order]
        d_ref = np.array(ref.getRatesOfChange())
        gross = stoich @ np.abs(np.array(ref.getReactionRates()))
        np.testing.assert_array_less(np.abs(d_ours - d_ref), RHS_REL_TOL * gross + 1e-300)
    # the read-outs that feed the kinetics
    for rid in ("total_CaMKII_active", "totalCaMKII", "totPP1", "CaMKIIbar", "PP2Bbar", "Rbar"):
        assert ours[rid] == pytest.approx(ref[rid], rel=RHS_REL_TOL), rid


def test_constants_are_published_values():
    """A few constants against MODEL.md 7.3 (guards against editing slips)."""
    p = sp.PARAMETERS
    assert p["kon_ca"].value == 1e6
    assert p["koff_R_A"].value == pytest.approx(8.32e-6 * 1e6)
    assert p["kTR"].value == pytest.approx(p["kRT"].value / 20670, rel=1e-6)
    assert p["sqrt_c_A"].value == math.sqrt(0.00396)
    assert p["koff_PP2B"].value == 0.4
    assert p["KM_AMPAR_P"].value == 90.0001e-6
