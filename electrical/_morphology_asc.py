"""Neurolucida ASCII (``.asc``) files -> Import3d sections (read by MorphIO).

The soma outline becomes NEURON's 21-point centroid (``contour2centroid`` of
Import3d's Neurolucida reader, re-derived here), every tree joins it at 0.5 by a
wire, and single-precision values from MorphIO are mapped back to the file's
decimals.  Used by :func:`electrical.morphology_io.load_morphology`.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ._morphology_base import MorphologyError, _asc_line, _chk_valid, _err, _I3dSec, _morphio_error


def _vec_interpolate(xdest: np.ndarray, xsrc: np.ndarray, ysrc: np.ndarray) -> np.ndarray:
    """hoc ``Vector.interpolate``: linear, the end values outside the source range."""
    return np.interp(xdest, xsrc, ysrc)


def _contourcenter(x: np.ndarray, y: np.ndarray, z: np.ndarray):
    """Import3d_Section.contourcenter: 101 points evenly spaced along the open outline
    (the arc length is measured in the xy plane) and their mean."""
    n = len(x)
    ex = np.diff(np.append(x, x[0]))
    ey = np.diff(np.append(y, y[0]))
    perim = np.zeros(n)
    for i in range(1, n):
        perim[i] = perim[i - 1] + math.sqrt(ex[i - 1] * ex[i - 1] + ey[i - 1] * ey[i - 1])
    step = perim[n - 1] / 100
    d = np.array([i * step for i in range(101)])
    xs = _vec_interpolate(d, perim, x)
    ys = _vec_interpolate(d, perim, y)
    zs = _vec_interpolate(d, perim, z)
    return np.array([xs.mean(), ys.mean(), zs.mean()]), xs, ys, zs


def _convexify(d: list[float], rad: list[float]) -> None:
    j = len(d) - 1
    while j > 0:
        if d[j] <= d[j - 1]:
            del d[j]
            del rad[j]
            if j != len(d):
                j += 1
        j -= 1


def _contour2centroid(path: str, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Import3d_GUI.contour2centroid: a soma outline -> 21 centroid points with diameters.

    The outline is resampled (contourcenter), its principal axis found, and
    the diameter at 21 positions along that axis is the width of the outline
    across it (in the xy plane).
    """
    mean, xs, ys, zs = _contourcenter(x, y, z)
    pts = np.vstack([xs - mean[0], ys - mean[1], zs - mean[2]])
    m = np.empty((3, 3))
    for i in range(3):
        for j in range(i, 3):
            m[i, j] = float(np.sum(pts[i] * pts[j]))
            m[j, i] = m[i, j]
    vals, vecs = np.linalg.eigh(m)
    imax, imin = int(np.argmax(vals)), int(np.argmin(vals))
    major = vecs[:, imax].copy()
    if major[int(np.argmax(np.abs(major)))] < 0:
        major *= -1
    minor = vecs[:, 3 - imin - imax].copy()
    minor[2] = 0.0
    if np.linalg.norm(minor) / (np.linalg.norm(major) + 1e-100) < 1e-6:
        raise MorphologyError(f"{path}: the soma outline has no width in the xy plane")
    minor /= np.linalg.norm(minor)
    dd = [float(np.dot(pts[:, i], major)) for i in range(pts.shape[1])]
    rad = [float(np.dot(pts[:, i], minor)) for i in range(pts.shape[1])]
    k = int(np.argmax(dd))
    dd = dd[k:] + dd[:k]
    rad = rad[k:] + rad[:k]
    k = int(np.argmin(dd))
    side2, rad2 = dd[k:], rad[k:]
    d1, r1 = dd[:k][::-1], rad[:k][::-1]
    _convexify(d1, r1)
    _convexify(side2, rad2)
    allpos = sorted(d1 + side2)
    if len(allpos) < 4 or allpos[-2] <= allpos[1]:
        raise MorphologyError(f"{path}: the soma outline is too small to find its axis")
    lo, hi = allpos[1], allpos[-2]
    step = (hi - lo) / 20
    npos = math.floor((hi - lo) / step + 1e-9) + 1
    pos = np.array([k * step + lo for k in range(npos)])
    ra = _vec_interpolate(pos, np.array(d1), np.array(r1))
    rb = _vec_interpolate(pos, np.array(side2), np.array(rad2))
    diam = np.abs(ra - rb)
    diam[0] = (diam[0] + diam[1]) / 2
    diam[-1] = (diam[-1] + diam[-2]) / 2
    centre = np.outer(pos, major) + mean
    return np.column_stack([centre, diam])


