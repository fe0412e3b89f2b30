"""Unit strings and the named conversions of biochem.units."""

from __future__ import annotations

import pytest

from biochem import units

# Conversions are a few float operations: agreement to round-off.
CONVERSION_RTOL = 1e-14
# E-Cell's Avogadro constant, used by the spine pathway (MODEL.md 7.1).
ECELL_NA_PER_MOL = 6.0221367e23


@pytest.mark.parametrize(
    ("a", "b"),
    [("M", "mol/L"), ("1/(M*s)", "L/(mol*s)"), ("M/s", "mol/(L*s)"), ("uM", "1e-6*M"),
     ("um3", "fL"), ("mM", "mol/m^3"), ("dimensionless", "1")],
)  # fmt: skip
def test_same_unit(a, b):
    assert units.same_unit(a, b)


@pytest.mark.parametrize(("a", "b"), [("M", "mM"), ("M/s", "M"), ("s", "ms"), ("mol", "M")])
def test_different_units(a, b):
    assert not units.same_unit(a, b)


@pytest.mark.parametrize("bad", ["", "Mol", "M/(s", "M**2", "M s"])
def test_bad_unit_strings(bad):
    with pytest.raises(ValueError):
        units.parse_unit(bad)


def test_reference_conversions():
    """The sbml README's worked examples."""
    # 1e6 molecules/s into 1e-15 L is 1.6605e-3 M/s
    flux = units.molecule_flux_to_molar_flux(1e6, 1e-15, ECELL_NA_PER_MOL)
    assert flux == pytest.approx(1e6 / 6.0221367e8, rel=CONVERSION_RTOL)
    assert flux == pytest.approx(1.6605e-3, rel=1e-4)
    # 100 molecules of AMPAR_P in 1 fL is 1.660540e-7 M
    conc = units.molecules_to_molar(100, 1e-15, ECELL_NA_PER_MOL)
    assert conc == pytest.approx(1.660540e-7, rel=1e-6)
    assert units.molar_to_molecules(conc, 1e-15, ECELL_NA_PER_MOL) == pytest.approx(100)
    # an inward current of -2F*V A gives +1 M/s
    v_l = units.um3_to_litre(1.08434)
    i_a = -2 * units.FARADAY_C_PER_MOL * v_l
    assert units.ca_current_to_molar_flux(i_a, v_l) == pytest.approx(1.0, rel=CONVERSION_RTOL)
    assert v_l == pytest.approx(1.08434e-15, rel=CONVERSION_RTOL)
