"""What the synchroniser drives between two components: generic couplings.

A link (one biochemical spine) has two couplings, between the stepped component
(the electrical model) and its pathway component:

:class:`IntervalCoupling`
    A quantity measured on the stepped component, delivered to an input of the
    pathway interval by interval: at each exchange the synchroniser asks the
    value of the input that delivers the interval just integrated electrically
    (:meth:`~IntervalCoupling.interval_value`), then sets it
    (:meth:`~IntervalCoupling.prepare_interval`) or, with batched delivery, sets
    a time course through several intervals' values
    (:meth:`~IntervalCoupling.deliver_series`).  The base class keeps the
    books (what was measured, what was delivered, the state to save); a
    coupling rule is a subclass that says how a measurement becomes an amount
    and an amount an input value, and carries the flags the synchroniser needs
    (:attr:`~IntervalCoupling.follows_tails`,
    :attr:`~IntervalCoupling.window_sets_inputs`).
:class:`BaselineReadout`
    A pathway read-out divided by its value after the equilibration, set on a
    port of the stepped component (a synaptic weight).

The rules of the MSN (calcium influx, concentration difference, the AMPA
weight) live where both sides are known: :mod:`multiscale.couplings`.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from .errors import CouplingError

__all__ = ["BaselineReadout", "IntervalCoupling", "series_knots"]


def series_knots(means, previous_knot: float) -> list[float]:
    """Values at the edges of bins whose means are ``means``, for a monotone cumulative course.

    The values at inner edges are the harmonic means of the neighbouring bins (0
    where the sign changes), the first continues the previous course (clipped to
    [0, 3 means[0]]) and the last is the last mean: each bin's quadratic through
    its edges and mean then keeps the sign of its mean (the Fritsch-Carlson
    condition for a monotone cumulative input), so an influx never becomes
    negative.  Returns ``len(means) + 1`` values.
    """
    m = [float(x) for x in means]
    d = [0.0] * (len(m) + 1)
    d[0] = min(max(previous_knot / m[0], 0.0), 3.0) * m[0] if m[0] != 0 else 0.0
    for k in range(1, len(m)):
        a, b = m[k - 1], m[k]
        d[k] = 2.0 * a * b / (a + b) if a * b > 0 else 0.0
    d[-1] = m[-1]
    return d


class IntervalCoupling(abc.ABC):
    """A measured quantity -> a pathway input, delivered interval by interval.

    The stepped component side gives two numbers (:meth:`read_electrical`): an
    accumulated quantity (e.g. the calcium charge since the start) and a level
    (e.g. the free calcium concentration).  Over each interval the coupling
    turns the change of the accumulated quantity into an amount entered
    (:meth:`entered_amount`), chooses the amount to deliver
    (:meth:`interval_amount`, which may use the change of the level and whether
    the interval lies in a synchronisation window) and converts it into the
    value of the pathway's ``input_port`` held over the interval
    (:meth:`amount_to_input`).

    Parameters
    ----------
    electrical : SteppedComponent
        Where the quantity is measured.
    instance : PathwayComponent
        The pathway that receives it.
    input_port : str
        The pathway's input port (a flux).
    sample_span_ms : float, optional
        Measure the change of the level over the last ``sample_span_ms`` of each
        interval (None: the whole interval); only for rules that use the level.
    """

    #: With batched delivery, windows may stay open while a link's level is away
    #: from rest, to measure a transient's tail as finely as its rise (True when
    #: what is delivered does not depend on the windows).
    follows_tails: ClassVar[bool] = True
    #: The pathway's inputs depend on whether an interval lies in a window (e.g.
    #: processes switched off during windows): a batch of intervals has one setting.
    window_sets_inputs: ClassVar[bool] = False
    #: The rule uses the level (so ``sample_span_ms`` may be given).
    uses_level: ClassVar[bool] = False

    def __init__(self, electrical, instance, *, input_port: str,
                 sample_span_ms: float | None = None) -> None:  # fmt: skip
        self.electrical = electrical
        self.instance = instance
        self.input_port = input_port
        if sample_span_ms is not None:
            if not self.uses_level:
                raise CouplingError(
                    f"{self._where()}: sample_span_ms applies to a coupling that measures a "
                    f"level, not to {type(self).__name__}"
                )
            if not (isinstance(sample_span_ms, int | float) and sample_span_ms > 0):
                raise CouplingError(
                    f"{self._where()}: sample_span_ms = {sample_span_ms!r} must be > 0"
                )
        self.sample_span_ms = sample_span_ms
        self._last_charge = 0.0
        self._last_conc = 0.0
        self._knot = 0.0  # the input's value at the end of the last batch (deliver_series)
        #: Amount that entered while coupled (e.g. calcium [mol]).
        self.entered_mol = 0.0
        #: Amount delivered to the pathway through ``input_port``.
        self.delivered_mol = 0.0

    def _where(self) -> str:
        inst = self.instance
        return f"spine {getattr(inst, 'spine', None)!r} (instance {getattr(inst, 'name', inst)})"

    # -- the rule (subclasses) ------------------------------------------------------------
    @abc.abstractmethod
    def read_electrical(self) -> tuple[float, float]:
        """(accumulated quantity, level) now, in SI, from the stepped component.

        Only the rank that owns the link's site can read them; being SI numbers,
        they can travel to the rank that integrates the pathway.
        """

    @abc.abstractmethod
    def interval_amount(self, entered: float, dlevel: float, window: bool) -> float:
        """The amount to deliver over an interval in which ``entered`` came in and
        the level changed by ``dlevel``; ``window``: the interval lies in a window."""

    def entered_amount(self, daccumulated: float) -> float:
        """Change of the accumulated quantity -> amount entered (default: itself)."""
        return daccumulated

    def amount_to_input(self, n: float, dt_s: float) -> float:
        """Amount delivered over ``dt_s`` -> the input's value (default: n / dt_s)."""
        return n / dt_s

    def input_to_amount(self, value: float, dt_s: float) -> float:
        """Inverse of :meth:`amount_to_input`."""
        return value * dt_s

    def window_inputs(self, window: bool) -> dict[str, float]:
        """Other pathway inputs set at each exchange, in or out of a window (default none)."""
        return {}

    def uncoupled_inputs(self) -> dict[str, float]:
        """The pathway's inputs when it runs alone (the biochemical equilibration)."""
        return {self.input_port: 0.0}

    # -- used by the synchroniser ---------------------------------------------------------
    def start(self, values: tuple[float, float] | None = None) -> None:
        """Coupling begins now: the quantities seen so far are the origin.

        ``values``: :meth:`read_electrical` of the rank that owns the link's site
        (default: read here).
        """
        self._last_charge, self._last_conc = values or self.read_electrical()
        self._set_exchange_inputs(0.0, window=False)
        self._knot = 0.0

    def _set_exchange_inputs(self, value: float, window: bool) -> None:
        inst = self.instance
        inst.set(self.input_port, value)
        for port, v in self.window_inputs(window).items():
            inst.set(port, v)

    def prepare_interval(self, dt_s: float, window: bool, base_conc: float | None = None,
                         values: tuple[float, float] | None = None) -> float:  # fmt: skip
        """Set the pathway's inputs for the interval just integrated electrically.

        Returns the amount it will deliver.  ``window`` says whether the interval
        lies in a synchronisation window; ``base_conc`` is the level
        ``sample_span_ms`` before the end of the interval, when there is one
        (default: the start of the interval); ``values`` as in :meth:`start`.
        """
        value = self.interval_value(dt_s, window, base_conc, values)
        self._set_exchange_inputs(value, window)
        return self.input_to_amount(value, dt_s)

    def interval_value(self, dt_s: float, window: bool, base_conc: float | None = None,
                       values: tuple[float, float] | None = None) -> float:  # fmt: skip
        """The input value that delivers the interval just integrated.

        Reads the stepped component and books what entered and what is delivered
        (arguments as in :meth:`prepare_interval`); sets nothing on the pathway.
        """
        q, c = values or self.read_electrical()
        entered = self.entered_amount(q - self._last_charge)
        self._last_charge = q
        self.entered_mol += entered
        base = self._last_conc if base_conc is None else base_conc
        dc = c - base
        self._last_conc = c
        n = self.interval_amount(entered, dc, window)
        value = self.amount_to_input(n, dt_s) if dt_s > 0 else 0.0
        self.delivered_mol += self.input_to_amount(value, dt_s)
        return value

    def deliver_series(self, edges_s, means, window: bool) -> None:
        """Set the pathway's input to a continuous course through the bins' means.

        ``means[k]`` (from :meth:`interval_value`) is delivered exactly over
        ``[edges_s[k], edges_s[k+1])``; the course through the edges is
        :func:`series_knots`, continuing the previous batch's.
        """
        m = [float(x) for x in means]
        d = series_knots(m, self._knot)
        self._knot = d[-1]
        self._set_exchange_inputs(0.0, window)  # other inputs for the batch
        self.instance.set_series(self.input_port, edges_s, m, d)

    def state(self) -> tuple:
        return (self._last_charge, self._last_conc, self.entered_mol, self.delivered_mol,
                self._knot)  # fmt: skip

    def set_state(self, st: tuple) -> None:
        (self._last_charge, self._last_conc, self.entered_mol, self.delivered_mol,
         self._knot) = st  # fmt: skip

    def __repr__(self) -> str:
        return f"<{type(self).__name__} spine={getattr(self.instance, 'spine', None)!r}>"


