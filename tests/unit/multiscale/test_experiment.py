"""Experiment files: schema, defaults, --set, --quick, every example, the catalogue of bad files.

The catalogue (tests/data/bad_experiments/*.toml) holds one mistake per file; its
header names the key the message must name (``# key:``) and a phrase it must
contain (``# expect:``), and the offending line carries ``# <-- here``.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from multiscale import experiment as ex
from multiscale.cli import main

from ...conftest import REFERENCE, REPO

EXAMPLES = sorted((REPO / "examples" / "experiments").glob("*.toml"))
BAD = REPO / "tests" / "data" / "bad_experiments"
BAD_FILES = sorted(BAD.glob("*.toml"))
needs_positions = pytest.mark.skipif(
    not (REFERENCE / "msn" / "spine_positions.csv").is_file(),
    reason="published spine positions (../shared/reference/msn) are needed for onebranch/all",
)

MINIMAL = """
[model]
spines = "two"
[simulation]
t_stop_ms = 300.0
[[stimuli.train]]
spines = [1]
start_ms = 150.0
number = 3
frequency_hz = 20.0
"""


def _header(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith("# key:"):
            out["key"] = line[len("# key:") :].strip()
        elif line.startswith("# expect:"):
            out["expect"] = line[len("# expect:") :].strip()
    return out


# ----------------------------------------------------------------------------- loading


def test_minimal_experiment_gets_the_documented_defaults():
    exp = ex.loads(MINIMAL, name="mini")
    assert exp.name == "mini"
    assert exp.simulation.dt_ms == 0.025 and exp.simulation.equilibrate_ms == 100.0
    assert exp.simulation.equilibrate_biochem_s == 300.0 and exp.simulation.v_init_mV == -87.75
    assert exp.scheduler.kind == "event-driven" and exp.scheduler.window_ms == 10.0
    assert exp.coupling.calcium == "influx"
    assert exp.biochemical_spines() == (1,) and exp.stimulated_spines() == (1,)
    assert exp.recorded_heads() == (1,)
    assert exp.species() == ex.DEFAULT_SPECIES
    (spine, syn, times, delay, origin), *_ = exp.input_events()
    np.testing.assert_array_equal(times, [150.0, 200.0, 250.0])
    assert (spine, syn, delay, origin) == (1, "ampa", 1.0, "stimuli.train[0]")


def test_resolved_toml_loads_back_to_the_same_experiment():
    exp = ex.load(REPO / "examples" / "experiments" / "neighbouring_spine_20Hz_reduced.toml",
                  check_files=False)  # fmt: skip
    again = ex.loads(exp.to_toml(), source=exp.source, check_files=False)
    assert again.to_dict() == exp.to_dict()
    assert again.digest() == exp.digest()


def test_dumps_toml_round_trips_nested_tables_and_arrays_of_tables():
    data = {"a": 1, "s": 'x "q"', "t": {"f": 0.1, "l": [1, 2], "u": {"b": True}},
            "arr": [{"k": 1}, {"k": 2, "v": [0.5]}]}  # fmt: skip
    assert tomllib.loads(ex.dumps_toml(data)) == data


def test_timescales_descriptions_give_the_original_spike_times():
    text = MINIMAL.replace("[[stimuli.train]]", "[[stimuli.skip]]").split("[[stimuli.skip]]")[0]
    text += """
[[stimuli.timescales]]
spines = [1]
t_stim_s = 0.13
numbers = 2
delay_s = 0.05
[[stimuli.timescales]]
spines = [1]
t_stim_s = 0.18
numbers = 1
delay_s = 0.05
"""
    exp = ex.loads(text)
    by = {(n, syn): t for n, syn, t, _, _ in exp.input_events()}
    # first spike one interval after t_stim; the 230-ms spike of both descriptions merged once
    np.testing.assert_allclose(by[(1, "ampa")], [180.0, 230.0], rtol=0, atol=1e-12)
    assert set(by) == {(1, "ampa"), (1, "nmda")}


def test_poisson_trains_depend_on_the_seed_only():
    text = (
        MINIMAL.split("[[stimuli.train]]")[0]
        + """
