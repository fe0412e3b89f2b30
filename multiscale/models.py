"""Model kinds: what ``[model] kind`` builds, and the facts an experiment checks against.

An experiment names its cell with ``[model] kind`` (default ``"msn"``).  Each kind
is a :class:`ModelKind` in a registry (:func:`register_model_kind`):

- :meth:`ModelKind.facts` gives what validation needs without running anything:
  the number of spines, the section names, the recordable ion variables;
- :meth:`ModelKind.check` adds the kind's own checks (e.g. the MSN's parameter
  overrides and spine positions);
- :meth:`ModelKind.build` builds the cell model the runner and
  :class:`multiscale.cosim.Cosimulation` use.

The kinds shipped here:

``"msn"``
    The TimeScales MSN (:mod:`multiscale.msn`) with the keys ``spines``,
    ``spine_variant``, ``kir_gkbar``, ``cell_parameters``, ``spine_parameters``,
    ``positions_dir`` (and ``cell = "msn"``).
``"python"``
    A user's own model: ``factory = "module:function"`` is imported (the module
    from ``sys.path`` or a ``module.py`` beside the experiment file) and called
    with the ``parameters`` table as keyword arguments.  It returns an object with

    - ``cell``: an :class:`electrical.Cell`;
    - ``spines``: a sequence of :class:`multiscale.spine.Spine` (built with
      :func:`multiscale.spine.add_spine`), numbered 1, 2, ... in order.

    ``celsius`` sets the temperature (default NEURON's 6.3 degC).

A new kind (e.g. ``"morphology"``) subclasses :class:`ModelKind`, names the
``[model]`` keys it owns in ``keys``, and calls :func:`register_model_kind`; a key
given in the file that the chosen kind does not own is reported.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar

from common.errors import did_you_mean

from . import msn as _msn
from .errors import BuildError

if TYPE_CHECKING:  # pragma: no cover
    from .experiment import Experiment

__all__ = [
    "FactoryModel",
    "ModelFacts",
    "ModelKind",
    "model_kind",
    "model_kinds",
    "register_model_kind",
]

#: ``add(key, message)``: how a kind reports a problem of ``[model]`` (or of any key).
AddProblem = Callable[[str, str], None]


@dataclass(frozen=True)
class ModelFacts:
    """What validation knows about a model before it is built."""

    #: Spines 1..n_spines exist.
    n_spines: int
    #: Every section name (cell and spines).
    sections: tuple[str, ...]
    #: Ion variables that can be recorded (``cai``, ``ica``, ...).
    ions: tuple[str, ...]
    #: The model in messages ("the MSN").
    label: str
    #: How the spines came about, in messages ("spine mode 'two'").
    spine_origin: str


class ModelKind:
    """One kind of model; subclass, set ``name``, ``keys`` and ``doc``, and register it."""

    #: The value of ``[model] kind``.
    name: ClassVar[str]
    #: The ``[model]`` keys this kind reads (``kind`` itself excepted).
    keys: ClassVar[tuple[str, ...]]
    #: One line for the docs and messages.
    doc: ClassVar[str] = ""

    def facts(self, exp: Experiment) -> ModelFacts | tuple[str, str]:
        """The model's facts, or ``(key, message)`` when they cannot be known."""
        raise NotImplementedError

    def check(self, exp: Experiment, add: AddProblem, check_files: bool) -> None:
        """Checks of this kind's own keys (beyond the schema's types and bounds)."""

    def build(self, exp: Experiment) -> Any:
        """The cell model: ``cell``, ``spines``, ``spine(n)``, ``model[section name]``,
        ``simulation(dt_ms, **kwargs)`` (as :class:`multiscale.msn.MSN`)."""
        raise NotImplementedError


_KINDS: dict[str, ModelKind] = {}


