"""CVODE settings of a pathway (shared by all its instances)."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["IntegratorSettings"]


@dataclass(frozen=True)
class IntegratorSettings:
    """Integrator settings of a pathway: CVODE (BDF) through libroadrunner.

    Parameters
    ----------
    relative_tolerance : float
        CVODE relative tolerance (dimensionless).
    absolute_tolerance_conc : float
        Absolute tolerance of every species, as a concentration in the model's
        concentration unit (M for the spine pathway).  It is given to CVODE as a vector
        over the amounts, ``absolute_tolerance_conc * volume`` of each species'
        compartment, so it does not depend on the state at the last restart (a scalar
        roadrunner ``absolute_tolerance`` would be scaled by the amounts).
    absolute_tolerance_other : float
        Absolute tolerance of variables driven by rate rules (parameters, compartments),
        in their own units.
    maximum_time_step_s : float
        Largest CVODE step [s]; 0 means unlimited.
    initial_time_step_s : float
        First step after each (re)start [s]; 0 lets CVODE estimate it.
    maximum_num_steps : int
        Largest number of internal steps per advance.
    stiff : bool
        BDF (True) or Adams (False).

    Notes
    -----
    The defaults (rtol 1e-8, atol 1e-18 M) reproduce the reference time courses of the
    spine pathway to better than 1e-6 relative while the instance is restarted at every
    output time (see ``tests/validation/test_spine_pathway_reference.py``).  The
    references themselves used rtol 1e-10, atol 1e-18 M.
    """

    relative_tolerance: float = 1e-8
    absolute_tolerance_conc: float = 1e-18
    absolute_tolerance_other: float = 1e-12
    maximum_time_step_s: float = 0.0
    initial_time_step_s: float = 0.0
    maximum_num_steps: int = 100_000
    stiff: bool = True

    def __post_init__(self) -> None:
        from biochem.errors import InstanceArgumentError

        def positive(name, value, allow_zero=False):
            ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
            if not ok:
                need = ">= 0" if allow_zero else "> 0"
                raise InstanceArgumentError(
                    f"IntegratorSettings.{name} = {value!r}; it must be finite and {need}"
                )

        positive("relative_tolerance", self.relative_tolerance)
        positive("absolute_tolerance_conc", self.absolute_tolerance_conc)
        positive("absolute_tolerance_other", self.absolute_tolerance_other)
        positive("maximum_time_step_s", self.maximum_time_step_s, allow_zero=True)
        positive("initial_time_step_s", self.initial_time_step_s, allow_zero=True)
        if not isinstance(self.maximum_num_steps, int) or self.maximum_num_steps < 1:
            raise InstanceArgumentError(
                f"IntegratorSettings.maximum_num_steps = {self.maximum_num_steps!r}; "
                "it must be an integer >= 1"
            )
