"""Generator of the default spine pathway (CaM / CaMKII / PP1 / PKA / DARPP-32 / PP2B / AMPAR).

The model is built here, reaction family by reaction family, from the published scheme
and constants (Stefan, Edelstein & Le Novere 2008, BIOMD0000000183; the TimeScales spine
model ``biomd183_loop.eml`` of Mattioni & Le Novere 2013, as specified in the shared
MODEL.md section 7), and written as SBML Level 3 Version 2.  The files shipped in
``biochem/data/`` are produced by::

    python -m biochem.spine_pathway --write      # regenerate the shipped files
    python -m biochem.spine_pathway --check      # exit 1 if a shipped file is stale

Two variants are generated:

``timescales``
    Faithful to the E-Cell model used by every published TimeScales run, quirks
    included: ``reaction_197`` (PP2B binding to CaM with Ca at sites A and C) is
    missing while its reverse is present; the autophosphorylation polynomial
    Phi(x) is used as is, although it is negative for x < 0.0117; AMPAR
    dephosphorylation is catalysed by the conserved total PP1 (``totPP1``); the
    compartment is the E-Cell ``/Spine`` of 1e-15 L.
``corrected``
    The same model with the four quirks of MODEL.md section 11.2 fixed:
    ``reaction_197`` restored (detailed balance of the PP2B/CaM cycle), Phi clamped at
    >= 0, AMPAR dephosphorylated by active PP1 (``totPP1a``, the PP1 not inhibited by
    phospho-DARPP-32, the quantity the model's own read-out ``PP1abar`` calls
    active), and the compartment equal to the spine head, pi*(1.175/2)**2*1 um3 =
    1.08434 fL.  Initial concentrations are the same as in ``timescales``.

Units: concentrations in mol/L (M), time in s, amounts in mol; every kinetic law is
``Spine * (rate in M/s)``.  The calcium input ``ca_in`` is a flux in M/s.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import libsbml

__all__ = [
    "ECELL_AVOGADRO_PER_MOL",
    "ECELL_VOLUME_L",
    "SPINE_HEAD_VOLUME_L",
    "VARIANTS",
    "check_shipped",
    "generate_sbml",
    "shipped_path",
    "write_shipped",
]

VARIANTS = ("timescales", "corrected")

# --- geometry and constants (MODEL.md 7.1, 7.3 and 6.1) -----------------------------------
ECELL_VOLUME_L = 1e-15  # E-Cell /Spine SIZE [L]
#: spine head volume pi*(1.175 um/2)^2 * 1 um = 1.08434 um3; 1 um3 = 1e-15 L
SPINE_HEAD_VOLUME_L = math.pi * (1.175 / 2.0) ** 2 * 1.0 * 1e-15
ECELL_AVOGADRO_PER_MOL = 6.0221367e23  # E-Cell's N_A (differs from CODATA 2018 by 6e-6)

SITES = ("A", "B", "C", "D")

# Ca binding to CaM (Stefan et al. 2008): kon 1e6 /(M s) at every site and state;
# R-state koff = K_R * kon; T-state koff as written in the EML (= koff_R / c).
KON_CA = 1e6
KOFF_R = {"A": 8.32, "B": 0.0166, "C": 17.4, "D": 0.0145}
KOFF_T = {"A": 2101.01010101, "B": 4.19191919192, "C": 4393.93939394, "D": 3.66161616162}
C_SITE = 0.00396  # c = K_R / K_T, same for every site
K_RT = 1000000.00698  # R -> T of free CaM without Ca [1/s] (EML digits)
K_TR = 48.379294  # T -> R of free CaM without Ca [1/s] (= K_RT / L, L = 20670)

# Initial values in molecules in the 1e-15 L E-Cell compartment (the EML `Value`s, which
# E-Cell integrates; MODEL.md 7.2).  All other species start at 0.
INITIAL_MOLECULES = {
    "ca": 6.02,
    "camR": 0.8729,
    "camT": 18060.0,
    "CaMKII": 42140.0,
    "PP2B": 963.2,
    "D": 1806.0,
    "PKA": 7.224,
    "PP1a": 1204.0,
    "CBPslow": 12040.0,
    "CBPvslow": 12040.0,
    "AMPAR": 900.0,
    "AMPAR_P": 100.0,
}
CAM_TOTAL_MOLECULES = 18060.0  # the EML constant `cam_total`, denominator of moles_bound

# Phi(x) = sum_k P[k] x^k, CaMKII autophosphorylation polynomial (MODEL.md F9)
AUTOPHOS_POLY = (-0.001008, 0.05152, 2.998, -4.249, 3.128, -0.929)


@dataclass(frozen=True)
class _P:
    """A global parameter: value, SBML unit id, constant flag and description."""

    value: float
    unit: str
    doc: str
    constant: bool = True


PARAMETERS: dict[str, _P] = {
    "kon_ca": _P(KON_CA, "per_M_per_s", "Ca binding to CaM, every site and state (F1, F3)"),
    **{f"koff_R_{j}": _P(KOFF_R[j], "per_s", f"Ca release, R state, site {j} (F2)") for j in SITES},
    **{f"koff_T_{j}": _P(KOFF_T[j], "per_s", f"Ca release, T state, site {j} (F4)") for j in SITES},
    **{
        f"sqrt_c_{j}": _P(
            math.sqrt(C_SITE),
            "dimensionless",
            f"sqrt(c_{j}), c_{j} = K_R/K_T = {C_SITE}; the R<->T rates of CaM with Ca at "
            "sites S are kRT*prod(sqrt_c) and kTR/prod(sqrt_c) (F5, F6)",
        )
        for j in SITES
    },
    "kRT": _P(K_RT, "per_s", "R -> T, free CaM without Ca (F5)"),
    "kTR": _P(K_TR, "per_s", "T -> R, free CaM without Ca (F6)"),
    "kon_CaMKII": _P(3.2e6, "per_M_per_s", "CaMKII binding to R-state CaM (F7)"),
    "koff_CaMKII": _P(0.343, "per_s", "CaMKII release from R-state CaM (F7)"),
    "kon_PP2B": _P(4.6e7, "per_M_per_s", "PP2B binding to R-state CaM (F8)"),
    "koff_PP2B": _P(0.4, "per_s", "PP2B release from R-state CaM (F8)"),
    "k_autophos": _P(6.3, "per_s", "CaMKII autophosphorylation (F9)"),
    **{
        f"autophos_p{k}": _P(c, "dimensionless", f"coefficient of x^{k} in Phi(x) (F9)")
        for k, c in enumerate(AUTOPHOS_POLY)
    },
    "kon_CaMKIIp_CaM": _P(3.2e6, "per_M_per_s", "phospho-CaMKII binding to CaM (F10)"),
    "koff_CaMKIIp_CaM": _P(0.001, "per_s", "phospho-CaMKII release of CaM (F10)"),
    "kon_PP1_CaMKIIp": _P(3e6, "per_M_per_s", "PP1a binding to CaMKIIp (F11)"),
    "koff_PP1_CaMKIIp": _P(0.5, "per_s", "PP1a release of CaMKIIp (F11)"),
    "kcat_PP1_CaMKIIp": _P(2.0, "per_s", "PP1a dephosphorylation of CaMKIIp (F11)"),
    "kon_PKA_D": _P(5.6e6, "per_M_per_s", "PKA binding to DARPP-32/I-1 (F12)"),
    "koff_PKA_D": _P(10.8, "per_s", "PKA release of D (F12)"),
    "kcat_PKA_D": _P(2.7, "per_s", "PKA phosphorylation of D (F12)"),
    "kon_PP2B_Dp": _P(4.1e6, "per_M_per_s", "CaM-PP2B binding to Dp (F13)"),
    "koff_PP2B_Dp": _P(6.4, "per_s", "CaM-PP2B release of Dp (F13)"),
    "kcat_PP2B_Dp": _P(0.2, "per_s", "CaM-PP2B dephosphorylation of Dp (F13)"),
    "kon_PP1_Dp": _P(4e6, "per_M_per_s", "Dp binding to PP1a (F14)"),
    "koff_PP1_Dp": _P(0.4, "per_s", "Dp release from PP1a (F14)"),
    "kon_CBPslow": _P(1e7, "per_M_per_s", "Ca binding to the slow buffer (F16)"),
    "koff_CBPslow": _P(10.0, "per_s", "Ca release from the slow buffer (F16)"),
    "kon_CBPvslow": _P(1e6, "per_M_per_s", "Ca binding to the very slow buffer (F16)"),
    "koff_CBPvslow": _P(1.0, "per_s", "Ca release from the very slow buffer (F16)"),
    "ca_pump_vmax": _P(4e-3, "M_per_s", "Ca pump maximum rate (F17); port", constant=False),
    "ca_pump_km": _P(1e-6, "M", "Ca pump half-saturation (F17)"),
    "ca_leak_vmax": _P(4e-3, "M_per_s", "Ca leak maximum rate (F18); port", constant=False),
    "ca_leak_km": _P(1e-6, "M", "Ca leak half-saturation (F18)"),
    "ca_leak_c0": _P(1e-8, "M", "Ca leak reference concentration (F18)"),
    "ca_in": _P(0.0, "M_per_s", "Ca input flux into the spine (F19); port", constant=False),
    "kcat_AMPAR_P": _P(0.5, "per_s", "AMPAR Ser831 phosphorylation by active CaMKII (F21)"),
    "KM_AMPAR_P": _P(90.0001e-6, "M", "AMPAR phosphorylation Km (F21)"),
    "kcat_AMPAR_dP": _P(0.5, "per_s", "AMPAR dephosphorylation by PP1 (F22)"),
    "KM_AMPAR_dP": _P(2e-6, "M", "AMPAR dephosphorylation Km (F22)"),
    "N_A": _P(ECELL_AVOGADRO_PER_MOL, "per_mol", "Avogadro constant as used by E-Cell"),
    "cam_total": _P(
        CAM_TOTAL_MOLECULES / (ECELL_AVOGADRO_PER_MOL * ECELL_VOLUME_L),
        "M",
        "constant total CaM (18060 molecules in 1e-15 L), denominator of moles_bound",
    ),
}


# --- species naming (ids of the EML) ---------------------------------------------------
def _subsets() -> list[tuple[str, ...]]:
    """Occupied-site sets S in the order 0, A, B, C, D, AB, AC, ..., ABCD."""
    return [s for n in range(5) for s in itertools.combinations(SITES, n)]


def cam(state: str, s: tuple[str, ...]) -> str:
    """Id of free CaM in state 'R' or 'T' with Ca at the sites ``s``."""
    return f"cam{state}" if not s else f"cam{state}_ca{len(s)}_{''.join(s)}"


def _r_cplx(s: tuple[str, ...], partner: str) -> str:
    return f"{cam('R', s)}_{partner}"


def _dp_pp2b(s: tuple[str, ...]) -> str:
    return f"Dp_{cam('R', s)}_PP2B"


FREE_FORMS = (
    "CaMKII", "CaMKIIp", "CaMKIIp_PP1a", "PP2B", "D", "Dp", "D_PKA", "PKA", "PP1a",
    "PP1a_Dp", "CBPslow", "CBPslowca", "CBPvslow", "CBPvslowca", "AMPAR", "AMPAR_P",
)  # fmt: skip


def species_ids() -> list[str]:
    """All 129 species ids, in the order written to the SBML file."""
    subsets = _subsets()
    ids = ["ca"]
    ids += [cam("R", s) for s in subsets]
    ids += [cam("T", s) for s in subsets]
    for partner in ("CaMKII", "CaMKIIp", "CaMKIIp_PP1a", "PP2B"):
        ids += [_r_cplx(s, partner) for s in subsets]
    ids += [_dp_pp2b(s) for s in subsets]
    ids += list(FREE_FORMS)
    return ids


# --- reactions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rxn:
    rid: str
    family: str
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: str  # rate in M/s, infix (libsbml L3 syntax); multiplied by Spine


def _mass_action(k: str, reactants: tuple[str, ...]) -> str:
    return " * ".join((k, *reactants))


def reactions(variant: str) -> list[_Rxn]:
    """All reactions of the variant, grouped by family (MODEL.md 7.3)."""
    _check_variant(variant)
    subsets = _subsets()
    out: list[_Rxn] = []

    def add(rid, fam, reac, prod, rate):
        out.append(_Rxn(rid, fam, tuple(reac), tuple(prod), rate))

    # F1/F2: Ca on/off R-state CaM, free and bound to CaMKII, PP2B or CaMKIIp
    for partner in ("", "CaMKII", "PP2B", "CaMKIIp"):

        def name(s, partner=partner):
            return cam("R", s) if not partner else _r_cplx(s, partner)

        tag = partner or "free"
        for s in subsets:
            for j in SITES:
                if j in s:
                    continue
                s2 = tuple(sorted(s + (j,)))
                x, x2 = name(s), name(s2)
                add(f"F1_{x}_on_{j}", f"F1 Ca binding, R-state CaM ({tag})",
                    [x, "ca"], [x2], _mass_action("kon_ca", (x, "ca")))  # fmt: skip
                add(f"F2_{x2}_off_{j}", f"F2 Ca release, R-state CaM ({tag})",
                    [x2], [x, "ca"], _mass_action(f"koff_R_{j}", (x2,)))  # fmt: skip
    # F3/F4: Ca on/off T-state CaM (free only)
    for s in subsets:
        for j in SITES:
            if j in s:
                continue
            s2 = tuple(sorted(s + (j,)))
            x, x2 = cam("T", s), cam("T", s2)
            add(f"F3_{x}_on_{j}", "F3 Ca binding, T-state CaM", [x, "ca"], [x2],
                _mass_action("kon_ca", (x, "ca")))  # fmt: skip
            add(f"F4_{x2}_off_{j}", "F4 Ca release, T-state CaM", [x2], [x, "ca"],
                _mass_action(f"koff_T_{j}", (x2,)))  # fmt: skip
    # F5/F6: R <-> T of free CaM; the n-Ca rates carry c^(n/2) = prod(sqrt_c_j)
    for s in subsets:
        r, t = cam("R", s), cam("T", s)
        sq = " * ".join(f"sqrt_c_{j}" for j in s)
        k_rt = "kRT" if not s else f"kRT * {sq}"
        k_tr = "kTR" if not s else f"kTR / ({sq})"
        add(f"F5_{r}_to_T", "F5 R -> T, free CaM", [r], [t], f"{k_rt} * {r}")
        add(f"F6_{t}_to_R", "F6 T -> R, free CaM", [t], [r], f"{k_tr} * {t}")
    # F7: CaMKII + R_S <-> R_S-CaMKII
    for s in subsets:
        r, c = cam("R", s), _r_cplx(s, "CaMKII")
        add(f"F7_{c}_bind", "F7 CaMKII binding to R-state CaM", ["CaMKII", r], [c],
            _mass_action("kon_CaMKII", ("CaMKII", r)))  # fmt: skip
        add(f"F7_{c}_release", "F7 CaMKII release", [c], ["CaMKII", r],
            _mass_action("koff_CaMKII", (c,)))  # fmt: skip
    # F8: PP2B + R_S <-> R_S-PP2B; the loop EML lacks the binding step for S = {A, C}
    # (BIOMD0000000183's reaction_197).
    for s in subsets:
        r, c = cam("R", s), _r_cplx(s, "PP2B")
        if not (variant == "timescales" and s == ("A", "C")):
            add(f"F8_{c}_bind", "F8 PP2B binding to R-state CaM", ["PP2B", r], [c],
                _mass_action("kon_PP2B", ("PP2B", r)))  # fmt: skip
        add(f"F8_{c}_release", "F8 PP2B release", [c], ["PP2B", r],
            _mass_action("koff_PP2B", (c,)))  # fmt: skip
    # F9: autophosphorylation R_S-CaMKII -> R_S-CaMKIIp at k * Phi(x)
    for s in subsets:
        a, b = _r_cplx(s, "CaMKII"), _r_cplx(s, "CaMKIIp")
        add(f"F9_{a}_autophos", "F9 CaMKII autophosphorylation", [a], [b],
            f"k_autophos * autophos_phi * {a}")  # fmt: skip
    # F10: CaMKIIp + R_S <-> R_S-CaMKIIp
    for s in subsets:
        r, c = cam("R", s), _r_cplx(s, "CaMKIIp")
        add(f"F10_{c}_bind", "F10 CaM trapping by phospho-CaMKII", ["CaMKIIp", r], [c],
            _mass_action("kon_CaMKIIp_CaM", ("CaMKIIp", r)))  # fmt: skip
        add(f"F10_{c}_release", "F10 CaM release by phospho-CaMKII", [c], ["CaMKIIp", r],
            _mass_action("koff_CaMKIIp_CaM", (c,)))  # fmt: skip
    # F11: PP1a dephosphorylation of CaMKIIp and of the 16 R_S-CaMKIIp
    pairs = [("CaMKIIp", "CaMKII")] + [
        (_r_cplx(s, "CaMKIIp"), _r_cplx(s, "CaMKII")) for s in subsets
    ]
    for sub, prod in pairs:
        es = f"{sub}_PP1a"
        fam = "F11 PP1a dephosphorylation of CaMKIIp"
        add(f"F11_{es}_bind", fam, ["PP1a", sub], [es],
            _mass_action("kon_PP1_CaMKIIp", ("PP1a", sub)))  # fmt: skip
        add(f"F11_{es}_release", fam, [es], ["PP1a", sub], _mass_action("koff_PP1_CaMKIIp", (es,)))
        add(f"F11_{es}_cat", fam, [es], ["PP1a", prod], _mass_action("kcat_PP1_CaMKIIp", (es,)))
    # F12: PKA phosphorylation of D
    fam = "F12 PKA phosphorylation of DARPP-32/I-1"
    add("F12_D_PKA_bind", fam, ["D", "PKA"], ["D_PKA"], _mass_action("kon_PKA_D", ("D", "PKA")))
    add("F12_D_PKA_release", fam, ["D_PKA"], ["D", "PKA"], _mass_action("koff_PKA_D", ("D_PKA",)))
    add("F12_D_PKA_cat", fam, ["D_PKA"], ["Dp", "PKA"], _mass_action("kcat_PKA_D", ("D_PKA",)))
    # F13: R_S-PP2B dephosphorylation of Dp
    for s in subsets:
        e, es = _r_cplx(s, "PP2B"), _dp_pp2b(s)
        fam = "F13 CaM-PP2B dephosphorylation of Dp"
        add(f"F13_{es}_bind", fam, ["Dp", e], [es], _mass_action("kon_PP2B_Dp", ("Dp", e)))
        add(f"F13_{es}_release", fam, [es], ["Dp", e], _mass_action("koff_PP2B_Dp", (es,)))
        add(f"F13_{es}_cat", fam, [es], ["D", e], _mass_action("kcat_PP2B_Dp", (es,)))
    # F14: PP1 inhibition by Dp
    fam = "F14 PP1a inhibition by Dp"
    add("F14_PP1a_Dp_bind", fam, ["Dp", "PP1a"], ["PP1a_Dp"],
        _mass_action("kon_PP1_Dp", ("Dp", "PP1a")))  # fmt: skip
    add("F14_PP1a_Dp_release", fam, ["PP1a_Dp"], ["Dp", "PP1a"],
        _mass_action("koff_PP1_Dp", ("PP1a_Dp",)))  # fmt: skip
    # F16: Ca buffers
    for buf in ("CBPslow", "CBPvslow"):
        fam = "F16 Ca buffer"
        add(f"{buf}_ca_on", fam, ["ca", buf], [f"{buf}ca"], _mass_action(f"kon_{buf}", ("ca", buf)))
        add(f"{buf}_ca_off", fam, [f"{buf}ca"], ["ca", buf],
            _mass_action(f"koff_{buf}", (f"{buf}ca",)))  # fmt: skip
    # F17-F19: pump, leak and input
    add("ca_pump", "F17 Ca extrusion", ["ca"], [], "ca_pump_vmax * ca / (ca + ca_pump_km)")
    add("ca_leak", "F18 Ca leak", [], ["ca"],
        "ca_leak_vmax * ca_leak_c0 / (ca_leak_c0 + ca_leak_km)")  # fmt: skip
    add("ca_influx", "F19 Ca input", [], ["ca"], "ca_in")
    # F21/F22: AMPAR Ser831 phosphorylation cycle
    add("AMPAR_Phosphorylation_831", "F21 AMPAR phosphorylation by active CaMKII",
        ["AMPAR"], ["AMPAR_P"],
        "kcat_AMPAR_P * total_CaMKII_active * AMPAR / (AMPAR + KM_AMPAR_P)")  # fmt: skip
    enzyme = "totPP1" if variant == "timescales" else "totPP1a"
    add("AMPAR_Dephosphorylation_831", f"F22 AMPAR dephosphorylation by {enzyme}",
        ["AMPAR_P"], ["AMPAR"],
        f"kcat_AMPAR_dP * {enzyme} * AMPAR_P / (AMPAR_P + KM_AMPAR_dP)")  # fmt: skip
    return out


# --- assignment rules (MODEL.md 7.4) ------------------------------------------------------
def assignment_rules(variant: str) -> list[tuple[str, str, str, str]]:
    """(id, formula, unit, description) of the read-outs, in dependency order."""
    _check_variant(variant)
    subsets = _subsets()

    def total(ids):
        return " + ".join(ids)

    all_cam = {
        n: [cam("R", s) for s in subsets if len(s) == n]
        + [cam("T", s) for s in subsets if len(s) == n]
        + [
            _r_cplx(s, p)
            for p in ("CaMKII", "CaMKIIp", "CaMKIIp_PP1a", "PP2B")
            for s in subsets
            if len(s) == n
        ]
        + [_dp_pp2b(s) for s in subsets if len(s) == n]
        for n in range(5)
    }
    x = "total_CaMKII_active / totalCaMKII"
    p = AUTOPHOS_POLY
    horner = f"autophos_p{len(p) - 1}"
    for k in range(len(p) - 2, -1, -1):
        horner = f"autophos_p{k} + x * ({horner})"
    poly = horner.replace("x", f"({x})")
    phi = poly if variant == "timescales" else f"piecewise(0, {poly} < 0, {poly})"
    rules = [
        (
            "total_CaMKII_bound",
            total(_r_cplx(s, q) for q in ("CaMKII", "CaMKIIp", "CaMKIIp_PP1a") for s in subsets),
            "M",
            "CaMKII bound to CaM (all forms)",
        ),
        (
            "total_CaMKII_active",
            "total_CaMKII_bound + CaMKIIp + CaMKIIp_PP1a",
            "M",
            "active CaMKII (CaM-bound or phosphorylated)",
        ),
        ("totalCaMKII", "total_CaMKII_active + CaMKII", "M", "total CaMKII"),
        (
            "CaMKIIbar",
            "total_CaMKII_active / totalCaMKII",
            "dimensionless",
            "active fraction of CaMKII",
        ),
        (
            "total_CaMKIIp",
            total(
                ["CaMKIIp", "CaMKIIp_PP1a"]
                + [_r_cplx(s, q) for q in ("CaMKIIp", "CaMKIIp_PP1a") for s in subsets]
            ),
            "M",
            "phosphorylated CaMKII (all forms)",
        ),
        (
            "CaMKIIpbar",
            "total_CaMKIIp / totalCaMKII",
            "dimensionless",
            "phosphorylated fraction of CaMKII",
        ),
        (
            "autophos_phi",
            phi,
            "dimensionless",
            "Phi(x), x = total_CaMKII_active/totalCaMKII"
            + ("" if variant == "timescales" else ", clamped at >= 0"),
        ),
        (
            "total_PP2B_bound",
            total([_r_cplx(s, "PP2B") for s in subsets] + [_dp_pp2b(s) for s in subsets]),
            "M",
            "PP2B bound to CaM",
        ),
        ("totalPP2B", "total_PP2B_bound + PP2B", "M", "total PP2B"),
        (
            "PP2Bbar",
            "total_PP2B_bound / totalPP2B",
            "dimensionless",
            "CaM-bound (active) fraction of PP2B",
        ),
        (
            "totPP1a",
            total(["PP1a", "CaMKIIp_PP1a"] + [_r_cplx(s, "CaMKIIp_PP1a") for s in subsets]),
            "M",
            "active PP1 (not inhibited by Dp)",
        ),
        ("totPP1", "totPP1a + PP1a_Dp", "M", "total PP1"),
        ("PP1abar", "totPP1a / totPP1", "dimensionless", "active fraction of PP1"),
        (
            "totDp",
            total(["Dp", "PP1a_Dp"] + [_dp_pp2b(s) for s in subsets]),
            "M",
            "phospho-DARPP-32/I-1 (all forms)",
        ),
        ("totD", "totDp + D + D_PKA", "M", "total DARPP-32/I-1"),
        ("Dpbar", "totDp / totD", "dimensionless", "phosphorylated fraction of D"),
        ("camR_unbound", total(cam("R", s) for s in subsets), "M", "free R-state CaM"),
        (
            "totalcamR",
            "camR_unbound + total_CaMKII_bound + total_PP2B_bound",
            "M",
            "R-state CaM, free and bound",
        ),
        ("totalcamT", total(cam("T", s) for s in subsets), "M", "T-state CaM"),
        (
            "Rbar",
            "totalcamR / (totalcamR + totalcamT)",
            "dimensionless",
            "fraction of CaM in the R state",
        ),
        *[
            (f"cam_ca{n}_total", total(all_cam[n]), "M", f"CaM with {n} Ca bound (all forms)")
            for n in range(5)
        ],
        (
            "moles_bound_ca_per_moles_cam",
            "(4 * cam_ca4_total + 3 * cam_ca3_total + 2 * cam_ca2_total + cam_ca1_total) / cam_total",
            "dimensionless",
            "Ca bound per CaM (denominator: the constant cam_total)",
        ),
        (
            "AMPAR_P_molecules",
            "AMPAR_P * N_A * Spine",
            "dimensionless",
            "phosphorylated AMPAR as a molecule count",
        ),
    ]
    return rules


# --- SBML writing -------------------------------------------------------------------------
_UNITS = {
    "per_s": [(libsbml.UNIT_KIND_SECOND, -1)],
    "per_M_per_s": [
        (libsbml.UNIT_KIND_LITRE, 1),
        (libsbml.UNIT_KIND_MOLE, -1),
        (libsbml.UNIT_KIND_SECOND, -1),
    ],
    "M": [(libsbml.UNIT_KIND_MOLE, 1), (libsbml.UNIT_KIND_LITRE, -1)],
    "M_per_s": [
        (libsbml.UNIT_KIND_MOLE, 1),
        (libsbml.UNIT_KIND_LITRE, -1),
        (libsbml.UNIT_KIND_SECOND, -1),
    ],
    "per_mol": [(libsbml.UNIT_KIND_MOLE, -1)],
}


def _ok(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(
            f"libsbml failed on {what}: {libsbml.OperationReturnValue_toString(code)}"
        )


def _math(formula: str, what: str) -> libsbml.ASTNode:
    ast = libsbml.parseL3Formula(formula)
    if ast is None:
        raise RuntimeError(f"cannot parse formula of {what}: {libsbml.getLastParseL3Error()}")
    return ast


def _notes(variant: str, volume_l: float) -> str:
    common = (
        "<p>Spine calcium/calmodulin/CaMKII/PP1/PKA/DARPP-32/PP2B/AMPAR pathway, generated by "
        "biochem.spine_pathway (python -m biochem.spine_pathway --write) from the reaction "
        "families and constants of the TimeScales spine model (Mattioni and Le Novere 2013, "
        "PLoS ONE 8:e66811; biomd183_loop.eml) built on BIOMD0000000183 (Stefan, Edelstein "
        "and Le Novere 2008, PNAS 105:10768).</p>"
        "<p>Units: concentrations in mol/L, time in s. Every kinetic law is Spine * (rate in "
        "M/s). Ports: ca [M], ca_in [M/s] (Ca input flux), ca_pump_vmax and ca_leak_vmax [M/s], "
        "AMPAR_P [M]. Initial concentrations are the E-Cell molecule counts divided by "
        "N_A * 1e-15 L.</p>"
    )
    if variant == "timescales":
        v = (
            "<p>Variant timescales: faithful to biomd183_loop.eml, quirks kept: (1) PP2B binding "
            "to camR_ca2_AC (reaction_197) is missing while its reverse is present; (2) the "
            "autophosphorylation polynomial Phi(x) is negative for x &lt; 0.0117; (3) AMPAR "
            "dephosphorylation uses the conserved total PP1 (totPP1); (4) the compartment is the "
            "E-Cell /Spine of 1e-15 L, not the 1.08434e-15 L spine head.</p>"
        )
    else:
        v = (
            "<p>Variant corrected: (1) PP2B binding to camR_ca2_AC (reaction_197) restored; "
            "(2) Phi(x) clamped at &gt;= 0; (3) AMPAR dephosphorylation by active PP1 (totPP1a); "
            f"(4) compartment volume equal to the spine head, {volume_l!r} L. Initial "
            "concentrations are those of the timescales variant.</p>"
        )
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{common}{v}</body>'


def build_document(variant: str) -> libsbml.SBMLDocument:
    """Build the SBML Level 3 Version 2 document of one variant."""
    _check_variant(variant)
    volume_l = ECELL_VOLUME_L if variant == "timescales" else SPINE_HEAD_VOLUME_L
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    model.setId(f"spine_camkii_{variant}")
    model.setName(f"TimeScales spine CaMKII/AMPAR pathway ({variant} variant)")
    _ok(model.setNotes(_notes(variant, volume_l)), "model notes")
    model.setSubstanceUnits("mole")
    model.setVolumeUnits("litre")
    model.setTimeUnits("second")
    model.setExtentUnits("mole")
    for uid, parts in _UNITS.items():
        ud = model.createUnitDefinition()
        ud.setId(uid)
        for kind, exp in parts:
            u = ud.createUnit()
            u.setKind(kind)
            u.setExponent(exp)
            u.setScale(0)
            u.setMultiplier(1.0)
    comp = model.createCompartment()
    comp.setId("Spine")
    comp.setSpatialDimensions(3)
    comp.setSize(volume_l)
    comp.setUnits("litre")
    comp.setConstant(True)
    to_molar = 1.0 / (ECELL_AVOGADRO_PER_MOL * ECELL_VOLUME_L)  # molecules -> M in 1e-15 L
    for sid in species_ids():
        sp = model.createSpecies()
        sp.setId(sid)
        sp.setCompartment("Spine")
        sp.setInitialConcentration(INITIAL_MOLECULES.get(sid, 0.0) * to_molar)
        sp.setSubstanceUnits("mole")
        sp.setHasOnlySubstanceUnits(False)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
    for pid, p in PARAMETERS.items():
        par = model.createParameter()
        par.setId(pid)
        par.setValue(p.value)
        par.setUnits(p.unit)
        par.setConstant(p.constant)
        par.setName(p.doc)
    for rid, formula, unit, desc in assignment_rules(variant):
        par = model.createParameter()
        par.setId(rid)
        par.setUnits(unit)
        par.setConstant(False)
        par.setName(desc)
        rule = model.createAssignmentRule()
        rule.setVariable(rid)
        _ok(rule.setMath(_math(formula, rid)), f"rule {rid}")
    for r in reactions(variant):
        rx = model.createReaction()
        rx.setId(r.rid)
        rx.setName(r.family)
        rx.setReversible(False)
        for s in r.reactants:
            ref = rx.createReactant()
            ref.setSpecies(s)
            ref.setStoichiometry(1.0)
            ref.setConstant(True)
        for s in r.products:
            ref = rx.createProduct()
            ref.setSpecies(s)
            ref.setStoichiometry(1.0)
            ref.setConstant(True)
        kl = rx.createKineticLaw()
        _ok(kl.setMath(_math(f"Spine * ({r.rate})", r.rid)), f"kinetic law {r.rid}")
    return doc


def generate_sbml(variant: str = "timescales") -> str:
    """Return the SBML text of the spine pathway.

    Parameters
    ----------
    variant : {"timescales", "corrected"}
        ``timescales`` keeps the quirks of the published E-Cell model; ``corrected``
        fixes them (see the module docstring).

    Returns
    -------
    str
        SBML Level 3 Version 2 document.
    """
    return libsbml.writeSBMLToString(build_document(variant))


def shipped_path(variant: str = "timescales") -> Path:
    """Path of the shipped SBML file of a variant (``biochem/data/spine_camkii_<variant>.xml``)."""
    _check_variant(variant)
    return Path(__file__).resolve().parent / "data" / f"spine_camkii_{variant}.xml"


def write_shipped() -> list[Path]:
    """(Re)write the shipped SBML files of every variant; return their paths."""
    paths = []
    for v in VARIANTS:
        path = shipped_path(v)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_sbml(v), encoding="utf-8")
        paths.append(path)
    return paths


def check_shipped() -> list[str]:
    """Names of the variants whose shipped file differs from a fresh generation."""
    stale = []
    for v in VARIANTS:
        path = shipped_path(v)
        if not path.is_file() or path.read_text(encoding="utf-8") != generate_sbml(v):
            stale.append(v)
    return stale


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        from biochem.errors import UnknownVariantError

        raise UnknownVariantError(variant, VARIANTS)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write`` regenerates the shipped files, ``--check`` verifies them."""
    ap = argparse.ArgumentParser(
        prog="python -m biochem.spine_pathway", description=__doc__.split("\n")[0]
    )
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="regenerate biochem/data/*.xml")
    g.add_argument("--check", action="store_true", help="exit 1 if a shipped file is stale")
    g.add_argument("--print", choices=VARIANTS, help="print one variant's SBML to stdout")
    args = ap.parse_args(argv)
    if args.write:
        for p in write_shipped():
            print(f"wrote {p}")
        return 0
    if args.check:
        stale = check_shipped()
        for v in stale:
            print(f"stale: {shipped_path(v)}; run python -m biochem.spine_pathway --write")
        return 1 if stale else 0
    sys.stdout.write(generate_sbml(args.print))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
