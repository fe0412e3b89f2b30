"""``Pathway``: one SBML model compiled once, and the instances that share it.

A pathway holds a single libroadrunner model (about 8.5 MiB for the spine pathway).  Each
:class:`~biochem.instance.PathwayInstance` holds only its state: the amounts of the
floating species, the values of the parameters that are not assignment rules, the
boundary-species amounts and the compartment volumes that can change, and its model
time (a few KiB).  To advance an instance, that state is written into the shared model,
CVODE is restarted at the instance's time and integrates to the target time, and the
state is read back.  Because every advance restarts CVODE from the state alone, an
instance gives bitwise the numbers of a separate roadrunner on which ``simulate(t0, t1)``
is called with the same settings and the same sequence of times.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from biochem import _sbml
from biochem.errors import (
    IntegrationError,
    InvalidSBMLError,
    PortSpecError,
    UnknownPortError,
    UnsupportedSBMLError,
    did_you_mean,
)
from biochem.instance import PathwayInstance
from biochem.integrator import IntegratorSettings
from biochem.ports import Port, PortSpec
from biochem.units import same_unit

__all__ = ["SPINE_PORTS", "Pathway"]

log = logging.getLogger(__name__)

#: Ports of the shipped spine pathway.
SPINE_PORTS: Mapping[str, Port] = MappingProxyType(
    {
        "ca": Port("ca", "concentration", "M", "inout", "free Ca2+ in the spine"),
        "ca_in": Port("ca_in", "value", "M/s", "in", "Ca2+ input flux into the spine"),
        "ca_pump_vmax": Port("ca_pump_vmax", "value", "M/s", "in", "Ca pump Vmax (0 = off)"),
        "ca_leak_vmax": Port("ca_leak_vmax", "value", "M/s", "in", "Ca leak Vmax (0 = off)"),
        "AMPAR_P": Port("AMPAR_P", "concentration", "M", "out", "Ser831-phosphorylated AMPAR"),
    }
)


def _import_roadrunner():
    import roadrunner

    return roadrunner


class Pathway:
    """An SBML pathway compiled once, with ports and per-instance state.

    Use the constructors :meth:`from_file`, :meth:`from_string`, :meth:`from_antimony`
    or :meth:`spine`; ``Pathway(text)`` is :meth:`from_string`.

    Parameters
    ----------
    text : str
        SBML (Level 2 or 3) or Antimony text.
    ports : mapping of str to Port or str, optional
        Ports by name.  A value is a :class:`~biochem.ports.Port`, ``"[id]"`` (species
        concentration) or a parameter id.
    name : str, optional
        Pathway name (default: the SBML model id).
    integrator : IntegratorSettings, optional
        CVODE settings shared by all instances.
    source : str
        Where the text came from, for messages.
    series_inputs : mapping of str to int, optional
        Parameters that can also take a time course within one advance
        (:meth:`PathwayInstance.set_series`), with the largest number of bins of
        one course: ``{"ca_in": 64}``.  Such a parameter becomes an assignment
        rule of the model (see :func:`biochem._sbml.add_series_input`); as a
        port it is set and read as before.

    Examples
    --------
    >>> from biochem import Pathway, Port
    >>> pw = Pathway.from_antimony("model m; species A = 1; J: A ->; 2*A; end",
    ...                            ports={"A": Port("A", "concentration", unit="M")})
    >>> inst = pw.instance("spine_0000")
    >>> inst.advance_to(0.5)
    >>> round(inst.get("A"), 6)  # exp(-1)
    0.367879
    """

    def __init__(
        self,
        text: str,
        *,
        ports: Mapping[str, Port | str] | None = None,
        name: str | None = None,
        integrator: IntegratorSettings | None = None,
        source: str = "<string>",
        series_inputs: Mapping[str, int] | None = None,
    ):
        if not isinstance(text, str):
            raise InvalidSBMLError(
                f"{source}: model text must be a str, got {type(text).__name__}; to load a "
                "file use Pathway.from_file(path)"
            )
        if integrator is not None and not isinstance(integrator, IntegratorSettings):
            raise PortSpecError(
                f"{source}: integrator must be an IntegratorSettings, got "
                f"{type(integrator).__name__}"
            )
        self.source = source
        self._text = text
        self._port_decls = dict(ports or {})
        stripped = text.lstrip("\ufeff \t\r\n")  # a UTF-8 byte-order mark is not content
        if not stripped:
            raise InvalidSBMLError(f"{source}: the model text is empty; pass SBML or Antimony")
        if stripped.startswith("<"):
            sbml = text
        else:
            sbml = _sbml.antimony_to_sbml(text, source)
        doc = _sbml.parse_sbml(sbml, source)
        _sbml.check_supported(doc, source)
        self.info: _sbml.ModelInfo = _sbml.describe(doc)
        self.name = name or self.info.id or "pathway"
        self.series_inputs = dict(series_inputs or {})
        for pid, n in self.series_inputs.items():
            _sbml.add_series_input(doc, pid, n, source)
        if self.series_inputs:
            sbml = _sbml.write_sbml(doc)
        self.sbml = sbml
        self.fingerprint = hashlib.sha256(sbml.encode("utf-8")).digest()[:16]
        self._settings = integrator or IntegratorSettings()
        self._compile()
        self._ports: dict[str, PortSpec] = {}
        self._port_access: dict[str, tuple] = {}
        for pname, decl in (ports or {}).items():
            self._add_port(pname, decl)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_file(cls, path: str | Path, **kwargs) -> Pathway:
        """Load an SBML (``.xml``/``.sbml``) or Antimony (``.ant``/``.txt``) file."""
        text = _sbml.read_source(path)
        kwargs.setdefault("source", str(path))
        return cls(text, **kwargs)

    @classmethod
    def from_string(cls, text: str, **kwargs) -> Pathway:
        """Load SBML text (starts with ``<``) or Antimony text."""
        return cls(text, **kwargs)

    @classmethod
    def from_antimony(cls, text: str, **kwargs) -> Pathway:
        """Load Antimony text (converted to SBML by the antimony library)."""
        kwargs.setdefault("source", "<antimony>")
        sbml = _sbml.antimony_to_sbml(text, kwargs["source"])
        return cls(sbml, **kwargs)

    @classmethod
    def spine(
        cls,
        variant: str = "timescales",
        *,
        integrator: IntegratorSettings | None = None,
        ports: Mapping[str, Port | str] | None = None,
        series_inputs: Mapping[str, int] | None = None,
    ) -> Pathway:
        """The shipped spine pathway (CaM/CaMKII/PP1/PKA/DARPP-32/PP2B/AMPAR).

        Parameters
        ----------
        variant : {"timescales", "corrected"}
            See :mod:`biochem.spine_pathway`.
        integrator : IntegratorSettings, optional
            CVODE settings (defaults meet 1e-4 relative against the references).
        ports : mapping, optional
            Extra ports, added to :data:`SPINE_PORTS`.
        series_inputs : mapping, optional
            As in :class:`Pathway` (``{"ca_in": 64}`` for batched calcium delivery).
        """
        from biochem.spine_pathway import shipped_path

        path = shipped_path(variant)
        all_ports = dict(SPINE_PORTS)
        all_ports.update(ports or {})
        return cls.from_file(path, ports=all_ports, integrator=integrator,
                             series_inputs=series_inputs)  # fmt: skip

    # ------------------------------------------------------------------ compilation
    def _compile(self) -> None:
        rr_mod = _import_roadrunner()
        try:
            rr = rr_mod.RoadRunner(self.sbml)
        except RuntimeError as exc:
            raise UnsupportedSBMLError(
                f"{self.source}: libroadrunner cannot compile the model: {exc}; simplify "
                "the construct it names"
            ) from None
        self._rr = rr
        m = rr.model
        self._model = m
        assigned = set(rr.getAssignmentRuleIds())
        self._float_ids = tuple(m.getFloatingSpeciesIds())
        fidx = [i for i, s in enumerate(self._float_ids) if s not in assigned]
        self._fidx = np.array(fidx, dtype=np.int32)
        self._state_species = tuple(self._float_ids[i] for i in fidx)
        self._bound_ids = tuple(m.getBoundarySpeciesIds())
        bidx = [i for i, s in enumerate(self._bound_ids) if s not in assigned]
        self._bidx = np.array(bidx, dtype=np.int32)
        self._param_ids = tuple(m.getGlobalParameterIds())
        pidx = [i for i, p in enumerate(self._param_ids) if p not in assigned]
        self._pidx = np.array(pidx, dtype=np.int32)
        self._state_params = tuple(self._param_ids[i] for i in pidx)
        where = {pid: k for k, pid in enumerate(self._state_params)}
        self._series = {
            pid: {g: np.array([where[i] for i in ids], dtype=np.int64)
                  for g, ids in _sbml.series_ids(pid, n).items()}
            for pid, n in self.series_inputs.items()
        }  # fmt: skip
        self._comp_ids = tuple(m.getCompartmentIds())
        const_comp = {c.id for c in self.info.compartments if c.constant}
        cidx = [
            i for i, c in enumerate(self._comp_ids) if c not in assigned and c not in const_comp
        ]
        self._cidx = np.array(cidx, dtype=np.int32)
        csetidx = [i for i, c in enumerate(self._comp_ids) if c not in assigned]
        self._csetidx = np.array(csetidx, dtype=np.int32)
        self._cones = np.ones(len(csetidx))
        self._cvols = np.array(m.getCompartmentVolumes(self._csetidx), dtype=float)
        self._swap_volumes = bool(len(csetidx))
        # initial state, read exactly (see _store)
        self._x0 = np.zeros(len(fidx))
        self._b0 = np.zeros(len(bidx))
        self._p0 = np.zeros(len(pidx))
        self._v0 = np.zeros(len(cidx))
        self._t0 = float(m.getTime())
        probe = PathwayInstance.__new__(PathwayInstance)
        probe._x, probe._b, probe._p, probe._v = self._x0, self._b0, self._p0, self._v0
        self._store(probe, self._t0)
        self._x0, self._b0, self._p0 = probe._x, probe._b, probe._p
        self._v0 = np.array(m.getCompartmentVolumes(self._cidx), dtype=float)
        vols = np.array(m.getCompartmentVolumes(), dtype=float)
        self._species_volume = {
            s: (self._comp_ids[m.getCompartmentIndexForFloatingSpecies(i)], None)
            for i, s in enumerate(self._float_ids)
        }
        self._species_volume = {
            s: (c, float(vols[self._comp_ids.index(c)]))
            for s, (c, _) in self._species_volume.items()
        }
        self._apply_settings()

    def _apply_settings(self) -> None:
        s = self._settings
        integ = self._rr.integrator
        if integ.getName() != "cvode":
            self._rr.setIntegrator("cvode")
            integ = self._rr.integrator
        integ.relative_tolerance = s.relative_tolerance
        integ.stiff = s.stiff
        integ.maximum_time_step = s.maximum_time_step_s
        integ.initial_time_step = s.initial_time_step_s
        integ.maximum_num_steps = s.maximum_num_steps
        integ.variable_step_size = False
        n_rate = self._model.getNumRateRules()
        n_state = n_rate + len(self._state_species)
        atol = []
        for k in range(n_state):
            sid = self._model.getStateVectorId(k)
            if sid in self._species_volume:
                # concentration tolerance [conc] * compartment volume = amount tolerance
                atol.append(s.absolute_tolerance_conc * self._species_volume[sid][1])
            else:
                atol.append(s.absolute_tolerance_other)
        if atol:
            integ.absolute_tolerance = atol

    # ------------------------------------------------------------------ description
    @property
    def species(self) -> tuple[_sbml.SpeciesInfo, ...]:
        """Species of the model."""
        return self.info.species

    @property
    def parameters(self) -> tuple[_sbml.ParameterInfo, ...]:
        """Global parameters of the model."""
        return self.info.parameters

    @property
    def compartments(self) -> tuple[_sbml.CompartmentInfo, ...]:
        """Compartments of the model."""
        return self.info.compartments

    @property
    def rules(self) -> tuple[_sbml.RuleInfo, ...]:
        """Assignment and rate rules of the model."""
        return self.info.rules

    @property
    def events(self) -> tuple[_sbml.EventInfo, ...]:
        """Events of the model."""
        return self.info.events

    @property
    def reactions(self) -> tuple[str, ...]:
        """Reaction ids."""
        return self.info.reactions

    @property
    def units(self) -> dict[str, str]:
        """Model-wide units (substance, volume, time, extent) and unit definitions."""
        return dict(self.info.units)

    @property
    def integrator(self) -> IntegratorSettings:
        """CVODE settings shared by the instances."""
        return self._settings

    def set_integrator(self, settings: IntegratorSettings) -> None:
        """Replace the CVODE settings (affects every instance's next advance)."""
        if not isinstance(settings, IntegratorSettings):
            raise PortSpecError(
                f"pathway {self.name}: expected IntegratorSettings, got {type(settings).__name__}"
            )
        self._settings = settings
        self._apply_settings()

    def ports(self) -> Mapping[str, PortSpec]:
        """The resolved ports, by name."""
        return MappingProxyType(self._ports)

    def ids(self) -> tuple[str, ...]:
        """Every SBML id that :meth:`PathwayInstance.value` can read."""
        return self._float_ids + self._bound_ids + self._param_ids + self._comp_ids

    # ------------------------------------------------------------------ ports
    def _add_port(self, pname: str, decl: Port | str) -> None:
        where = f"{self.source}: port {pname!r}"
        if not isinstance(pname, str) or not pname:
            raise PortSpecError(
                f"{self.source}: port names must be non-empty strings, got {pname!r}"
            )
        if isinstance(decl, str):
            if decl.startswith("[") and decl.endswith("]"):
                decl = Port(decl[1:-1], "concentration")
            else:
                decl = Port(decl)
        if not isinstance(decl, Port):
            raise PortSpecError(
                f"{where}: expected a Port, '[species]' or a parameter id, got {decl!r}"
            )
        if decl.direction not in ("in", "out", "inout"):
            raise PortSpecError(
                f"{where}: direction {decl.direction!r}; use 'in', 'out' or 'inout'"
            )
        target = decl.target
        sp = {s.id: s for s in self.info.species}
        par = {p.id: p for p in self.info.parameters}
        comp = {c.id: c for c in self.info.compartments}
        if target in sp:
            element = "species"
            s = sp[target]
            if decl.quantity not in ("concentration", "amount"):
                raise PortSpecError(
                    f"{where}: species {target!r} needs an explicit quantity; write "
                    f"Port({target!r}, quantity='concentration') (or '[{target}]') or "
                    f"Port({target!r}, quantity='amount')"
                )
            sbml_unit = (
                s.concentration_unit if decl.quantity == "concentration" else s.substance_unit
            )
            assigned = any(r.variable == target and r.kind == "assignment" for r in self.info.rules)
        elif target in par or target in comp:
            element = "parameter" if target in par else "compartment"
            if decl.quantity not in (None, "value"):
                raise PortSpecError(
                    f"{where}: {element} {target!r} has a value, not a {decl.quantity}; "
                    "omit quantity (or use 'value')"
                )
            info = par.get(target) or comp[target]
            sbml_unit = info.unit
            assigned = any(r.variable == target and r.kind == "assignment" for r in self.info.rules)
        else:
            known = list(sp) + list(par) + list(comp)
            raise UnknownPortError(
                f"{where}: no species, parameter or compartment {target!r} in model "
                f"{self.info.id!r}{did_you_mean(target, known)}"
            )
        unit = decl.unit
        if unit is None:
            if not sbml_unit:
                raise PortSpecError(
                    f"{where}: the SBML declares no unit for {target!r}; give one, e.g. "
                    f"Port({target!r}, ..., unit='M')"
                )
            unit = sbml_unit
        else:
            try:
                if sbml_unit and not same_unit(unit, sbml_unit):
                    raise PortSpecError(
                        f"{where}: unit {unit!r} does not match the model's {sbml_unit!r} for "
                        f"{target!r}; use the model's unit (conversions belong in the coupling)"
                    )
                if not sbml_unit:
                    same_unit(unit, unit)  # parses it
            except ValueError as exc:
                raise PortSpecError(f"{where}: {exc}") from None
        if assigned and decl.direction != "out":
            raise PortSpecError(
                f"{where}: {target!r} is defined by an assignment rule and cannot be written; "
                "declare the port with direction='out'"
            )
        spec = PortSpec(pname, target, element, decl.quantity or "value", unit,
                        decl.direction, decl.doc, assigned)  # fmt: skip
        self._ports[pname] = spec
        self._port_access[pname] = self._access_for(spec)

    def _access_for(self, spec: PortSpec) -> tuple:
        """(array, index, scale) to read a port from an instance's state, or ('rr', id)."""
        t = spec.target
        if spec.element == "species" and t in self._state_species and not spec.assigned:
            comp, vol = self._species_volume[t]
            variable_volume = comp in {self._comp_ids[i] for i in self._cidx}
            i = self._state_species.index(t)
            if spec.quantity == "amount":
                return ("x", i, 1.0)
            if variable_volume:
                return ("rr", f"[{t}]")
            return ("x/", i, vol)
        if spec.element == "parameter" and t in self._series:
            return ("series", t)
        if spec.element == "parameter" and t in self._state_params and not spec.assigned:
            return ("p", self._state_params.index(t), 1.0)
        if spec.element == "species" and t in self._bound_ids and not spec.assigned:
            if spec.quantity == "amount":
                return ("rr", t)
            return ("rr", f"[{t}]")
        return ("rr", t)

    def with_series_inputs(self, series_inputs: Mapping[str, int]) -> Pathway:
        """The same model, ports and settings, compiled with these series inputs."""
        return type(self)(self._text, ports=self._port_decls, name=self.name,
                          integrator=self._settings, source=self.source,
                          series_inputs=series_inputs)  # fmt: skip

    def series_capacity(self, name: str) -> int:
        """Most bins a time course of port ``name`` can have (0: it takes constants only)."""
        acc = self._port_access.get(name)
        if acc is None or acc[0] != "series":
            return 0
        return len(self._series[acc[1]]["mean"])

    def port(self, name: str) -> PortSpec:
        """The :class:`PortSpec` of a port; :class:`UnknownPortError` with a suggestion."""
        try:
            return self._ports[name]
        except KeyError:
            raise UnknownPortError(
                f"pathway {self.name}: no port {name!r}{did_you_mean(name, self._ports)} "
                f"(ports: {', '.join(self._ports) or 'none declared'})"
            ) from None

    # ------------------------------------------------------------------ instances
    def instance(self, name: str, spine: str | int | None = None) -> PathwayInstance:
        """A new instance at the model's initial state and time.

        Parameters
        ----------
        name : str
            Instance name used in messages and output (e.g. ``"spine_0003"``).
        spine : str or int, optional
            The spine this instance belongs to (for messages).
        """
        return PathwayInstance(self, name, spine)

    def instances(self, n: int, prefix: str = "spine_") -> list[PathwayInstance]:
        """``n`` new instances named ``f"{prefix}{k:04d}"``, with ``spine = k``."""
        if not isinstance(n, int | np.integer) or n < 0:
            from biochem.errors import InstanceArgumentError

            raise InstanceArgumentError(
                f"pathway {self.name}: n = {n!r} instances; need an int >= 0"
            )
        return [PathwayInstance(self, f"{prefix}{k:04d}", k) for k in range(int(n))]

    # ------------------------------------------------------------------ engine
    def _load(self, inst: PathwayInstance) -> None:
        """Write an instance's state into the shared model (no integrator restart).

        libroadrunner's amount getters and setters of a concentration-based species go
        through the concentration (amount/V*V), which can change the last bit; with the
        compartment volumes set to 1 during the transfer they are exact, so a swapped-in
        instance continues bitwise like a roadrunner that was never swapped.
        """
        m = self._model
        m.setTime(inst._t)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, self._cones)
        if len(self._fidx):
            m.setFloatingSpeciesAmounts(self._fidx, inst._x)
        if len(self._bidx):
            m.setBoundarySpeciesAmounts(self._bidx, inst._b)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, self._cvols)
        if len(self._cidx):
            m.setCompartmentVolumes(self._cidx, inst._v)
        if len(self._pidx):
            m.setGlobalParameterValues(self._pidx, inst._p)

    def _store(self, inst: PathwayInstance, t: float) -> None:
        """Read the shared model's state back into an instance (see :meth:`_load`)."""
        m = self._model
        if len(self._cidx):
            inst._v = np.array(m.getCompartmentVolumes(self._cidx), dtype=float)
        if self._swap_volumes:
            now = np.array(m.getCompartmentVolumes(self._csetidx), dtype=float)
            m.setCompartmentVolumes(self._csetidx, self._cones)
        inst._x = np.array(m.getFloatingSpeciesAmounts(self._fidx), dtype=float)
        if len(self._bidx):
            inst._b = np.array(m.getBoundarySpeciesAmounts(self._bidx), dtype=float)
        if self._swap_volumes:
            m.setCompartmentVolumes(self._csetidx, now)
        if len(self._pidx):
            inst._p = np.array(m.getGlobalParameterValues(self._pidx), dtype=float)
        inst._t = t

    def _advance(self, inst: PathwayInstance, t: float) -> None:
        t0 = inst._t
        self._load(inst)
        integ = self._rr.integrator
        try:
            integ.restart(t0)
            integ.integrate(t0, t - t0)
        except RuntimeError as exc:
            msg = " ".join(str(exc).split())
            raise IntegrationError(
                f"pathway {self.name}: instance {inst.name} (spine {inst.spine}) failed to "
                f"advance from t = {t0!r} s to t = {t!r} s: {msg}; the instance keeps its state "
                f"at t = {t0!r} s. Check the inputs just set (values with units), or loosen "
                "the tolerances / raise maximum_num_steps in IntegratorSettings"
            ) from None
        self._store(inst, t)

    def _evaluate(self, inst: PathwayInstance, ids: Iterable[str]) -> np.ndarray:
        self._load(inst)
        m = self._model
        out = []
        for sid in ids:
            try:
                out.append(m.getValue(sid))
            except RuntimeError:
                bare = sid.strip("[]")
                raise UnknownPortError(
                    f"pathway {self.name}: instance {inst.name}: no model value {sid!r}"
                    f"{did_you_mean(bare, self.ids())}; species concentrations are '[id]', "
                    "amounts 'id'"
                ) from None
        return np.array(out, dtype=float)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name} n_species={len(self.info.species)} "
            f"n_reactions={len(self.info.reactions)} n_ports={len(self._ports)}>"
        )
