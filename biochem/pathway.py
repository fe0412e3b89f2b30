"""``Pathway``: one SBML model compiled once, and the instances that share it.

A pathway reads and checks the model text, describes it, resolves its ports and builds
the :class:`~biochem._engine.Engine` (one libroadrunner model, about 8.5 MiB for the
spine pathway).  Each :class:`~biochem.instance.PathwayInstance` holds only its state (a
few KiB) and advances it through the engine; see :mod:`biochem._engine`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from biochem import _sbml
from biochem._engine import Engine
from biochem.errors import (
    InstanceArgumentError,
    InvalidSBMLError,
    PortSpecError,
    UnknownPortError,
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
        port it is set and read as before.  A species taken over with
        ``driven_species`` can be a series input too.
    parameters : mapping of str to float, optional
        Overrides, by SBML id: the value of a global parameter, the initial
        concentration of a species (its initial amount if the species has only
        substance units) or the size of a compartment, in the model's units.  An
        initial assignment of the element is dropped; an element defined by an
        assignment rule cannot be overridden.  Unknown ids raise
        :class:`~biochem.errors.UnknownElementError` with a suggestion.
    driven_species : iterable of str, optional
        Species taken over by another component (concentration coupling): each becomes
        a boundary species that reactions no longer change and that ``set`` (or a
        series input) drives.  An assignment or rate rule that defined it is removed
        from this pathway's model (:attr:`driven_species` says which); an assignment
        rule's formula becomes the species' initial assignment, so it starts at the
        rule's value.

    Notes
    -----
    Times on the instances' side are in seconds; the model's own time unit
    (:attr:`time_unit`, :attr:`seconds_per_time_unit`) is converted in both directions
    (``advance_to``, ``initialize``, ``t_s``, the edges of series inputs and the step
    sizes of :class:`IntegratorSettings`).  Port values stay in the model's units: a rate
    in a model that runs in ms has a port unit per ms (e.g. ``mol/(L*ms)``), which the
    coupling converts.  A species without any initial value raises
    :class:`~biochem.errors.MissingInitialValueError` at load.

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
        parameters: Mapping[str, float] | None = None,
        driven_species: Iterable[str] | None = None,
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
        if isinstance(driven_species, str):
            driven_species = (driven_species,)
        self._driven_request = tuple(driven_species or ())
        self._overrides = dict(parameters or {})
        #: Species taken over from outside -> the rule removed for it ("" if none).
        self.driven_species: Mapping[str, str] = MappingProxyType(
            _sbml.take_over_species(doc, self._driven_request, source)
        )
        _sbml.apply_overrides(doc, self._overrides, source)
        _sbml.check_initial_values(doc, source)
        self.info: _sbml.ModelInfo = _sbml.describe(doc)
        self.name = name or self.info.id or "pathway"
        unit, seconds, declared = _sbml.time_unit(self.info, source)
        #: The model's time unit ("s", "ms", "min", "h" or "<factor> s").
        self.time_unit: str = unit
        #: Length of one model time unit [s].
        self.seconds_per_time_unit: float = seconds
        #: False if the SBML declares no time unit (seconds are then assumed).
        self.time_unit_declared: bool = declared
        self.series_inputs = dict(series_inputs or {})
        for pid, n in self.series_inputs.items():
            _sbml.add_series_input(doc, pid, n, source)
        if self.series_inputs or self._driven_request or self._overrides:
            sbml = _sbml.write_sbml(doc)
        self.sbml = sbml
        self.fingerprint = hashlib.sha256(sbml.encode("utf-8")).digest()[:16]
        self._settings = integrator or IntegratorSettings()
        self._engine = Engine(sbml, self.info, source, self._settings, self.series_inputs,
                              seconds_per_time_unit=seconds)  # fmt: skip
        self._ports: dict[str, PortSpec] = {}
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
        parameters: Mapping[str, float] | None = None,
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
        parameters : mapping, optional
            Overrides by SBML id, as in :class:`Pathway`.
        """
        from biochem.spine_pathway import shipped_path

        path = shipped_path(variant)
        all_ports = dict(SPINE_PORTS)
        all_ports.update(ports or {})
        return cls.from_file(path, ports=all_ports, integrator=integrator,
                             series_inputs=series_inputs, parameters=parameters)  # fmt: skip

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
        self._engine.apply_settings(settings)

    def ports(self) -> Mapping[str, PortSpec]:
        """The resolved ports, by name."""
        return MappingProxyType(self._ports)

    def ids(self) -> tuple[str, ...]:
        """Every SBML id that :meth:`PathwayInstance.value` can read."""
        return self._engine.ids()

    @property
    def engine(self) -> Engine:
        """The compiled model shared by the instances (internal to ``biochem``)."""
        return self._engine

    @property
    def _rr(self):
        """The libroadrunner object of the engine (for tests that inspect CVODE settings)."""
        return self._engine.rr

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
            fix = (f"to drive it from outside, take it over (driven_species=[{target!r}]); "
                   if element == "species" else "")  # fmt: skip
            raise PortSpecError(
                f"{where}: {target!r} is defined by an assignment rule and cannot be written; "
                f"{fix}to only read it, declare the port with direction='out'"
            )
        spec = PortSpec(pname, target, element, decl.quantity or "value", unit,
                        decl.direction, decl.doc, assigned)  # fmt: skip
        self._ports[pname] = spec
        self._engine.bind_port(pname, self._engine.access(target, element, spec.quantity,
                                                          assigned))  # fmt: skip

    def with_series_inputs(self, series_inputs: Mapping[str, int]) -> Pathway:
        """The same model, ports and settings, compiled with these series inputs."""
        return type(self)(self._text, ports=self._port_decls, name=self.name,
                          integrator=self._settings, source=self.source,
                          series_inputs=series_inputs, parameters=self._overrides,
                          driven_species=self._driven_request)  # fmt: skip

    def with_driven_species(self, species: Iterable[str],
                            series_inputs: Mapping[str, int] | None = None) -> Pathway:
        """The same model, ports and settings with these species taken over (see
        ``driven_species`` in :class:`Pathway`), and optionally series inputs
        (``{"Ca": 64}`` for a continuous course of a driven species).
        """
        driven = tuple(dict.fromkeys(self._driven_request + tuple(species)))
        return type(self)(self._text, ports=self._port_decls, name=self.name,
                          integrator=self._settings, source=self.source,
                          series_inputs=self.series_inputs if series_inputs is None
                          else series_inputs,
                          parameters=self._overrides, driven_species=driven)  # fmt: skip

    @property
    def overrides(self) -> Mapping[str, float]:
        """The ``parameters`` overrides this pathway was loaded with."""
        return MappingProxyType(self._overrides)

    def series_capacity(self, name: str) -> int:
        """Most bins a time course of port ``name`` can have (0: it takes constants only)."""
        acc = self._engine.port_access(name)
        if acc is None or acc.kind != "series":
            return 0
        return self._engine.series_capacity(acc.series)

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
            raise InstanceArgumentError(
                f"pathway {self.name}: n = {n!r} instances; need an int >= 0"
            )
        return [PathwayInstance(self, f"{prefix}{k:04d}", k) for k in range(int(n))]

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name={self.name} n_species={len(self.info.species)} "
            f"n_reactions={len(self.info.reactions)} n_ports={len(self._ports)}>"
        )
