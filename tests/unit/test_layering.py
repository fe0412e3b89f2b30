"""The package layers (DESIGN.md section 2): ``sync`` imports neither component package.

``sync`` knows components only through its protocols, so importing it must not
bring in the cable engine, the SBML side or their heavy dependencies.  Each check
runs in a fresh interpreter (this process has imported everything already).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Packages that must not be imported by the import of the key's package.
FORBIDDEN = {
    "sync": ("electrical", "biochem", "multiscale", "roadrunner", "libsbml", "tellurium",
             "numba", "h5py", "mpi4py"),
    "common": ("electrical", "biochem", "sync", "multiscale", "roadrunner", "libsbml",
               "numba", "h5py", "mpi4py"),
}  # fmt: skip


def _imported_by(package: str) -> set[str]:
    code = (
        f"import json, sys; import {package}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_the_layers_above_or_beside_it(package):
    modules = _imported_by(package)
    assert package in modules  # the check ran on the real package
    leaked = sorted(set(FORBIDDEN[package]) & modules)
    assert leaked == [], f"import {package} also imported {leaked}"


def test_the_real_components_implement_the_sync_protocols():
    """Structural protocols: the adapters have every member the synchroniser uses."""
    from biochem import PathwayInstance
    from electrical.component import ElectricalComponent
    from sync.component import PathwayComponent, SteppedComponent

    for cls, proto in ((ElectricalComponent, SteppedComponent),
                       (PathwayInstance, PathwayComponent)):  # fmt: skip
        members = {
            name for klass in proto.__mro__ if klass.__module__ == "sync.component"
            for name in (*vars(klass), *getattr(klass, "__annotations__", {}))
            if not name.startswith("_")
        }  # fmt: skip
        missing = sorted(m for m in members if not hasattr(cls, m))
        assert missing == [], f"{cls.__name__} lacks {missing} of {proto.__name__}"
