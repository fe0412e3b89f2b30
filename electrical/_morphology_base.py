"""Shared pieces of the morphology readers (``morphology_io`` and ``_morphology_asc``).

The error type, NEURON's section names per SWC type, the one-line error format,
MorphIO's messages turned into ours, and Import3d's section record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import ModelError

#: section base name per SWC type (NEURON's ``type2name``)
SWC_TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}
#: section-list name per SWC type (NEURON's ``mksubset``)
SWC_LIST_NAMES = {1: "somatic", 2: "axonal", 3: "basal", 4: "apical"}


class MorphologyError(ModelError):
    """A morphology file cannot be read or does not describe one tree."""


def _type_name(t: int) -> str:
    return SWC_TYPE_NAMES.get(t, f"dend_{t}")


def _list_name(t: int) -> str:
    return SWC_LIST_NAMES.get(t, f"dendritic_{t}")


def _fmt8(v: float) -> float:
    """A value after NEURON's ``sprint("%.8g")`` round trip (Import3d's pt3dadd text)."""
    return float(f"{v:.8g}")


@dataclass
class _Samples:
    path: str
    id: np.ndarray  # int64
    type: np.ndarray  # int64
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    d: np.ndarray  # diameter = 2 * radius
    pid: np.ndarray  # parent index (-1 for the root), after ordering
    line: np.ndarray  # 1-based file line of each sample


def _err(path: str, line: int | None, msg: str) -> MorphologyError:
    where = f"{path}:{line}" if line is not None else path
    return MorphologyError(f"{where}: {msg}")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MORPHIO_WHERE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+):(?:error|warning)\s*(?P<msg>.*)$", re.DOTALL
)


def _morphio_error(path: str, exc: Exception) -> MorphologyError:
    """A MorphIO error as one line ``path:line: message`` (colour codes removed)."""
    msg = _ANSI.sub("", str(exc)).strip()
    m = _MORPHIO_WHERE.match(msg)
    if m:
        return _err(path, int(m["line"]), "MorphIO: " + " ".join(m["msg"].split()))
    return _err(path, None, "MorphIO: " + " ".join(msg.split()))


def _asc_line(text: str, raw_point: tuple[float, ...]) -> int | None:
    """The first line of a Neurolucida file holding the point (x y z d), if any."""
    want = np.float32(raw_point)
    for k, ln in enumerate(text.splitlines(), start=1):
        body = ln.split(";", 1)[0]
        if "(" not in body:
            continue
        nums = re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", body)
        if len(nums) >= 4 and np.array_equal(np.float32([float(v) for v in nums[:4]]), want):
            return k
    return None


def _check_with_morphio(path: str) -> None:
    """Read the file with MorphIO too; its errors become one-line MorphologyErrors."""
    try:
        import morphio
    except ImportError:  # MorphIO is a dependency; without it the table checks stand
        return
    morphio.set_maximum_warnings(0)
    try:
        morphio.Morphology(path, morphio.Option.allow_unifurcated_section_change)
    except morphio.MorphioError as exc:
        # a soma whose samples branch is fine for NEURON (it cuts the soma into sections)
        if "soma" in str(exc).lower():
            return
        raise _morphio_error(path, exc) from None


@dataclass
class _I3dSec:
    first_pt: int  # index of its first own sample (Import3d's ``id``)
    cols: list[int]  # sample indices of its raw points (the parent sample first)
    type: int
    parent: _I3dSec | None = None
    parentx: float = 1.0
    first: int = 0  # 1: the first raw point is a wire to the parent, not a 3-D point
    d0: float | None = None  # diameter override of the first raw point
    removed: bool = False
    nameindex: int = 0
    raw: np.ndarray | None = None  # (n, 4) x, y, z, diam of the raw points [um]
    line: int | None = None  # file line of its first own point, when known


def _chk_valid(secs: list[_I3dSec]) -> list[_I3dSec]:
    """Import3d_GUI.chk_valid: drop one-point and zero-length two-point sections (not the
    root), reattaching their children to their parent."""
    for k in range(len(secs) - 1, -1, -1):
        sec = secs[k]
        if sec.parent is None:
            continue
        npt = len(sec.raw) - sec.first
        drop = npt <= 1
        if not drop and npt <= 2:
            drop = bool(np.all(sec.raw[sec.first, :3] == sec.raw[sec.first + 1, :3]))
        if drop:
            sec.removed = True
            for later in secs[k + 1 :]:
                if later.parent is sec:
                    later.parent = sec.parent
                    later.parentx = sec.parentx
    return [sec for sec in secs if not sec.removed]
