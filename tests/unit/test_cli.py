"""The command line: `multiscale info` and usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sync
from multiscale.cli import main, versions

from ..conftest import REPO


def test_info_lists_every_component(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for key in ("python", "numpy", "numba", "libroadrunner", "mpi4py", "h5py", "MPI library"):
        assert key in out
    v = versions()
    assert v["numpy"][0].isdigit()


def test_usage_errors_exit_2():
    assert main([]) == 2
    assert main(["no-such-command"]) == 2


def test_console_script_runs_as_module():
    res = subprocess.run(
        [sys.executable, "-m", "multiscale", "info"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0 and "numba" in res.stdout
    assert "Traceback" not in res.stderr


def test_packages_are_this_repository():
    # `sync` and `multiscale` are generic names: make sure we test our own (STYLE.md 1)
    assert str(REPO) in sync.__file__


def test_inspect_lists_pathway_and_ports(capsys):
    path = REPO / "biochem" / "data" / "spine_camkii_timescales.xml"
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "129 species" in out and "suggested ports" in out
    assert "ca_in" in out.split("suggested ports")[1]


def test_inspect_bad_inputs_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<sbml><unclosed")
    for target, words in ((tmp_path / "missing.xml", "does not exist"), (bad, "invalid SBML")):
        res = subprocess.run(
            [sys.executable, "-m", "multiscale", "inspect", str(target)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 2
        assert words in res.stderr and str(target.name) in res.stderr
        assert "Traceback" not in res.stderr


def test_run_validate_plot_are_subcommands_with_usage_errors(capsys):
    for cmd in (["run"], ["validate"], ["plot"], ["run", "x.toml", "--bogus"]):
        assert main(cmd) == 2
        assert "usage:" in capsys.readouterr().err
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("run", "validate", "plot", "inspect", "info"):
        assert cmd in out


def test_validate_a_valid_experiment(capsys):
    path = REPO / "examples" / "experiments" / "long_tstop.toml"
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: valid (two mode, 2 spines") and "t_stop 20100 ms" in out
    assert main(["validate", str(path), "--quick"]) == 0
    assert "--quick: t_stop 400 ms" in capsys.readouterr().out


def test_run_of_a_bad_experiment_exits_2_before_building(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nspines = "two"\n[simulation]\nt_stop_ms = "soon"\n')
    assert main(["run", str(bad), "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f'{bad}:4: simulation.t_stop_ms = "soon" is a string; expected a number [ms]']
    assert not (tmp_path / "x.h5").exists()


def _fail_with_a_bug(*args, **kwargs):
    from electrical.errors import InternalError

    raise InternalError("node order lost (a test of the bug report)")


def test_an_internal_error_is_reported_as_a_bug(monkeypatch, capsys, tmp_path):
    from multiscale.experiment import loading

    path = tmp_path / "ok.toml"
    path.write_text("[simulation]\nt_stop_ms = 200.0\n")
    monkeypatch.setattr(loading, "check", _fail_with_a_bug)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "please report" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["validate", str(path), "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_an_internal_error_while_building_is_not_bad_input(monkeypatch):
    from common.errors import InternalError
    from multiscale import experiment, runner

    exp = experiment.loads("[simulation]\nt_stop_ms = 200.0\n")
    monkeypatch.setattr(runner, "_model", _fail_with_a_bug)
    with pytest.raises(InternalError) as info:
        runner.build(exp)
    assert not isinstance(info.value, runner.BuildError)


def test_errors_share_one_root():
    from multiscale import errors, msn, output, runner
    from multiscale.experiment import ExperimentError

    for cls, builtin in ((errors.BuildError, ValueError), (errors.RunError, RuntimeError),
                         (ExperimentError, ValueError), (output.ResultsError, OSError),
                         (msn.SpinePositionsError, FileNotFoundError)):  # fmt: skip
        assert issubclass(cls, errors.MultiscaleError) and issubclass(cls, builtin)
    assert runner.BuildError is errors.BuildError and runner.RunError is errors.RunError
    from electrical.errors import ModelError

    assert issubclass(errors.InvalidModelError, ModelError)
