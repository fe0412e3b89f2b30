"""``PathwayInstance``: one copy of a pathway's state (one per spine).

An instance owns only numbers: species amounts, parameter values, (variable) compartment
volumes and its model time.  The compiled model and the integrator belong to the
:class:`~biochem.pathway.Pathway` and are shared by all its instances.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from biochem._sbml import SERIES_OFF
from biochem.errors import InstanceArgumentError, InvalidStateError, PortSpecError

if TYPE_CHECKING:
    from biochem.pathway import Pathway
    from biochem.ports import PortSpec

__all__ = ["PathwayInstance"]

_MAGIC = b"BIOCHEM1"
_HEADER = struct.Struct("<8s16sIIIId")  # magic, fingerprint, nx, nb, np, nv, t


class PathwayInstance:
    """One instance of a pathway (one spine).  Create it with :meth:`Pathway.instance`.

    Time is the SBML model's time unit (seconds for the spine pathway).  Every
    :meth:`advance_to` restarts CVODE at the instance's current time, so a :meth:`set`
    between two advances always takes effect (libroadrunner would otherwise ignore a
    change made under a running integrator).

    Parameters
    ----------
    pathway : Pathway
        The pathway whose compiled model this instance uses.
    name : str
        Name for messages and output, e.g. ``"spine_0003"``.
    spine : str or int or None
        The spine the instance belongs to (for messages).
    """

    __slots__ = ("_b", "_p", "_pathway", "_t", "_v", "_x", "name", "spine")

    #: Time unit of :meth:`advance_to` (the co-simulation component protocol, ``sync``).
    time_unit = "s"

    def __init__(self, pathway: Pathway, name: str, spine: str | int | None = None):
        if not isinstance(name, str) or not name:
            raise InstanceArgumentError(f"instance name must be a non-empty str, got {name!r}")
        self._pathway = pathway
        self.name = name
        self.spine = spine
        self.reset()

    # ------------------------------------------------------------------ state
    @property
    def pathway(self) -> Pathway:
        """The shared pathway."""
        return self._pathway

    @property
    def t_s(self) -> float:
        """Model time of this instance [s] (the SBML time unit)."""
        return self._t

    def reset(self) -> None:
        """Return to the pathway's initial state and initial time (parameters included)."""
        pw = self._pathway
        self._x = pw._x0.copy()
        self._b = pw._b0.copy()
        self._p = pw._p0.copy()
        self._v = pw._v0.copy()
        self._t = pw._t0

    def initialize(self, t0_s: float = 0.0) -> None:
        """Initial state of the pathway at model time ``t0_s`` [s] (component protocol)."""
        self.reset()
        t0 = float(t0_s)
        if not math.isfinite(t0):
            raise InstanceArgumentError(f"instance {self.name}: initialize(t0_s={t0_s!r})")
        self._t = t0

    def next_event_time(self) -> float | None:
        """A pathway knows no future inputs: ``None`` (component protocol)."""
        return None

    def advance_to(self, t_s: float) -> None:
        """Integrate from the current time to ``t_s`` with the inputs held as set.

        Parameters
        ----------
        t_s : float
            Target model time [s]; must not be earlier than :attr:`t_s`.

        Raises
        ------
        IntegrationError
            CVODE failed; the message names the instance, its spine and the model time.
            The instance keeps the state it had before the call.
        """
        try:
            t = float(t_s)
        except (TypeError, ValueError):
            raise InstanceArgumentError(
                f"instance {self.name}: advance_to(t_s={t_s!r}); t_s must be a number [s]"
            ) from None
        if not math.isfinite(t):
            raise InstanceArgumentError(
                f"instance {self.name}: advance_to(t_s={t!r}) is not finite"
            )
        if t < self._t:
            raise InstanceArgumentError(
                f"instance {self.name}: advance_to(t_s={t!r}) is before the instance time "
                f"{self._t!r} s; time only moves forward (use restore_state to go back)"
            )
        if t == self._t:
            return
        self._pathway._advance(self, t)

    # ------------------------------------------------------------------ ports
    def ports(self) -> Mapping[str, PortSpec]:
        """The pathway's ports, by name."""
        return self._pathway.ports()

    def get(self, port: str) -> float:
        """Value of a port at the current time, in the port's unit.  No side effects."""
        acc = self._pathway._port_access.get(port)
        if acc is None:
            self._pathway.port(port)  # raises UnknownPortError with suggestions
        kind = acc[0]
        if kind == "x/":  # concentration = amount / volume, as roadrunner computes it
            return float(self._x[acc[1]] / acc[2])
        if kind == "x":
            return float(self._x[acc[1]] * acc[2])
        if kind == "p":
            return float(self._p[acc[1]])
        return float(self._pathway._evaluate(self, (acc[1],))[0])

    def set(self, port: str, value: float) -> None:
        """Set an input port (a discontinuity: the next advance restarts CVODE here).

        Parameters
        ----------
        port : str
            Port name (see :meth:`ports`).
        value : float
            New value in the port's unit.
        """
        pw = self._pathway
        spec = pw.port(port)
        if not spec.writable:
            raise PortSpecError(
                f"instance {self.name}: port {port!r} ({spec.target}) is "
                f"{'an assignment-rule read-out' if spec.assigned else 'an output port'} and "
                "cannot be set"
            )
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InstanceArgumentError(
                f"instance {self.name}: set({port!r}, {value!r}); value must be a number "
                f"[{spec.unit}]"
            ) from None
        if not math.isfinite(v):
            raise InstanceArgumentError(
                f"instance {self.name}: set({port!r}, {v!r}) is not finite [{spec.unit}]"
            )
        if spec.element == "species" and v < 0:
            raise InstanceArgumentError(
                f"instance {self.name}: set({port!r}, {v!r} {spec.unit}): a species "
                f"{spec.quantity} cannot be negative"
            )
        acc = pw._port_access[port]
        if acc[0] == "series":  # a constant: the hold value, the course switched off
            ix = pw._series[acc[1]]
            self._p[ix["hold"][0]] = v
            self._p[ix["edge"][0]] = SERIES_OFF
        elif acc[0] == "x/":  # amount = concentration * volume
            self._x[acc[1]] = v * acc[2]
        elif acc[0] == "x":
            self._x[acc[1]] = v / acc[2]
        elif acc[0] == "p":
            self._p[acc[1]] = v
        else:
            self._set_via_model(spec.target, spec.quantity, v)

    def set_series(self, port: str, edges_s, means, knots, hold: float | None = None) -> None:
        """Give an input port a time course for the next advances.

        On bin ``k`` (``edges_s[k] <= t < edges_s[k+1]``, model time) the input is
        the quadratic that equals ``knots[k]`` and ``knots[k+1]`` at the bin's ends
        and has the mean ``means[k]``, so the input integrated over the bin is
        exactly ``means[k] * (edges_s[k+1] - edges_s[k])`` and the course is
        continuous.  Before the first edge and from the last one on, the input is
        ``hold`` (default: the last knot).  :meth:`set` makes the port a constant
        again.

        Parameters
        ----------
        port : str
            A port declared as a series input (``Pathway(..., series_inputs=...)``).
        edges_s : sequence of float
            Increasing bin edges [model time], one more than ``means``.
        means, knots : sequence of float
            Mean per bin, and values at the edges (one more than ``means``), in the
            port's unit.
        """
        pw = self._pathway
        pw.port(port)
        acc = pw._port_access[port]
        if acc[0] != "series":
            raise PortSpecError(
                f"instance {self.name}: port {port!r} takes no time course; load the pathway "
                f"with series_inputs={{{pw.port(port).target!r}: <bins>}}"
            )
        ix = pw._series[acc[1]]
        e = np.asarray(edges_s, dtype=float)
        m = np.asarray(means, dtype=float)
        d = np.asarray(knots, dtype=float)
        n = len(m)
        cap = len(ix["mean"])
        where = f"instance {self.name}: set_series({port!r})"
        if not 1 <= n <= cap:
            raise InstanceArgumentError(
                f"{where}: {n} bins; this pathway takes 1 to {cap} (series_inputs)"
            )
        if e.shape != (n + 1,) or d.shape != (n + 1,):
            raise InstanceArgumentError(
                f"{where}: {n} means need {n + 1} edges and {n + 1} knots, got {e.size} and "
                f"{d.size}"
            )
        if not (np.all(np.isfinite(e)) and np.all(np.isfinite(m)) and np.all(np.isfinite(d))):
            raise InstanceArgumentError(f"{where}: edges, means and knots must be finite")
        if np.any(np.diff(e) <= 0):
            raise InstanceArgumentError(f"{where}: the edges must increase")
        p = self._p
        p[ix["edge"][: n + 1]] = e
        p[ix["edge"][n + 1 :]] = e[-1]  # unused bins: zero width, never selected
        p[ix["mean"][:n]] = m
        p[ix["knot"][: n + 1]] = d
        p[ix["hold"][0]] = d[-1] if hold is None else float(hold)

    def _set_via_model(self, target: str, quantity: str, v: float) -> None:
        pw = self._pathway
        pw._load(self)
        sel = f"[{target}]" if quantity == "concentration" else target
        pw._model.setValue(sel, v)
        pw._store(self, self._t)

    def value(self, sbml_id: str) -> float:
        """Any model value at the current time, in roadrunner's selection syntax.

        ``"[ca]"`` is a concentration, ``"ca"`` an amount, ``"CaMKIIbar"`` a parameter
        (assignment rules are evaluated).
        """
        return float(self._pathway._evaluate(self, (sbml_id,))[0])

    def values(self, sbml_ids: Iterable[str]) -> np.ndarray:
        """Several model values at once (see :meth:`value`)."""
        return self._pathway._evaluate(self, tuple(sbml_ids))

    # ------------------------------------------------------------------ save / restore
    def save_state(self) -> bytes:
        """The full state (time included) as bytes, for :meth:`restore_state`."""
        fp = self._pathway.fingerprint
        head = _HEADER.pack(_MAGIC, fp, len(self._x), len(self._b), len(self._p), len(self._v),
                            self._t)  # fmt: skip
        return head + b"".join(
            np.ascontiguousarray(a, dtype="<f8").tobytes()
            for a in (self._x, self._b, self._p, self._v)
        )

    def restore_state(self, blob: bytes) -> None:
        """Restore a state saved by :meth:`save_state` of an instance of the same pathway."""
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise InvalidStateError(
                f"instance {self.name}: restore_state needs the bytes of save_state(), got "
                f"{type(blob).__name__}"
            )
        blob = bytes(blob)
        if len(blob) < _HEADER.size:
            raise InvalidStateError(f"instance {self.name}: state blob too short ({len(blob)} B)")
        magic, fp, nx, nb, n_p, nv, t = _HEADER.unpack_from(blob)
        if magic != _MAGIC:
            raise InvalidStateError(f"instance {self.name}: not a biochem state blob")
        if fp != self._pathway.fingerprint:
            raise InvalidStateError(
                f"instance {self.name}: the state was saved from a different model than "
                f"pathway {self._pathway.name}; restore it into an instance of that pathway"
            )
        sizes = (nx, nb, n_p, nv)
        expected = (len(self._x), len(self._b), len(self._p), len(self._v))
        if sizes != expected or len(blob) != _HEADER.size + 8 * sum(sizes):
            raise InvalidStateError(f"instance {self.name}: state blob is corrupt (sizes {sizes})")
        arrays = np.frombuffer(blob, dtype="<f8", offset=_HEADER.size).astype(float)
        o = np.cumsum((0,) + sizes)
        self._x, self._b, self._p, self._v = (arrays[o[k] : o[k + 1]].copy() for k in range(4))
        self._t = float(t)

    def nbytes(self) -> int:
        """Bytes held by this instance's state arrays."""
        return sum(a.nbytes for a in (self._x, self._b, self._p, self._v))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name} t_s={self._t:g}>"