class BaselineReadout:
    """Pathway read-out / its baseline -> a port of the stepped component (e.g. a weight).

    Parameters
    ----------
    instance : PathwayComponent
    electrical : SteppedComponent
    weight_port : str
        The stepped component's port that receives the ratio.
    read_port : str
        The pathway's port read.
    """

    def __init__(self, instance, electrical, *, weight_port: str, read_port: str) -> None:
        self.instance = instance
        self.electrical = electrical
        self.weight_port = weight_port
        self.read_port = read_port
        self.baseline: float | None = None
        self.history_t_ms: list[float] = []
        self.history_w: list[float] = []

    def set_baseline(self) -> float:
        """The read-out now (after the biochemical equilibration) is ratio 1."""
        b = self.instance.get(self.read_port)
        if not b > 0:
            raise CouplingError(
                f"spine {getattr(self.instance, 'spine', None)!r}: {self.read_port} = {b!r} "
                "after the equilibration; the weight baseline must be positive"
            )
        self.baseline = b
        return b

    def apply(self, t_ms: float, set_electrical: bool = True) -> float:
        """Ratio = read-out / baseline, kept in the history and set on the port.

        With ``set_electrical=False`` the caller sets it (on the rank that owns the site).
        """
        w = self.instance.get(self.read_port) / self.baseline
        if set_electrical:
            self.electrical.set(self.weight_port, w)
        self.history_t_ms.append(t_ms)
        self.history_w.append(w)
        return w

    def state(self) -> tuple:
        return (self.baseline, list(self.history_t_ms), list(self.history_w))

    def set_state(self, st: tuple) -> None:
        self.baseline, t, w = st
        self.history_t_ms, self.history_w = list(t), list(w)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.read_port}/baseline "
            f"spine={getattr(self.instance, 'spine', None)!r}>"
        )
