"""The command line: `multiscale info` and usage errors."""

from __future__ import annotations

import subprocess
import sys

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
