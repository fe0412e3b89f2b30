"""The roadrunner engine of a pathway: one compiled model, many swapped-in states (private).

An :class:`Engine` holds one libroadrunner model (about 8.5 MiB for the spine pathway)
and the layout of an instance's state; a :class:`State` holds the numbers of one
instance: the amounts of the floating species, the amounts of the boundary species, the
values of the parameters and the volumes of the compartments that can change (none of
them defined by an assignment rule), and the model time.  To advance a state, it is
written into the shared model (:meth:`Engine.load`), CVODE is restarted at the state's
time and integrates to the target time, and the model is read back (:meth:`Engine.store`).
Because every advance restarts CVODE from the state alone, a swapped instance gives
bitwise the numbers of a separate roadrunner on which ``simulate(t0, t1)`` is called with
the same settings and the same sequence of times.

Both :class:`~biochem.pathway.Pathway` (which builds the engine) and
:class:`~biochem.instance.PathwayInstance` (which owns a state) use it through its
methods only.  Times given to the engine are in the model's own time unit; the
conversion from and to seconds is :meth:`Engine.to_model` / :meth:`Engine.to_seconds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from biochem import _sbml
from biochem.errors import UnsupportedSBMLError
from biochem.integrator import IntegratorSettings

__all__ = ["Access", "Engine", "SolverFailure", "State"]


class SolverFailure(Exception):
    """CVODE failed; the caller turns it into an :class:`~biochem.errors.IntegrationError`."""


class State:
    """The numbers of one instance (see the module docstring); ``t`` in model time units."""

    __slots__ = ("b", "p", "t", "v", "x")

    def __init__(self, x: np.ndarray, b: np.ndarray, p: np.ndarray, v: np.ndarray, t: float):
        self.x, self.b, self.p, self.v, self.t = x, b, p, v, t

    def copy(self) -> State:
        return State(self.x.copy(), self.b.copy(), self.p.copy(), self.v.copy(), self.t)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (self.x, self.b, self.p, self.v)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())


@dataclass(frozen=True)
class Access:
    """How a port is read and written on a :class:`State`.

    ``kind``: ``"x/"`` (floating-species concentration = amount / volume), ``"x"``
    (floating-species amount), ``"b/"`` and ``"b"`` (the same for a boundary species),
    ``"p"`` (parameter value), ``"series"`` (a series input named ``series``, read
    through the model) or ``"rr"`` (through the model); ``target`` is then the roadrunner
    selection (``"[S]"`` for a concentration).
    """

    kind: str
    index: int = -1
    scale: float = 1.0
    target: str = ""
    series: str = ""


def _exact_inverse(factor: float) -> float | None:
    """``1/factor`` if it is a whole number (ms -> 1000), else ``None``."""
    k = round(1.0 / factor)
    if k >= 1 and abs(k * factor - 1.0) < 1e-12:
        return float(k)
    return None


class Engine:
    """One compiled model shared by many states.

    Parameters
    ----------
    sbml : str
        The SBML text to compile (series inputs already added).
    info : biochem._sbml.ModelInfo
        Description of the model (constant compartments are not part of a state).
    source : str
        Where the model came from, for messages.
    settings : IntegratorSettings
        CVODE settings.
    series_inputs : mapping of str to int
        Series inputs added to the SBML (target id -> bins).
    seconds_per_time_unit : float
        Length of one model time unit [s].
    """

    def __init__(self, sbml: str, info: _sbml.ModelInfo, source: str,
                 settings: IntegratorSettings, series_inputs: Mapping[str, int],
                 seconds_per_time_unit: float = 1.0):  # fmt: skip
        self.source = source
        self.seconds_per_time_unit = float(seconds_per_time_unit)
        self._per_second = _exact_inverse(self.seconds_per_time_unit)
        import roadrunner

        try:
            rr = roadrunner.RoadRunner(sbml)
        except RuntimeError as exc:
            raise UnsupportedSBMLError(
                f"{source}: libroadrunner cannot compile the model: {exc}; simplify "
                "the construct it names"
            ) from None
        self.rr = rr
        m = rr.model
        self._model = m
        assigned = set(rr.getAssignmentRuleIds())
        self.float_ids = tuple(m.getFloatingSpeciesIds())
        fidx = [i for i, s in enumerate(self.float_ids) if s not in assigned]
        self._fidx = np.array(fidx, dtype=np.int32)
        self.state_species = tuple(self.float_ids[i] for i in fidx)
        self.bound_ids = tuple(m.getBoundarySpeciesIds())
        bidx = [i for i, s in enumerate(self.bound_ids) if s not in assigned]
        self._bidx = np.array(bidx, dtype=np.int32)
        self.state_boundary = tuple(self.bound_ids[i] for i in bidx)
        self.param_ids = tuple(m.getGlobalParameterIds())
        pidx = [i for i, p in enumerate(self.param_ids) if p not in assigned]
        self._pidx = np.array(pidx, dtype=np.int32)
        self.state_params = tuple(self.param_ids[i] for i in pidx)
        where = {pid: k for k, pid in enumerate(self.state_params)}
        self._series = {
            pid: {g: np.array([where[i] for i in ids], dtype=np.int64)
                  for g, ids in _sbml.series_ids(pid, n).items()}
            for pid, n in series_inputs.items()
        }  # fmt: skip
        self.comp_ids = tuple(m.getCompartmentIds())
        const_comp = {c.id for c in info.compartments if c.constant}
        cidx = [i for i, c in enumerate(self.comp_ids) if c not in assigned and c not in const_comp]
        self._cidx = np.array(cidx, dtype=np.int32)
        self._variable_comps = frozenset(self.comp_ids[i] for i in cidx)
        csetidx = [i for i, c in enumerate(self.comp_ids) if c not in assigned]
        self._csetidx = np.array(csetidx, dtype=np.int32)
        self._cones = np.ones(len(csetidx))
        self._cvols = np.array(m.getCompartmentVolumes(self._csetidx), dtype=float)
        self._swap_volumes = bool(len(csetidx))
        vols = np.array(m.getCompartmentVolumes(), dtype=float)
        #: species id -> (compartment id, its initial volume), floating and boundary
        self.species_volume: dict[str, tuple[str, float]] = {}
        for i, s in enumerate(self.float_ids):
            c = self.comp_ids[m.getCompartmentIndexForFloatingSpecies(i)]
            self.species_volume[s] = (c, float(vols[self.comp_ids.index(c)]))
        for i, s in enumerate(self.bound_ids):
            c = self.comp_ids[m.getCompartmentIndexForBoundarySpecies(i)]
            self.species_volume[s] = (c, float(vols[self.comp_ids.index(c)]))
        # Boundary amounts are written as concentrations (libroadrunner 2.10 refuses
        # setBoundarySpeciesAmounts with indices from Python).  With the volumes set to 1
        # during the transfer the two are equal; a species in a compartment defined by a
        # rule (not swapped) is divided by that compartment's current volume.
        swapped = {self.comp_ids[i] for i in csetidx}
        unswapped = [k for k, s in enumerate(self.state_boundary)
                     if self.species_volume[s][0] not in swapped]  # fmt: skip
        self._b_unswapped = np.array(unswapped, dtype=np.int64)
        self._b_unswapped_comp = np.array(
            [self.comp_ids.index(self.species_volume[self.state_boundary[k]][0])
             for k in unswapped], dtype=np.int32)  # fmt: skip
        # initial state, read exactly (see store)
        t0 = float(m.getTime())
        self._initial = self.store(State(np.zeros(len(fidx)), np.zeros(len(bidx)),
                                         np.zeros(len(pidx)), np.zeros(len(cidx)), t0), t0)  # fmt: skip
        self._initial.v = np.array(m.getCompartmentVolumes(self._cidx), dtype=float)
        self._ports: dict[str, Access] = {}
        self.settings = settings
        self.apply_settings(settings)

    # ------------------------------------------------------------------ time
    def to_model(self, t_s: float) -> float:
        """Seconds -> model time units (exact for s, ms, us; ``t / 60`` for minutes)."""
        if self._per_second is not None:
            return t_s * self._per_second
        return t_s / self.seconds_per_time_unit

    def to_seconds(self, t: float) -> float:
        """Model time units -> seconds."""
        if self._per_second is not None:
            return t / self._per_second
        return t * self.seconds_per_time_unit

    # ------------------------------------------------------------------ settings
    def apply_settings(self, s: IntegratorSettings) -> None:
        """Give CVODE the settings (step sizes converted from seconds to model time)."""
        self.settings = s
        integ = self.rr.integrator
        if integ.getName() != "cvode":
            self.rr.setIntegrator("cvode")
            integ = self.rr.integrator
        integ.relative_tolerance = s.relative_tolerance
        integ.stiff = s.stiff
        integ.maximum_time_step = self.to_model(s.maximum_time_step_s)
        integ.initial_time_step = self.to_model(s.initial_time_step_s)
        integ.maximum_num_steps = s.maximum_num_steps
        integ.variable_step_size = False
        n_rate = self._model.getNumRateRules()
        rate_ids = set(self.rr.getRateRuleIds())  # a species with a rate rule counts once
        n_state = n_rate + sum(1 for sid in self.state_species if sid not in rate_ids)
        atol = []
        for k in range(n_state):
            sid = self._model.getStateVectorId(k)
            if sid in self.species_volume and sid in self.float_ids:
                # concentration tolerance [conc] * compartment volume = amount tolerance
                atol.append(s.absolute_tolerance_conc * self.species_volume[sid][1])
            else:
                atol.append(s.absolute_tolerance_other)
        if atol:
            integ.absolute_tolerance = atol

    # ------------------------------------------------------------------ description
    def ids(self) -> tuple[str, ...]:
        """Every SBML id that :meth:`evaluate` can read."""
        return self.float_ids + self.bound_ids + self.param_ids + self.comp_ids

    def initial_state(self) -> State:
        """A copy of the model's initial state (at its initial time)."""
        return self._initial.copy()

    def state_sizes(self) -> tuple[int, int, int, int]:
        """Lengths of a state's arrays (x, b, p, v)."""
        return tuple(len(a) for a in self._initial.arrays())  # type: ignore[return-value]

    # ------------------------------------------------------------------ ports
    def access(self, target: str, element: str, quantity: str, assigned: bool) -> Access:
        """How to read and write a port on target ``target`` (see :class:`Access`)."""
        in_state = target in self.state_species or target in self.state_boundary
        if element == "species" and not assigned and in_state:
            comp, vol = self.species_volume[target]
            floating = target in self.state_species
            i = (self.state_species if floating else self.state_boundary).index(target)
            base = "x" if floating else "b"
            if quantity == "amount":
                return Access(base, i, 1.0)
            if comp in self._variable_comps:
                return Access("rr", target=f"[{target}]")
            return Access(base + "/", i, vol)
        if target in self._series:
            sel = f"[{target}]" if element == "species" and quantity == "concentration" else target
            return Access("series", target=sel, series=target)
        if element == "parameter" and target in self.state_params and not assigned:
            return Access("p", self.state_params.index(target), 1.0)
        if element == "species":
            return Access("rr", target=target if quantity == "amount" else f"[{target}]")
        return Access("rr", target=target)

    def bind_port(self, name: str, acc: Access) -> None:
        """Remember how port ``name`` is accessed (ports are resolved by the pathway)."""
        self._ports[name] = acc

    def port_access(self, name: str) -> Access | None:
        """The :class:`Access` of port ``name``, or ``None`` if there is no such port."""
        return self._ports.get(name)

    def series_capacity(self, target: str) -> int:
        """Most bins of a time course of series input ``target`` (0: not a series input)."""
        ix = self._series.get(target)
        return 0 if ix is None else len(ix["mean"])

    def get(self, state: State, acc: Access) -> float:
        """A port's value on ``state`` (no side effects)."""
        kind = acc.kind
        if kind == "x/":  # concentration = amount / volume, as roadrunner computes it
            return float(state.x[acc.index] / acc.scale)
        if kind == "x":
            return float(state.x[acc.index] * acc.scale)
        if kind == "b/":
            return float(state.b[acc.index] / acc.scale)
        if kind == "b":
            return float(state.b[acc.index] * acc.scale)
        if kind == "p":
            return float(state.p[acc.index])
        return float(self.evaluate(state, (acc.target,))[0])

    def set(self, state: State, acc: Access, v: float, selection: str) -> None:
        """Write a port's value into ``state``; ``selection`` is used for ``"rr"`` access."""
        kind = acc.kind
        if kind == "series":  # a constant: the hold value, the course switched off
            ix = self._series[acc.series]
            state.p[ix["hold"][0]] = v
            state.p[ix["edge"][0]] = _sbml.SERIES_OFF
        elif kind == "x/":  # amount = concentration * volume
            state.x[acc.index] = v * acc.scale
        elif kind == "x":
            state.x[acc.index] = v / acc.scale
        elif kind == "b/":
            state.b[acc.index] = v * acc.scale
        elif kind == "b":
            state.b[acc.index] = v / acc.scale
        elif kind == "p":
            state.p[acc.index] = v
        else:
            self.load(state)
            self._model.setValue(selection, v)
            self.store(state, state.t)

    def set_series(self, state: State, target: str, edges: np.ndarray, means: np.ndarray,
                   knots: np.ndarray, hold: float) -> None:  # fmt: skip
        """Write a checked course (edges in model time) into ``state``."""
        ix = self._series[target]
        n = len(means)
        p = state.p
        p[ix["edge"][: n + 1]] = edges
        p[ix["edge"][n + 1 :]] = edges[-1]  # unused bins: zero width, never selected
        p[ix["mean"][:n]] = means
        p[ix["knot"][: n + 1]] = knots
        p[ix["hold"][0]] = hold

    # ------------------------------------------------------------------ load / store
    def load(self, state: State) -> None:
        """Write a state into the shared model (no integrator restart).

        libroadrunner's amount getters and setters of a concentration-based species go
        through the concentration (amount/V*V), which can change the last bit; with the
        compartment volumes set to 1 during the transfer they are exact, so a swapped-in
        state continues bitwise like a roadrunner that was never swapped.
        """
        m = self._model
        m.setTime(state.t)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, self._cones)
        if len(self._fidx):
            m.setFloatingSpeciesAmounts(self._fidx, state.x)
        if len(self._bidx):
            b = state.b
            if len(self._b_unswapped):
                b = b.copy()
                vols = np.array(m.getCompartmentVolumes(self._b_unswapped_comp), dtype=float)
                b[self._b_unswapped] /= vols
            m.setBoundarySpeciesConcentrations(self._bidx, b)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, self._cvols)
        if len(self._cidx):
            m.setCompartmentVolumes(self._cidx, state.v)
        if len(self._pidx):
            m.setGlobalParameterValues(self._pidx, state.p)

    def store(self, state: State, t: float) -> State:
        """Read the shared model's state back into ``state`` at time ``t`` (see :meth:`load`)."""
        m = self._model
        if len(self._cidx):
            state.v = np.array(m.getCompartmentVolumes(self._cidx), dtype=float)
        if self._swap_volumes:
            now = np.array(m.getCompartmentVolumes(self._csetidx), dtype=float)
            m.setCompartmentVolumes(self._csetidx, self._cones)
        state.x = np.array(m.getFloatingSpeciesAmounts(self._fidx), dtype=float)
        if len(self._bidx):
            state.b = np.array(m.getBoundarySpeciesAmounts(self._bidx), dtype=float)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, now)
        if len(self._pidx):
            state.p = np.array(m.getGlobalParameterValues(self._pidx), dtype=float)
        state.t = t
        return state

    def advance(self, state: State, t: float) -> None:
        """Integrate ``state`` from its time to model time ``t`` (CVODE restarted there).

        Raises :class:`SolverFailure` with CVODE's message; ``state`` is then unchanged.
        """
        t0 = state.t
        self.load(state)
        integ = self.rr.integrator
        try:
            integ.restart(t0)
            integ.integrate(t0, t - t0)
        except RuntimeError as exc:
            raise SolverFailure(" ".join(str(exc).split())) from None
        self.store(state, t)

    def evaluate(self, state: State, ids: Iterable[str]) -> np.ndarray:
        """Model values (roadrunner selections) on ``state``; ``KeyError(id)`` if unknown."""
        self.load(state)
        m = self._model
        out = []
        for sid in ids:
            try:
                out.append(m.getValue(sid))
            except RuntimeError:
                raise KeyError(sid) from None
        return np.array(out, dtype=float)
