"""Bad .mod files give one-line errors naming the file, the line and the construct."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("neuron", reason="the NMODL parser is NEURON's (PyPI 'neuron')")

from electrical import Catalogue, Cell, ModelError
from electrical.nmodl import NmodlError, describe, load_nmodl

DATA = Path(__file__).resolve().parents[3] / "data" / "nmodl"

#: file -> (line named in the message or None, words the message must contain)
CASES = {
    "bad_array.mod": (2, "array variable"),
    "bad_discrete.mod": (4, "DISCRETE"),
    "bad_for_netcons.mod": (3, "FOR_NETCONS"),
    "bad_function_writes.mod": (4, "FUNCTION f assigns"),
    "bad_include.mod": (1, "other.inc"),
    "bad_kinetic.mod": (4, "KINETIC"),
    "bad_linear.mod": (4, "LINEAR"),
    "bad_method.mod": (3, "METHOD runge"),
    "bad_no_suffix.mod": (1, "no SUFFIX"),
    "bad_nonlinear.mod": (4, "NONLINEAR"),
    "bad_own_current.mod": (1, "the current 'ica'"),
    "bad_pointer.mod": (1, "POINTER"),
    "bad_random_breakpoint.mod": (3, "normrand"),
    "bad_solve_missing.mod": (3, "SOLVE nothere"),
    "bad_syntax.mod": (3, "unexpected }"),
    "bad_table_two_args.mod": (5, "one argument"),
    "bad_undeclared.mod": (3, "'gbar'"),
    "bad_unit_factor.mod": (2, "(parsec) (furlong)"),
    "bad_unknown_function.mod": (3, "frobnicate"),
    "bad_unknown_ion.mod": (1, "unknown ion 'zz'"),
    "bad_usetable_param.mod": (2, "usetable"),
    "bad_valence.mod": (1, "VALENCE 2"),
    "bad_verbatim.mod": (5, "VERBATIM"),
    "bad_watch.mod": (4, "WATCH"),
}


def test_every_bad_file_has_a_case():
    assert sorted(p.name for p in DATA.glob("bad_*.mod")) == sorted(CASES)
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_one_line_error(name):
    line, words = CASES[name]
    with pytest.raises(NmodlError) as exc:
        load_nmodl(DATA / name, catalogue=Catalogue("bad"))
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(f"{DATA / name}:{line}: "), msg
    assert words in msg
    # describe() reports the same problem as one line, no traceback
    out = describe(DATA / name)
    assert out == [msg]


def test_missing_path_is_one_line():
    with pytest.raises(NmodlError, match=r"no such file or folder"):
        load_nmodl(DATA / "nothere.mod", catalogue=Catalogue("bad"))


def test_parameter_out_of_bounds_names_mechanism():
    cat = Catalogue("good")
    cls = load_nmodl(DATA / "good_leak.mod", catalogue=cat, prefix="t_")["t_tleak"]
    sec = Cell("c").section("soma", L=10, diam=10)
    with pytest.raises(ModelError, match=r"t_tleak\.g = -1.0 S/cm2 is outside its bounds"):
        sec.insert(cls, g=-1.0)


def test_describe_lists_parameters_units_and_solve():
    (block,) = describe(DATA / "good_leak.mod")
    assert re.search(r"density mechanism 'tleak'", block)
    assert "parameter g = 0.001 [S/cm2]" in block
    assert "global q = 1 [1]" in block
    assert "written: i" in block
