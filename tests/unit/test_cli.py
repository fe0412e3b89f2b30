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
    res = subprocess.run([sys.executable, "-m", "multiscale", "info"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "numba" in res.stdout
    assert "Traceback" not in res.stderr


def test_packages_are_this_repository():
    # `sync` and `multiscale` are generic names: make sure we test our own (STYLE.md 1)
    assert str(REPO) in sync.__file__
