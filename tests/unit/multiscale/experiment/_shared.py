"""Shared helpers of the experiment tests (examples, the bad-file catalogue, a minimal file).

The catalogue (tests/data/bad_experiments/*.toml) holds one mistake per file; its
header names the key the message must name (``# key:``) and a phrase it must
contain (``# expect:``), and the offending line carries ``# <-- here``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ....conftest import REFERENCE, REPO

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
