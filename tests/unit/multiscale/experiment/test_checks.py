"""Validation checks: every example validates, the catalogue of bad files, bad --set values."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from multiscale import experiment as ex
from multiscale.cli import main

from ....conftest import REFERENCE, REPO
from ._shared import BAD, BAD_FILES, EXAMPLES, MINIMAL, _header


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_experiment_validates(path):
    text = path.read_text()
    mode = tomllib.loads(text)["model"]["spines"]
    if mode in ("onebranch", "all") and not (REFERENCE / "msn" / "spine_positions.csv").is_file():
        pytest.skip("published spine positions are needed for this mode")
    exp = ex.load(path)
    assert exp.name == path.stem
    assert ex.apply_quick(exp).simulation.t_stop_ms <= exp.simulation.t_stop_ms


def test_the_published_experiments_are_all_there():
    names = {p.stem for p in EXAMPLES}
    assert "quickstart" in names
    originals = {p.stem for p in EXAMPLES if "original =" in p.read_text()}
    assert len(originals) == 42  # MODEL.md 8.5 / 7.1: 42 parameter files
    for f in (1, 4, 8, 20, 50, 100):
        assert f"long_tstop_onebranch_1_spine_{f}Hz" in originals
    flagship = ex.load(REPO / "examples" / "experiments"
                       / "long_tstop_allbranch_cpm_two_branches_stims_20_Hz.toml", check_files=False)  # fmt: skip
    assert flagship.n_spines == 1504 and len(flagship.biochemical_spines()) == 18
    assert flagship.simulation.t_stop_ms - flagship.simulation.equilibrate_ms == 20000.0


def test_the_catalogue_holds_at_least_30_mistakes():
    assert len(BAD_FILES) >= 30
    for path in BAD_FILES:
        h = _header(path)
        assert "key" in h and h.get("expect"), f"{path.name}: header needs '# key:' and '# expect:'"


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_experiment_gives_exit_2_and_one_line_naming_the_key(path, capsys):
    h = _header(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    (line,) = lines
    assert h["expect"] in line
    if h["key"]:
        assert f" {h['key']}" in line
    assert "Traceback" not in err
    here = [i + 1 for i, t in enumerate(path.read_text().splitlines()) if "# <-- here" in t]
    if here:
        assert line.startswith(f"{path}:{here[0]}: "), line
    else:
        assert line.startswith(f"{path}")


def _set_cases() -> list[dict]:
    return tomllib.loads((BAD / "set_values.cases").read_text())["case"]


@pytest.mark.parametrize("case", _set_cases(), ids=lambda c: c["set"])
def test_bad_set_value_gives_exit_2_and_one_line_naming_the_key(case, capsys, tmp_path):
    base = tmp_path / "base.toml"
    base.write_text((BAD / "base.toml.in").read_text())
    assert main(["validate", str(base)]) == 0
    capsys.readouterr()
    assert main(["validate", str(base), "--set", case["set"]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"--set {case['set']}: ")
    assert case["expect"] in err[0] and case["key"] in err[0]


def test_bad_files_through_the_console_script_have_no_traceback():
    paths = [BAD / "not_toml.toml", BAD / "unknown_key_typo.toml", BAD / "missing_sbml_file.toml"]
    for path in paths:
        res = subprocess.run([sys.executable, "-m", "multiscale", "validate", str(path)],
                             check=False, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert res.returncode == 2
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert path.name in res.stderr


def test_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_user_sbml_needs_its_ports(tmp_path):
    sbml = REPO / "biochem" / "data" / "spine_camkii_timescales.xml"
    text = MINIMAL + f'[pathway]\nsbml = "{sbml}"\nports = {{ca_in = "ca_in"}}\n'
    with pytest.raises(ex.ExperimentError) as err:
        ex.loads(text)
    (p,) = err.value.problems
    assert p.key == "pathway.ports" and "missing port 'AMPAR_P'" in p.message
    ok = ex.loads(text.replace('{ca_in = "ca_in"}', '{ca_in = "ca_in", AMPAR_P = "[AMPAR_P]"}'))
    assert ok.pathway_path() == sbml and ok.species() == ()