def _f32_decimal(v: float) -> float:
    """The decimal a single-precision value was read from (its shortest repr).

    MorphIO keeps points in single precision; NEURON reads the file's decimals
    in double precision.  For numbers written with up to 7 significant digits
    (what reconstruction software writes) the shortest decimal that rounds to
    the same single-precision value is the decimal in the file.
    """
    return float(str(np.float32(v)))


_MORPHIO_TYPES = {1: 1, 2: 2, 3: 3, 4: 4}


def _asc_sections(path: str) -> list[_I3dSec]:
    """Sections of a Neurolucida ASCII file, read by MorphIO, as Import3d_Neurolucida3.

    The soma outline (CellBody contour) is the first section, its 3-D points
    the 21-point centroid of :func:`_contour2centroid`; each tree's root
    connects to soma(0.5) through a wire (its first 3-D point is its own
    first point); a branch starts with its parent's last point (with the
    branch's first diameter) unless the file repeats that point (MorphIO's
    duplicate-point rule is the same).  Sections are in file order.
    """
    try:
        import morphio
    except ImportError as exc:  # pragma: no cover - MorphIO is a dependency
        raise MorphologyError(f"{path}: reading .asc files needs MorphIO ({exc})") from None
    if not os.path.isfile(path):
        raise _err(path, None, "no such file")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise _err(
            path, None, f"not a text file ({exc.reason}); give a Neurolucida ASCII file"
        ) from None
    except OSError as exc:
        raise _err(path, None, f"cannot be read ({exc.strerror})") from None
    if not any(ln.split(";", 1)[0].strip() for ln in text.splitlines()):
        raise _err(path, None, "no contours or trees (empty file or only comments)")
    morphio.set_maximum_warnings(0)
    try:
        m = morphio.Morphology(path)
    except morphio.MorphioError as exc:
        raise _morphio_error(path, exc) from None
    secs: list[_I3dSec] = []
    soma: _I3dSec | None = None
    spts = np.asarray(m.soma.points, dtype=float)
    if len(spts):
        if m.soma_type != morphio.SomaType.SOMA_SIMPLE_CONTOUR or len(spts) < 3:
            body = next((k for k, ln in enumerate(text.splitlines(), 1) if "CellBody" in ln), None)
            raise _err(
                path,
                body,
                f"soma of {len(spts)} points ({m.soma_type.name}); a CellBody outline "
                "of at least 3 points is supported",
            )
        c = np.vectorize(_f32_decimal)(spts)
        soma = _I3dSec(first_pt=0, cols=[], type=1)
        soma.raw = _contour2centroid(path, c[:, 0], c[:, 1], c[:, 2])
        secs.append(soma)
    roots = list(m.root_sections)
    if soma is None and len(roots) > 1:
        raise _err(path, None, f"{len(roots)} trees and no CellBody outline to join them")
    made: dict[int, _I3dSec] = {}
    for root in roots:
        for ms in root.iter():
            t = int(ms.type)
            if t not in _MORPHIO_TYPES:
                raise _err(
                    path,
                    None,
                    f"a tree of unknown type {ms.type.name}; label it Dendrite, Apical or Axon",
                )
            pts = np.vectorize(_f32_decimal)(np.asarray(ms.points, dtype=float))
            dia = np.vectorize(_f32_decimal)(np.asarray(ms.diameters, dtype=float))
            if np.any(dia <= 0):
                k = int(np.argmax(dia <= 0))
                raise _err(
                    path,
                    _asc_line(text, raw_point=(*pts[k], dia[k])),
                    f"a {ms.type.name} point at ({pts[k, 0]:g}, {pts[k, 1]:g}, {pts[k, 2]:g}) "
                    "has zero diameter; diameters must be positive",
                )
            raw = np.column_stack([pts, dia])
            sec = _I3dSec(first_pt=0, cols=[], type=_MORPHIO_TYPES[t])
            if ms.is_root:
                if soma is not None:  # wire to the soma centre, dropped from the 3-D points
                    sec.parent, sec.parentx, sec.first = soma, 0.5, 1
                    raw = np.vstack([[0.0, 0.0, 0.0, 0.01], raw])
            else:
                sec.parent = made[ms.parent.id]
            sec.raw = raw
            made[ms.id] = sec
            secs.append(sec)
    return _chk_valid(secs)