def register_model_kind(kind: ModelKind) -> ModelKind:
    """Add a kind to the registry (a duplicate name raises ValueError); returns it."""
    if kind.name in _KINDS:
        raise ValueError(f"model kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind
    return kind


def model_kinds() -> tuple[str, ...]:
    """The registered kind names."""
    return tuple(_KINDS)


def model_kind(name: str) -> ModelKind:
    """The kind of that name (LookupError naming the known kinds)."""
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(
            f"unknown model kind {name!r}{did_you_mean(name, _KINDS)}; use one of "
            f"{', '.join(repr(k) for k in _KINDS)}"
        ) from None


# ----------------------------------------------------------------------------- msn


class MSNKind(ModelKind):
    name = "msn"
    keys = ("cell", "spines", "spine_variant", "kir_gkbar", "cell_parameters",
            "spine_parameters", "positions_dir")  # fmt: skip
    doc = "the TimeScales MSN (multiscale.msn)"

    def facts(self, exp: Experiment) -> ModelFacts:
        mode = exp.model.spines
        n = _msn.MODES[_msn.MODE_ALIASES.get(mode, mode)]
        return ModelFacts(n, tuple(_msn.section_names(n)), _msn.ION_VARIABLES, "the MSN",
                          f"spine mode '{mode}'")  # fmt: skip

    def check(self, exp: Experiment, add: AddProblem, check_files: bool) -> None:
        _check_msn_parameters(exp, add)
        mode = exp.model.spines
        if check_files and mode in ("onebranch", "all"):
            try:
                _msn.load_spine_positions(exp.model.positions_dir or None)
            except _msn.SpinePositionsError as exc:
                add("model.spines" if not exp.model.positions_dir else "model.positions_dir",
                    f"= {json.dumps(mode)} needs the published spine positions: {exc}")  # fmt: skip

    def build(self, exp: Experiment) -> _msn.MSN:
        from .spine import CORRECTED_SPINE, TIMESCALES_SPINE

        m = exp.model
        sim = exp.simulation
        cell_kw: dict[str, Any] = {}
        defaults = _msn.MSNParameters()
        for key, value in m.cell_parameters.items():
            cell_kw[key] = {**getattr(defaults, key), **value} if key.endswith("_channels") \
                else value  # fmt: skip
        params = _msn.MSNParameters(kir_gkbar=m.kir_gkbar, dt_ms=sim.dt_ms, v_init=sim.v_init_mV,
                                    **cell_kw)  # fmt: skip
        base = CORRECTED_SPINE if m.spine_variant == "corrected" else TIMESCALES_SPINE
        spine_params = dataclasses.replace(base, kir_gkbar=m.kir_gkbar, **m.spine_parameters)
        return _msn.MSN(m.spines, params=params, spine_params=spine_params,
                        positions_dir=m.positions_dir or None)  # fmt: skip


def _check_msn_parameters(exp: Experiment, add: AddProblem) -> None:
    from electrical.errors import ModelError

    from .experiment.reading import show, type_name
    from .spine import SpineParameters

    for path, cls, mapping, excluded in (
        ("model.cell_parameters", _msn.MSNParameters, exp.model.cell_parameters,
         {"kir_gkbar": "model.kir_gkbar", "dt_ms": "simulation.dt_ms",
          "v_init": "simulation.v_init_mV"}),
        ("model.spine_parameters", SpineParameters, exp.model.spine_parameters,
         {"kir_gkbar": "model.kir_gkbar"}),
    ):  # fmt: skip
        names = [f.name for f in dataclasses.fields(cls)]
        for key, value in mapping.items():
            kp = f"{path}.{key}"
            if key in excluded:
                add(kp, f"is set by {excluded[key]}; set it there")
                continue
            if key not in names:
                add(kp, f"unknown parameter of {cls.__name__}{did_you_mean(key, names)}")
                continue
            if key.endswith("_channels"):
                if not isinstance(value, dict):
                    add(kp, f"= {show(value)}: expected a table channel -> maximal value")
                    continue
                default = getattr(cls(), key)
                value = {**default, **value}
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                add(kp, f"= {show(value)} is {type_name(value)}; expected a number")
                continue
            try:
                cls(**{key: value})
            except ModelError as exc:
                msg = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
                add(kp, msg)
            except (TypeError, ValueError) as exc:
                add(kp, str(exc))


# ----------------------------------------------------------------------------- python


class FactoryModel(_msn.MSN):
    """A user's cell with spines, in the shape the runner and the co-simulation use.

    It subclasses :class:`multiscale.msn.MSN` only so that
    :class:`multiscale.cosim.Cosimulation` (which checks for an MSN) accepts it;
    none of the MSN's building runs.
    """

    def __init__(self, cell: Any, spines: Sequence[Any], celsius: float | None,
                 v_init_mV: float, dt_ms: float, label: str) -> None:  # fmt: skip
        self.cell = cell
        self.spines = list(spines)
        self.mode = label
        self.celsius = celsius
        self.params = SimpleNamespace(v_init=v_init_mV, dt_ms=dt_ms, celsius=celsius)

    @property
    def cell_sections(self) -> list:
        spine_secs = {id(s) for sp in self.spines for s in sp.sections}
        return [s for s in self.cell.sections if id(s) not in spine_secs]

    def add_spine(self, location: Any) -> Any:  # pragma: no cover - not for factory models
        raise TypeError("a factory model gets its spines from its factory")

    def simulation(self, dt_ms: float | None = None, **kwargs: Any) -> Any:
        from electrical import Simulation

        if self.celsius is not None:
            kwargs.setdefault("celsius", self.celsius)
        return Simulation(self.cell, dt_ms=self.params.dt_ms if dt_ms is None else dt_ms,
                          **kwargs)  # fmt: skip

    def __repr__(self) -> str:
        return f"<FactoryModel {self.mode} n_spines={len(self.spines)}>"


def _import_factory(spec: str, source: str) -> Callable[..., Any] | str:
    """The function of ``module:function``, or an error message."""
    mod_name, sep, fn_name = spec.partition(":")
    if not sep or not mod_name or not fn_name:
        return "expected 'module:function', e.g. 'my_cells:two_spine_cell'"
    here = Path(source).resolve().parent if source not in ("", "<string>") else None
    added = here is not None and str(here) not in sys.path
    if added:
        sys.path.insert(0, str(here))
    importlib.invalidate_caches()  # a module written since the last import is found
    try:
        module = importlib.import_module(mod_name)
    except ImportError as exc:
        return (f"cannot import module '{mod_name}' ({exc}); put {mod_name}.py beside the "
                "experiment file or make it importable (PYTHONPATH)")  # fmt: skip
    finally:
        if added:
            sys.path.remove(str(here))
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        names = [n for n in dir(module) if not n.startswith("_")]
        return f"module '{mod_name}' has no function '{fn_name}'{did_you_mean(fn_name, names)}"
    return fn


class PythonKind(ModelKind):
    name = "python"
    keys = ("factory", "parameters", "celsius")
    doc = "a Python function returning a cell with spines ([model] factory = 'module:function')"

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Any, ModelFacts] | tuple[str, str]] = {}

    def _made(self, exp: Experiment) -> tuple[Any, ModelFacts] | tuple[str, str]:
        m = exp.model
        if not m.factory:
            return ("model.factory", ("missing; kind = 'python' needs factory = "
                                      "'module:function' returning a cell with spines"))  # fmt: skip
        key = json.dumps([m.factory, exp.source, m.parameters or {}], sort_keys=True, default=str)
        if key not in self._cache:
            self._cache[key] = self._make(exp)
        return self._cache[key]

    def _make(self, exp: Experiment) -> tuple[Any, ModelFacts] | tuple[str, str]:
        from electrical import Cell

        from .spine import Spine

        m = exp.model
        fn = _import_factory(m.factory, exp.source)
        if isinstance(fn, str):
            return ("model.factory", f"= {json.dumps(m.factory)}: {fn}")
        try:
            made = fn(**(m.parameters or {}))
        except (TypeError, ValueError, LookupError) as exc:
            msg = " ".join(str(exc).split())
            return ("model.parameters" if m.parameters else "model.factory",
                    f"{m.factory}(...) failed: {type(exc).__name__}: {msg}")  # fmt: skip
        cell, spines = getattr(made, "cell", None), getattr(made, "spines", None)
        if not isinstance(cell, Cell) or spines is None:
            return ("model.factory", (f"= {json.dumps(m.factory)} returned "
                                      f"{type(made).__name__}; it must return an object with "
                                      ".cell (electrical.Cell) and .spines "
                                      "(multiscale.spine.Spine, numbered 1, 2, ...)"))  # fmt: skip
        spines = list(spines)
        for i, sp in enumerate(spines, 1):
            if not isinstance(sp, Spine) or sp.number != i:
                return ("model.factory", (f"= {json.dumps(m.factory)}: spines[{i - 1}] is "
                                          f"{sp!r}; expected spine{i} (multiscale.spine."
                                          f"add_spine with number {i})"))  # fmt: skip
        facts = ModelFacts(len(spines), tuple(s.name for s in cell.sections),
                           _msn.ION_VARIABLES, f"the model of {m.factory}",
                           f"the model of {m.factory}")  # fmt: skip
        return made, facts

    def facts(self, exp: Experiment) -> ModelFacts | tuple[str, str]:
        made = self._made(exp)
        return made if isinstance(made[0], str) else made[1]

    def build(self, exp: Experiment) -> FactoryModel:
        made = self._make(exp)  # a fresh cell for every run
        obj, facts = made
        if isinstance(obj, str):
            raise BuildError(f"{exp.source}: {obj}: {facts}")
        sim = exp.simulation
        return FactoryModel(obj.cell, obj.spines, exp.model.celsius, sim.v_init_mV, sim.dt_ms,
                            exp.model.factory)  # fmt: skip


register_model_kind(MSNKind())
register_model_kind(PythonKind())
