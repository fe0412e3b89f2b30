"""Co-simulation time as integer ticks of the electrical time step.

Every time the synchroniser handles (inputs, windows, exchanges, samples, the
stop time) is an integer number of ticks, so that no window drifts and no input
is skipped by floating-point rounding (the original TimeScales loop compared
accumulated float times and synchronised every 1.025 ms instead of 1 ms;
MODEL.md 8.3, 11.1 item 4).  Other components' clocks are affine maps of the
tick: a pathway's time is ``t0_s + (tick - tick0) * dt_ms / 1000``.
"""

from __future__ import annotations

import math

from common.steps import TICK_ROUNDING, whole_steps

from .errors import SchedulerError

__all__ = ["TICK_ROUNDING", "Clock", "whole_steps"]


class Clock:
    """Ticks of ``dt_ms``.

    Parameters
    ----------
    dt_ms : float
        The electrical time step [ms]: one tick.
    """

    def __init__(self, dt_ms: float) -> None:
        dt = float(dt_ms)
        if not (dt > 0 and math.isfinite(dt)):
            raise SchedulerError(f"dt_ms = {dt_ms!r}: the time step must be positive and finite")
        self.dt_ms = dt

    def ticks(self, t_ms: float, what: str = "time") -> int:
        """``t_ms`` as a whole number of ticks; an error if it is not one."""
        try:
            x = float(t_ms) / self.dt_ms
        except (TypeError, ValueError):
            raise SchedulerError(f"{what} = {t_ms!r} is not a number [ms]") from None
        if not math.isfinite(x):
            raise SchedulerError(f"{what} = {t_ms!r} ms is not finite")
        k = whole_steps(t_ms, self.dt_ms)
        if k is None:
            raise SchedulerError(
                f"{what} = {t_ms!r} ms is not a whole number of time steps of {self.dt_ms} ms; "
                f"use a multiple of dt_ms"
            )
        return k

    def input_tick(self, t_ms: float) -> int:
        """The tick at which an event at ``t_ms`` acts: the first step whose midpoint is >= t.

        This is when the electrical engine delivers it (NEURON's fixed step), so an
        exchange at this tick updates the synaptic weight before the event arrives.
        """
        return max(0, math.ceil(float(t_ms) / self.dt_ms - 0.5 - TICK_ROUNDING))

    def ms(self, tick: int) -> float:
        """Tick -> ms."""
        return tick * self.dt_ms

    def __repr__(self) -> str:
        return f"<Clock dt_ms={self.dt_ms}>"
