"""The one "whole number of time steps" rule, used by the experiment checks, the
synchroniser's clock and the electrical engine alike (so that a time that passes
``validate`` never fails at run time)."""

from __future__ import annotations

import math

__all__ = ["TICK_ROUNDING", "whole_steps"]

#: A time is a whole number of steps when within this fraction of a step of one
#: (decimal times such as 0.1 ms are not exact multiples of 0.025 in binary).
TICK_ROUNDING = 1e-6


def whole_steps(t_ms: float, dt_ms: float) -> int | None:
    """``t_ms / dt_ms`` as an integer when it is one (within :data:`TICK_ROUNDING`), else None.

    Non-finite or non-numeric times give None too; the caller words the error.
    """
    try:
        x = float(t_ms) / float(dt_ms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(x):
        return None
    k = round(x)
    return int(k) if abs(x - k) <= TICK_ROUNDING else None
