"""A progress bar on stderr: simulated time, wall time, ETA and exchanges so far.

On a terminal the bar redraws in place (carriage return); into a file or a pipe
it writes one line every :data:`LOG_EVERY_FRACTION` of the run, so logs stay
short.  Only rank 0 shows it, and ``--quiet`` silences it (``enabled=False``).

>>> import io
>>> out = io.StringIO()
>>> bar = Progress(0.0, 100.0, stream=out, clock=iter([0.0, 5.0, 10.0, 10.0]).__next__)
>>> bar.update(50.0, exchanges=12)
>>> print(out.getvalue().strip())
[##########..........]  50.0% t = 50.0 / 100.0 ms  wall 0:00:05  ETA 0:00:05  exchanges 12
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["LOG_EVERY_FRACTION", "Progress", "format_duration"]

#: Without a terminal, a line is written every this fraction of the run.
LOG_EVERY_FRACTION = 0.05
BAR_WIDTH = 20


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` (days are written out when needed)."""
    if math.isnan(seconds) or seconds < 0:  # unknown
        return "--:--:--"
    s = round(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d}d " if d else "") + f"{h}:{m:02d}:{s:02d}"


class Progress:
    """Progress of a run from ``t_start_ms`` to ``t_stop_ms`` of simulated time.

    Parameters
    ----------
    t_start_ms, t_stop_ms : float
        Simulated time at the start (the checkpoint time when resuming) and end [ms].
    stream : file, optional
        Where to write (default ``sys.stderr``).
    enabled : bool
        False writes nothing (``--quiet``, or a rank other than 0).
    clock : callable, optional
        Wall clock in seconds (default :func:`time.monotonic`).
    """

    def __init__(
        self,
        t_start_ms: float,
        t_stop_ms: float,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        clock: Callable[[], float] | None = None,
    ):
        self.t_start_ms = float(t_start_ms)
        self.t_stop_ms = float(t_stop_ms)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._clock = clock or time.monotonic
        self._t0 = self._clock()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_bucket = -1
        self._width = 0

    def wall_s(self) -> float:
        return self._clock() - self._t0

    def line(self, t_ms: float, exchanges: int | None = None, wall_s: float | None = None) -> str:
        span = self.t_stop_ms - self.t_start_ms
        frac = 1.0 if span <= 0 else min(1.0, max(0.0, (t_ms - self.t_start_ms) / span))
        wall = self.wall_s() if wall_s is None else wall_s
        eta = wall * (1.0 - frac) / frac if frac > 0 else float("nan")
        filled = round(frac * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        text = (f"[{bar}] {100 * frac:5.1f}% t = {t_ms:.1f} / {self.t_stop_ms:.1f} ms  "
                f"wall {format_duration(wall)}  ETA {format_duration(eta)}")  # fmt: skip
        if exchanges is not None:
            text += f"  exchanges {exchanges}"
        return text

    def update(self, t_ms: float, exchanges: int | None = None) -> None:
        """Show the state after a chunk that ended at ``t_ms``."""
        if not self.enabled:
            return
        text = self.line(t_ms, exchanges)
        span = self.t_stop_ms - self.t_start_ms
        frac = 1.0 if span <= 0 else (t_ms - self.t_start_ms) / span
        if self._tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
        else:
            # one line per LOG_EVERY_FRACTION bucket (the 1e-9 absorbs rounding of the ratio)
            bucket = math.floor(frac / LOG_EVERY_FRACTION + 1e-9)
            if bucket > self._last_bucket:
                self.stream.write(text + "\n")
                self._last_bucket = bucket
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (e.g. 'checkpoint at 1000 ms'), keeping the bar intact."""
        if not self.enabled:
            return
        if self._tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
