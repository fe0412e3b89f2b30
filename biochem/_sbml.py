"""Reading SBML/Antimony text, validating it and describing the model (private).

Everything here runs once per pathway, at load time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libsbml

from biochem.errors import (
    InvalidSBMLError,
    MissingInitialValueError,
    OverrideError,
    PathwayFileNotFoundError,
    UnknownElementError,
    UnsupportedSBMLError,
    did_you_mean,
)
from biochem.units import parse_unit, unit_definition_to_string

__all__ = [
    "CompartmentInfo",
    "EventInfo",
    "ModelInfo",
    "ParameterInfo",
    "RuleInfo",
    "SpeciesInfo",
    "apply_overrides",
    "check_initial_values",
    "describe",
    "parse_sbml",
    "read_source",
    "take_over_species",
    "time_unit",
]


@dataclass(frozen=True)
class SpeciesInfo:
    """One SBML species. ``initial`` is in ``initial_quantity`` units (amount or concentration)."""

    id: str
    name: str
    compartment: str
    initial: float
    initial_quantity: str
    substance_unit: str
    concentration_unit: str
    only_substance_units: bool
    boundary: bool
    constant: bool


@dataclass(frozen=True)
class ParameterInfo:
    """One global parameter; ``rule`` is ``"assignment"``, ``"rate"`` or ``None``."""

    id: str
    name: str
    value: float
    unit: str
    constant: bool
    rule: str | None


@dataclass(frozen=True)
class CompartmentInfo:
    """One compartment; ``size`` in ``unit``."""

    id: str
    size: float
    unit: str
    constant: bool


@dataclass(frozen=True)
class RuleInfo:
    """One rule: ``kind`` is ``"assignment"``, ``"rate"`` or ``"algebraic"``."""

    kind: str
    variable: str
    formula: str


@dataclass(frozen=True)
class EventInfo:
    """One event: trigger formula, delay formula (or ``None``) and ``{variable: formula}``."""

    id: str
    trigger: str
    delay: str | None
    assignments: dict[str, str]


@dataclass(frozen=True)
class ModelInfo:
    """What a pathway contains, read with libsbml."""

    id: str
    name: str
    level: int
    version: int
    species: tuple[SpeciesInfo, ...]
    parameters: tuple[ParameterInfo, ...]
    compartments: tuple[CompartmentInfo, ...]
    rules: tuple[RuleInfo, ...]
    events: tuple[EventInfo, ...]
    reactions: tuple[str, ...]
    units: dict[str, str] = field(default_factory=dict)


def read_source(path: str | Path) -> str:
    """Read a model file; raise :class:`PathwayFileNotFoundError` if it does not exist."""
    p = Path(path)
    if not p.is_file():
        raise PathwayFileNotFoundError(str(path))
    return p.read_text(encoding="utf-8", errors="replace")


def antimony_to_sbml(text: str, where: str) -> str:
    """Convert Antimony text to SBML with the antimony library (tellurium's converter)."""
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        msg = antimony.getLastError().strip()
        raise InvalidSBMLError(
            f"{where}: not valid Antimony (nor SBML, which would start with '<'): {msg}; "
            "fix the model text"
        )
    main = antimony.getMainModuleName()
    sbml = antimony.getSBMLString(main)
    if not sbml:
        raise InvalidSBMLError(f"{where}: Antimony produced no SBML: {antimony.getLastError()}")
    return sbml


def parse_sbml(text: str, where: str) -> libsbml.SBMLDocument:
    """Parse SBML text; raise :class:`InvalidSBMLError` with libsbml's messages and lines."""
    doc = libsbml.readSBMLFromString(text)
    errors = []
    for k in range(doc.getNumErrors()):
        e = doc.getError(k)
        if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(f"line {e.getLine()}: {e.getMessage().strip()}")
    if errors or doc.getModel() is None:
        shown = "; ".join(errors[:5]) or "the document has no <model>"
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidSBMLError(
            f"{where}: invalid SBML: {shown}{more}; fix the file (libsbml's checker, or "
            "https://sbml.org/validator, lists every problem)"
        )
    return doc


def _formula(ast) -> str:
    return libsbml.formulaToL3String(ast) if ast is not None else ""


def _uses_delay(ast) -> bool:
    if ast is None:
        return False
    if ast.getType() == libsbml.AST_FUNCTION_DELAY:
        return True
    return any(_uses_delay(ast.getChild(i)) for i in range(ast.getNumChildren()))


def check_supported(doc: libsbml.SBMLDocument, where: str) -> None:
    """Raise :class:`UnsupportedSBMLError` for constructs that instances cannot run."""
    model = doc.getModel()
    problems = []
    if doc.getLevel() >= 3:
        for k in range(doc.getNumPlugins()):
            prefix = doc.getPlugin(k).getPrefix()
            if prefix in ("", "layout", "render"):  # diagrams only: no effect on the ODE
                continue
            if doc.isSetPackageRequired(prefix) and doc.getPackageRequired(prefix):
                problems.append(
                    f"SBML package '{prefix}' is required by the document; flatten it (comp) "
                    "or remove it"
                )
    for k in range(model.getNumRules()):
        r = model.getRule(k)
        if r.isAlgebraic():
            problems.append(
                f"algebraic rule ({_formula(r.getMath())} = 0) is not supported by "
                "libroadrunner; rewrite it as an assignment or rate rule"
            )
        if _uses_delay(r.getMath()):
            problems.append(f"rule for '{r.getVariable()}' uses delay(); not supported")
    for k in range(model.getNumReactions()):
        r = model.getReaction(k)
        if r.isSetFast() and r.getFast():
            problems.append(f"reaction '{r.getId()}' is fast=true; not supported (set fast=false)")
        if r.isSetKineticLaw() and _uses_delay(r.getKineticLaw().getMath()):
            problems.append(f"reaction '{r.getId()}' uses delay(); not supported")
        if not r.isSetKineticLaw():
            problems.append(f"reaction '{r.getId()}' has no kinetic law; add one")
    for k in range(model.getNumEvents()):
        ev = model.getEvent(k)
        if ev.isSetDelay():
            problems.append(
                f"event '{ev.getId() or k}' has a delay: pending delayed events are not part of "
                "an instance's saved state; remove the delay (or model it with a rate rule)"
            )
    if problems:
        raise UnsupportedSBMLError(f"{where}: unsupported SBML: " + "; ".join(problems))


def describe(doc: libsbml.SBMLDocument) -> ModelInfo:
    """Build the :class:`ModelInfo` of a parsed document."""
    model = doc.getModel()
    level = doc.getLevel()
    rule_kind: dict[str, str] = {}
    rules = []
    for k in range(model.getNumRules()):
        r = model.getRule(k)
        kind = "assignment" if r.isAssignment() else "rate" if r.isRate() else "algebraic"
        if kind != "algebraic":
            rule_kind[r.getVariable()] = kind
        rules.append(RuleInfo(kind, r.getVariable(), _formula(r.getMath())))

    def ud_of(unit_id: str) -> str:
        if not unit_id:
            return ""
        ud = model.getUnitDefinition(unit_id)
        if ud is not None:
            return unit_definition_to_string(ud)
        if libsbml.UnitKind_isValidUnitKindString(unit_id, level, doc.getVersion()):
            tmp = libsbml.UnitDefinition(level, doc.getVersion())
            u = tmp.createUnit()
            u.setKind(libsbml.UnitKind_forName(unit_id))
            u.setExponent(1)
            u.setScale(0)
            u.setMultiplier(1.0)
            return unit_definition_to_string(tmp)
        return ""

    defaults_l2 = {"substance": "mol", "volume": "L", "time": "s", "area": "m^2", "length": "m"}
    model_units = {
        "substance": ud_of(model.getSubstanceUnits()) if level >= 3 else "",
        "volume": ud_of(model.getVolumeUnits()) if level >= 3 else "",
        "time": ud_of(model.getTimeUnits()) if level >= 3 else "",
        "extent": ud_of(model.getExtentUnits()) if level >= 3 else "",
    }
    if level < 3:
        for key in ("substance", "volume", "time"):
            redefined = model.getUnitDefinition(key)
            model_units[key] = (
                unit_definition_to_string(redefined) if redefined else defaults_l2[key]
            )

    compartments = []
    comp_unit: dict[str, str] = {}
    for k in range(model.getNumCompartments()):
        c = model.getCompartment(k)
        unit = ud_of(c.getUnits()) if c.isSetUnits() else model_units.get("volume", "")
        comp_unit[c.getId()] = unit
        compartments.append(
            CompartmentInfo(
                c.getId(), c.getSize() if c.isSetSize() else float("nan"), unit, c.getConstant()
            )
        )
    species = []
    for k in range(model.getNumSpecies()):
        s = model.getSpecies(k)
        sub = ud_of(s.getSubstanceUnits()) if s.isSetSubstanceUnits() else model_units["substance"]
        vol = comp_unit.get(s.getCompartment(), "")
        conc = f"({sub})/({vol})" if sub and vol else ""
        if sub == "mol" and vol == "L":
            conc = "mol/L"
        if s.isSetInitialConcentration():
            init, q = s.getInitialConcentration(), "concentration"
        elif s.isSetInitialAmount():
            init, q = s.getInitialAmount(), "amount"
        else:
            init, q = float("nan"), "amount"
        species.append(
            SpeciesInfo(s.getId(), s.getName(), s.getCompartment(), init, q, sub, conc,
                        s.getHasOnlySubstanceUnits(), s.getBoundaryCondition(), s.getConstant())
        )  # fmt: skip
    parameters = []
    for k in range(model.getNumParameters()):
        p = model.getParameter(k)
        parameters.append(
            ParameterInfo(p.getId(), p.getName(), p.getValue() if p.isSetValue() else float("nan"),
                          ud_of(p.getUnits()) if p.isSetUnits() else "", p.getConstant(),
                          rule_kind.get(p.getId()))
        )  # fmt: skip
    events = []
    for k in range(model.getNumEvents()):
        ev = model.getEvent(k)
        trig = _formula(ev.getTrigger().getMath()) if ev.isSetTrigger() else ""
        delay = _formula(ev.getDelay().getMath()) if ev.isSetDelay() else None
        assigns = {
            ev.getEventAssignment(j).getVariable(): _formula(ev.getEventAssignment(j).getMath())
            for j in range(ev.getNumEventAssignments())
        }
        events.append(EventInfo(ev.getId() or f"event_{k}", trig, delay, assigns))
    reactions = tuple(model.getReaction(k).getId() for k in range(model.getNumReactions()))
    units = {k: v for k, v in model_units.items() if v}
    for k in range(model.getNumUnitDefinitions()):
        ud = model.getUnitDefinition(k)
        units[ud.getId()] = unit_definition_to_string(ud)
    return ModelInfo(
        id=model.getId(),
        name=model.getName(),
        level=level,
        version=doc.getVersion(),
        species=tuple(species),
        parameters=tuple(parameters),
        compartments=tuple(compartments),
        rules=tuple(rules),
        events=tuple(events),
        reactions=reactions,
        units=units,
    )


def write_sbml(doc: libsbml.SBMLDocument) -> str:
    """The SBML text of a document."""
    return libsbml.writeSBMLToString(doc)


#: Start of a series input that is switched off (no model reaches this time).
SERIES_OFF = 1e300


def series_ids(pid: str, n: int) -> dict[str, list[str]]:
    """Parameter ids that :func:`add_series_input` creates for ``pid`` with ``n`` bins."""
    return {
        "hold": [f"{pid}__hold"],
        "edge": [f"{pid}__e{k}" for k in range(n + 1)],
        "knot": [f"{pid}__d{k}" for k in range(n + 1)],
        "mean": [f"{pid}__m{k}" for k in range(n)],
    }


def add_series_input(doc: libsbml.SBMLDocument, pid: str, n: int, where: str) -> None:
    """Turn global parameter (or taken-over species) ``pid`` into a time-series input of
    up to ``n`` bins (in place).

    ``pid`` becomes the assignment rule

        pid = hold                          for time < e_0 or time >= e_used
        pid = f_k(u), u = (time - e_k)/(e_(k+1) - e_k)   for e_k <= time < e_(k+1)
        f_k(u) = d_k (1-u) + d_(k+1) u + 6 (m_k - (d_k + d_(k+1))/2) u (1-u)

    a quadratic per bin that takes the knot values d_k, d_(k+1) at the bin's
    ends and whose mean over the bin is m_k: the integral over each bin is
    exactly m_k (e_(k+1) - e_k), and consecutive bins join continuously, so the
    integrator meets no jump (a jump in an input costs CVODE about twice as
    much as a restart; a kink costs little).  With ``e_0`` at
    :data:`SERIES_OFF` the parameter is the constant ``hold``.  Unused bins
    have zero width and are never selected.  A species must have been taken over
    (:func:`take_over_species`: a boundary species without rule); its initial value
    (or initial assignment) becomes that of ``hold``, in the species' concentration
    (its amount if it has only substance units).
    """
    model = doc.getModel()
    p = model.getParameter(pid)
    sp = model.getSpecies(pid) if p is None else None
    if p is None and sp is None:
        raise UnsupportedSBMLError(
            f"{where}: series input {pid!r}: no global parameter {pid!r}; a series input "
            "must be a parameter (the calcium input flux ca_in of the spine pathway) or a "
            "taken-over species (driven_species)"
        )
    if model.getRule(pid) is not None or any(
        model.getEvent(k).getEventAssignment(pid) is not None for k in range(model.getNumEvents())
    ):
        raise UnsupportedSBMLError(
            f"{where}: series input {pid!r} is set by a rule or an event; it must be a "
            "plain parameter (or a species taken over with driven_species)"
        )
    if sp is not None and not sp.getBoundaryCondition():
        raise UnsupportedSBMLError(
            f"{where}: series input {pid!r} is a species that is not taken over; add it to "
            "driven_species"
        )
    if not (isinstance(n, int) and 1 <= n <= 1024):
        raise UnsupportedSBMLError(f"{where}: series input {pid!r}: {n!r} bins; use 1 to 1024")
    ids = series_ids(pid, n)
    taken = [i for group in ids.values() for i in group if model.getElementBySId(i) is not None]
    if taken:
        raise UnsupportedSBMLError(f"{where}: series input {pid!r}: ids {taken[:3]} exist already")
    initial_math = None
    if p is not None:
        value = p.getValue() if p.isSetValue() else 0.0
        units = p.getUnits() if p.isSetUnits() else ""
        p.setConstant(False)
    else:
        units = ""
        value = _species_initial(model, sp)
        ia = model.getInitialAssignment(pid)
        if ia is not None:
            initial_math = ia.getMath().deepCopy()
            model.removeInitialAssignment(pid)
        sp.setConstant(False)

    def param(pid_new: str, v: float, with_units: bool) -> None:
        q = model.createParameter()
        q.setId(pid_new)
        q.setValue(v)
        q.setConstant(True)
        if with_units and units:
            q.setUnits(units)

    param(ids["hold"][0], value, True)
    if initial_math is not None:
        ia = model.createInitialAssignment()
        ia.setSymbol(ids["hold"][0])
        ia.setMath(initial_math)
    for k, e in enumerate(ids["edge"]):
        param(e, SERIES_OFF * (1.0 + k), False)  # distinct: no zero-width division at rest
    for d in ids["knot"]:
        param(d, 0.0, True)
    for m in ids["mean"]:
        param(m, 0.0, True)
    e, d, m = ids["edge"], ids["knot"], ids["mean"]
    args = [ids["hold"][0], f"time < {e[0]}"]
    for k in range(n):
        u = f"((time - {e[k]}) / ({e[k + 1]} - {e[k]}))"
        f = (f"{d[k]} * (1 - {u}) + {d[k + 1]} * {u} + "
             f"6 * ({m[k]} - ({d[k]} + {d[k + 1]}) / 2) * {u} * (1 - {u})")  # fmt: skip
        args += [f, f"time < {e[k + 1]}"]
    args.append(ids["hold"][0])
    ast = libsbml.parseL3Formula("piecewise(" + ", ".join(args) + ")")
    if ast is None:  # pragma: no cover - the formula is ours
        raise UnsupportedSBMLError(
            f"{where}: series input {pid!r}: {libsbml.getLastParseL3Error()}"
        )
    rule = model.createAssignmentRule()
    rule.setVariable(pid)
    rule.setMath(ast)


def _species_initial(model: libsbml.Model, sp: libsbml.Species) -> float:
    """Initial concentration of a species (its amount if it has only substance units)."""
    comp = model.getCompartment(sp.getCompartment())
    size = comp.getSize() if comp is not None and comp.isSetSize() else 1.0
    if sp.getHasOnlySubstanceUnits():
        if sp.isSetInitialAmount():
            return sp.getInitialAmount()
        return sp.getInitialConcentration() * size if sp.isSetInitialConcentration() else 0.0
    if sp.isSetInitialConcentration():
        return sp.getInitialConcentration()
    return sp.getInitialAmount() / size if sp.isSetInitialAmount() else 0.0


# --- time unit --------------------------------------------------------------------------

#: Names of common time units by their length in seconds.
_TIME_NAMES = {1.0: "s", 1e-3: "ms", 1e-6: "us", 60.0: "min", 3600.0: "h", 86400.0: "d"}


def time_unit(info: ModelInfo, where: str) -> tuple[str, float, bool]:
    """(name, seconds per model time unit, declared) of the model's time unit.

    SBML Level 2 defaults to seconds (or the redefinition of ``time``); Level 3 uses the
    model's ``timeUnits``, and a model that declares none is taken to be in seconds
    (``declared`` is then False).  Any unit definition of time is accepted
    (``"0.001*s"``, ``"60*s"``...).
    """
    text = info.units.get("time", "")
    if not text:
        return "s", 1.0, False
    try:
        factor, dims = parse_unit(text)
    except ValueError as exc:
        raise UnsupportedSBMLError(
            f"{where}: cannot read the model's time unit {text!r} ({exc}); declare timeUnits "
            "as a multiple of second"
        ) from None
    if dims != (0, 0, 1, 0) or not (math.isfinite(factor) and factor > 0):
        raise UnsupportedSBMLError(
            f"{where}: the model's time unit {text!r} is not a time; declare timeUnits as a "
            "multiple of second (e.g. a unitDefinition of second with scale -3 for ms)"
        )
    for seconds, name in _TIME_NAMES.items():
        if math.isclose(factor, seconds, rel_tol=1e-12):
            return name, seconds, True
    return f"{factor:.15g} s", factor, True


# --- initial values, overrides, taken-over species ----------------------------------------


def check_initial_values(doc: libsbml.SBMLDocument, where: str) -> None:
    """Raise :class:`MissingInitialValueError` for species whose initial value is undefined.

    A species needs an initial amount or concentration, an initial assignment or an
    assignment rule; otherwise libroadrunner would silently start it at 0.
    """
    model = doc.getModel()
    missing = []
    for k in range(model.getNumSpecies()):
        s = model.getSpecies(k)
        if s.isSetInitialConcentration() or s.isSetInitialAmount():
            continue
        sid = s.getId()
        if model.getInitialAssignment(sid) is not None:
            continue
        rule = model.getRule(sid)
        if rule is not None and rule.isAssignment():
            continue
        missing.append(sid)
    if missing:
        raise MissingInitialValueError(where, missing)


def _model_ids(model: libsbml.Model) -> dict[str, str]:
    ids = {model.getSpecies(k).getId(): "species" for k in range(model.getNumSpecies())}
    ids.update({model.getParameter(k).getId(): "parameter"
                for k in range(model.getNumParameters())})  # fmt: skip
    ids.update({model.getCompartment(k).getId(): "compartment"
                for k in range(model.getNumCompartments())})  # fmt: skip
    return ids


def apply_overrides(doc: libsbml.SBMLDocument, overrides: Mapping[str, float], where: str) -> None:
    """Set parameter values, species initial concentrations and compartment sizes (in place).

    A species value is its initial concentration in the model's concentration unit (its
    amount if the species has only substance units).  An initial assignment of the
    element is removed (the override wins); an element defined by an assignment rule
    cannot be overridden.
    """
    model = doc.getModel()
    kinds = _model_ids(model)
    for sid, value in overrides.items():
        kind = kinds.get(sid)
        if kind is None:
            raise UnknownElementError(
                f"{where}: parameters: no parameter, species or compartment {sid!r} in model "
                f"{model.getId()!r}{did_you_mean(str(sid), kinds)}"
            )
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise OverrideError(
                f"{where}: parameters: {sid} = {value!r}; the value must be a number"
            ) from None
        if not math.isfinite(v):
            raise OverrideError(f"{where}: parameters: {sid} = {v!r}; the value must be finite")
        if kind in ("species", "compartment") and (v < 0 or (kind == "compartment" and v == 0)):
            need = "> 0" if kind == "compartment" else ">= 0"
            raise OverrideError(f"{where}: parameters: {kind} {sid} = {v!r}; it must be {need}")
        rule = model.getRule(sid)
        if rule is not None and rule.isAssignment():
            raise OverrideError(
                f"{where}: parameters: {kind} {sid} is defined by the assignment rule "
                f"{sid} = {_formula(rule.getMath())}; override what the rule uses instead"
                + (" (or take the species over with driven_species)" if kind == "species" else "")
            )
        if model.getInitialAssignment(sid) is not None:
            model.removeInitialAssignment(sid)
        if kind == "parameter":
            model.getParameter(sid).setValue(v)
        elif kind == "compartment":
            model.getCompartment(sid).setSize(v)
        else:
            s = model.getSpecies(sid)
            if s.getHasOnlySubstanceUnits():
                s.unsetInitialConcentration()
                s.setInitialAmount(v)
            else:
                s.unsetInitialAmount()
                s.setInitialConcentration(v)


def take_over_species(doc: libsbml.SBMLDocument, sids: Iterable[str], where: str) -> dict[str, str]:
    """Make species driven from outside (in place); return ``{id: what was removed}``.

    Each species becomes a non-constant boundary species (reactions no longer change it;
    an instance ``set`` does).  An assignment rule that defined it is removed and its
    formula becomes the species' initial assignment (so it starts at the rule's value);
    a rate rule is removed (the species keeps its initial value).  A species assigned by
    an event cannot be taken over.
    """
    model = doc.getModel()
    removed: dict[str, str] = {}
    for sid in sids:
        s = model.getSpecies(sid)
        if s is None:
            kinds = _model_ids(model)
            what = f" ({sid!r} is a {kinds[sid]})" if sid in kinds else ""
            species = [model.getSpecies(k).getId() for k in range(model.getNumSpecies())]
            raise UnknownElementError(
                f"{where}: driven_species: no species {sid!r} in model {model.getId()!r}"
                f"{what}{did_you_mean(sid, species)}"
            )
        events = [model.getEvent(k).getId() or f"event_{k}" for k in range(model.getNumEvents())
                  if model.getEvent(k).getEventAssignment(sid) is not None]  # fmt: skip
        if events:
            raise UnsupportedSBMLError(
                f"{where}: driven_species: species {sid!r} is assigned by event(s) "
                f"{', '.join(events)}; a species driven from outside cannot also be set by an "
                "event (remove the event assignment)"
            )
        rule = model.getRule(sid)
        note = ""
        if rule is not None and rule.isAssignment():
            note = f"assignment rule {sid} = {_formula(rule.getMath())}"
            ia = model.createInitialAssignment()
            ia.setSymbol(sid)
            ia.setMath(rule.getMath().deepCopy())
            model.removeRule(sid)
        elif rule is not None and rule.isRate():
            note = f"rate rule d{sid}/dt = {_formula(rule.getMath())}"
            model.removeRule(sid)
        s.setBoundaryCondition(True)
        s.setConstant(False)
        removed[sid] = note
    return removed
