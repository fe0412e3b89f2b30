"""``PathwayInstance``: one copy of a pathway's state (one per spine).

An instance owns only numbers (a :class:`~biochem._engine.State`: species amounts,
parameter values, variable compartment volumes and its model time).  The compiled model
and the integrator are the pathway's :class:`~biochem._engine.Engine`, shared by all its
instances; the instance uses it through its methods.  On this side times are in seconds;
the engine converts them to the model's time unit.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from biochem._engine import SolverFailure, State
from biochem.errors import (
    InstanceArgumentError,
    IntegrationError,
    InvalidStateError,
    PortSpecError,
    UnknownPortError,
    did_you_mean,
)

if TYPE_CHECKING:
    from biochem.pathway import Pathway
    from biochem.ports import PortSpec

__all__ = ["PathwayInstance"]

_MAGIC = b"BIOCHEM1"
_HEADER = struct.Struct("<8s16sIIIId")  # magic, fingerprint, nx, nb, np, nv, t


class PathwayInstance:
    """One instance of a pathway (one spine).  Create it with :meth:`Pathway.instance`.

    Times are in seconds (:attr:`time_unit`), converted to the model's own time unit
    (:attr:`Pathway.time_unit`).  Every :meth:`advance_to` restarts CVODE at the
    instance's current time, so a :meth:`set` between two advances always takes effect
    (libroadrunner would otherwise ignore a change made under a running integrator).

    Parameters
    ----------
    pathway : Pathway
        The pathway whose compiled model this instance uses.
    name : str
        Name for messages and output, e.g. ``"spine_0003"``.
    spine : str or int or None
        The spine the instance belongs to (for messages).
    """

    __slots__ = ("_engine", "_pathway", "_state", "name", "spine")

    #: Time unit of :meth:`advance_to` (the co-simulation component protocol, ``sync``).
    time_unit = "s"

    def __init__(self, pathway: Pathway, name: str, spine: str | int | None = None):
        if not isinstance(name, str) or not name:
            raise InstanceArgumentError(f"instance name must be a non-empty str, got {name!r}")
        self._pathway = pathway
        self._engine = pathway.engine
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
        """Model time of this instance [s]."""
        return self._engine.to_seconds(self._state.t)

    def reset(self) -> None:
        """Return to the pathway's initial state and initial time (parameters included)."""
        self._state = self._engine.initial_state()

    def initialize(self, t0_s: float = 0.0) -> None:
        """Initial state of the pathway at model time ``t0_s`` [s] (component protocol)."""
        self.reset()
        t0 = float(t0_s)
        if not math.isfinite(t0):
            raise InstanceArgumentError(f"instance {self.name}: initialize(t0_s={t0_s!r})")
        self._state.t = self._engine.to_model(t0)

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
        st = self._state
        t_model = self._engine.to_model(t)
        if t_model < st.t:
            raise InstanceArgumentError(
                f"instance {self.name}: advance_to(t_s={t!r}) is before the instance time "
                f"{self.t_s!r} s; time only moves forward (use restore_state to go back)"
            )
        if t_model == st.t:
            return
        t0_s = self.t_s
        try:
            self._engine.advance(st, t_model)
        except SolverFailure as exc:
            raise IntegrationError(
                f"pathway {self._pathway.name}: instance {self.name} (spine {self.spine}) "
                f"failed to advance from t = {t0_s!r} s to t = {t!r} s: {exc}; the instance "
                f"keeps its state at t = {t0_s!r} s. Check the inputs just set (values with "
                "units), or loosen the tolerances / raise maximum_num_steps in "
                "IntegratorSettings"
            ) from None

    # ------------------------------------------------------------------ ports
    def ports(self) -> Mapping[str, PortSpec]:
        """The pathway's ports, by name."""
        return self._pathway.ports()

    def get(self, port: str) -> float:
        """Value of a port at the current time, in the port's unit.  No side effects."""
        acc = self._engine.port_access(port)
        if acc is None:
            self._pathway.port(port)  # raises UnknownPortError with suggestions
        if acc.kind in ("rr", "series"):
            return float(self.values((acc.target,))[0])
        return self._engine.get(self._state, acc)

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
        acc = self._engine.port_access(port)
        sel = f"[{spec.target}]" if spec.quantity == "concentration" else spec.target
        self._engine.set(self._state, acc, v, sel)

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
        eng = self._engine
        acc = eng.port_access(port)
        if acc.kind != "series":
            raise PortSpecError(
                f"instance {self.name}: port {port!r} takes no time course; load the pathway "
                f"with series_inputs={{{pw.port(port).target!r}: <bins>}}"
            )
        e = np.asarray(edges_s, dtype=float)
        m = np.asarray(means, dtype=float)
        d = np.asarray(knots, dtype=float)
        n = len(m)
        cap = eng.series_capacity(acc.series)
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
        edges = np.array([eng.to_model(float(x)) for x in e])
        eng.set_series(self._state, acc.series, edges, m, d,
                       d[-1] if hold is None else float(hold))  # fmt: skip

    def value(self, sbml_id: str) -> float:
        """Any model value at the current time, in roadrunner's selection syntax.

        ``"[ca]"`` is a concentration, ``"ca"`` an amount, ``"CaMKIIbar"`` a parameter
        (assignment rules are evaluated).
        """
        return float(self.values((sbml_id,))[0])

    def values(self, sbml_ids: Iterable[str]) -> np.ndarray:
        """Several model values at once (see :meth:`value`)."""
        try:
            return self._engine.evaluate(self._state, tuple(sbml_ids))
        except KeyError as exc:
            sid = str(exc.args[0])
            bare = sid.strip("[]")
            raise UnknownPortError(
                f"pathway {self._pathway.name}: instance {self.name}: no model value {sid!r}"
                f"{did_you_mean(bare, self._engine.ids())}; species concentrations are "
                "'[id]', amounts 'id'"
            ) from None

    # ------------------------------------------------------------------ save / restore
    def save_state(self) -> bytes:
        """The full state (time included) as bytes, for :meth:`restore_state`."""
        fp = self._pathway.fingerprint
        st = self._state
        head = _HEADER.pack(_MAGIC, fp, *(len(a) for a in st.arrays()), st.t)
        return head + b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes()
                               for a in st.arrays())  # fmt: skip

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
        expected = self._engine.state_sizes()
        if sizes != expected or len(blob) != _HEADER.size + 8 * sum(sizes):
            raise InvalidStateError(f"instance {self.name}: state blob is corrupt (sizes {sizes})")
        arrays = np.frombuffer(blob, dtype="<f8", offset=_HEADER.size).astype(float)
        o = np.cumsum((0,) + sizes)
        x, b, p, v = (arrays[o[k] : o[k + 1]].copy() for k in range(4))
        self._state = State(x, b, p, v, float(t))

    def nbytes(self) -> int:
        """Bytes held by this instance's state arrays."""
        return self._state.nbytes()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name} t_s={self.t_s:g}>"