[[stimuli.poisson]]
spines = [1, 2]
rate_hz = 50.0
start_ms = 120.0
stop_ms = 300.0
"""
    )
    a = ex.loads(text).input_events()
    b = ex.loads(text).input_events()
    c = ex.loads(text, overrides=["experiment.seed=7"]).input_events()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x[2], y[2])
    assert not np.array_equal(a[0][2], c[0][2])
    assert not np.array_equal(a[0][2], a[2][2])  # spines 1 and 2 draw different trains


# ----------------------------------------------------------------------------- overrides


def test_set_overrides_values_tables_and_list_items():
    exp = ex.loads(MINIMAL, overrides=[
        "simulation.t_stop_ms=500", "model.spines=none", "model.spines=two",
        "stimuli.train[0].number=5", "pathway.spines=[1, 2]", "coupling.calcium=concentration-difference",
    ])  # fmt: skip
    assert exp.simulation.t_stop_ms == 500.0
    assert exp.stimuli.train[0].number == 5
    assert exp.biochemical_spines() == (1, 2)
    assert exp.coupling.calcium == "concentration-difference"
    assert exp.overrides[0] == "simulation.t_stop_ms=500"


def test_set_with_an_empty_value_removes_the_key():
    path = REPO / "examples" / "experiments" / "long_tstop.toml"
    exp = ex.load(path, check_files=False)
    assert exp.coupling.sample_span_ms == 0.9
    with pytest.raises(ex.ExperimentError, match="coupling.sample_span_ms"):
        ex.load(path, ["coupling.calcium=influx"], check_files=False)
    exp = ex.load(path, ["coupling.calcium=influx", "coupling.sample_span_ms="], check_files=False)
    assert exp.coupling.calcium == "influx" and exp.coupling.sample_span_ms is None


def test_set_problems_name_the_override_not_the_file():
    with pytest.raises(ex.ExperimentError) as err:
        ex.loads(MINIMAL, source="mini.toml", overrides=["simulation.dt_ms=-1"])
    (p,) = err.value.problems
    assert p.file == "--set simulation.dt_ms=-1" and p.key == "simulation.dt_ms"
    assert str(p).startswith("--set simulation.dt_ms=-1: simulation.dt_ms = -1.0 ms")


def test_all_problems_are_reported_at_once_in_line_order():
    text = (
        MINIMAL.replace('spines = "two"', 'spines = "tow"\nkir_gkbar = -1.0')
        + "[scheduler]\nwindw_ms = 3\n"
    )
    with pytest.raises(ex.ExperimentError) as err:
        ex.loads(text, source="x.toml")
    keys = [p.key for p in err.value.problems]
    assert keys == ["model.spines", "model.kir_gkbar", "scheduler.windw_ms"]
    lines = [p.line for p in err.value.problems]
    assert lines == sorted(lines) and lines[0] == 3


def test_key_lines_follow_arrays_of_tables_and_inline_tables():
    text = """
[model]
spines = "two"   # a comment with key = value inside
[[stimuli.train]]
spines = [1]
[[stimuli.train]]
spines = [
  2,
]
number = 3
[pathway]
ports = {ca_in = "J", AMPAR_P = "[P]"}
description = \"\"\"
fake = 1
\"\"\"
"""
    lines = ex.key_lines(text)
    assert lines["model.spines"] == 3
    assert lines["stimuli.train[0].spines"] == 5
    assert lines["stimuli.train[1]"] == 6
    assert lines["stimuli.train[1].number"] == 10
    assert lines["pathway.ports.AMPAR_P"] == 12
    assert "pathway.fake" not in lines and "fake" not in lines


# ----------------------------------------------------------------------------- quick


def test_quick_moves_inputs_and_shortens_the_run():
    exp = ex.load(REPO / "examples" / "experiments" / "long_tstop_allbranch_cpm_two_branches_stims_20_Hz.toml",
                  check_files=False)  # fmt: skip
    q = ex.apply_quick(exp)
    assert q.is_quick and q.quick_shift_ms == 1900.0
    assert q.first_input_ms() == pytest.approx(exp.simulation.equilibrate_ms + ex.QUICK_LEAD_MS)
    assert q.simulation.t_stop_ms == pytest.approx(
        q.first_input_ms() + ex.QUICK_AFTER_FIRST_INPUT_MS, abs=q.simulation.dt_ms
    )
    assert q.simulation.equilibrate_biochem_s == ex.QUICK_BIOCHEM_EQUILIBRATION_S
    # the same spikes, moved: the intervals do not change
    full = {(n, s): t for n, s, t, _, _ in exp.input_events()}
    for n, s, t, _, _ in q.input_events():
        np.testing.assert_allclose(np.diff(t), np.diff(full[(n, s)]), atol=1e-9)
    assert q.biochemical_spines() == exp.biochemical_spines()
    assert q.digest() != exp.digest()


def test_quick_keeps_a_run_that_ends_before_its_inputs():
    exp = ex.load(REPO / "examples" / "experiments" / "short_tstop_double_stim.toml")
    q = ex.apply_quick(exp)
    assert q.simulation.t_stop_ms == exp.simulation.t_stop_ms and q.quick_shift_ms == 0.0


def test_quick_table_overrides_the_defaults():
    q = ex.apply_quick(
        ex.loads(MINIMAL + "[quick]\nafter_first_input_ms = 50.0\nshift_inputs = false\n")
    )
    assert q.quick_shift_ms == 0.0 and q.simulation.t_stop_ms == pytest.approx(200.0)


# ----------------------------------------------------------------------------- examples


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


# ----------------------------------------------------------------------------- bad files


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
                             capture_output=True, text=True, timeout=300)  # fmt: skip
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


def test_schema_keys_are_documented():
    doc = (REPO / "docs" / "experiments.md").read_text()
    missing = [k for k in ex.schema_keys() if f"`{k.rsplit('.', 1)[-1]}`" not in doc]
    assert not missing, f"docs/experiments.md does not mention {missing}"
    for table in ("[experiment]", "[model]", "[pathway]", "[coupling]", "[scheduler]",
                  "[simulation]", "[[stimuli.iclamp]]", "[[stimuli.spikes]]", "[[stimuli.train]]",
                  "[[stimuli.poisson]]", "[[stimuli.timescales]]", "[recording]", "[output]",
                  "[quick]"):  # fmt: skip
        assert table in doc


def test_experiment_dataclasses_are_frozen():
    exp = ex.loads(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        exp.simulation.t_stop_ms = 1.0  # type: ignore[misc]
