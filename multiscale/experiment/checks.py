"""Cross-field checks of a structurally valid experiment, one function per concern.

Each check is a function ``(exp, ctx, check_files) -> None`` that reports problems
with ``ctx.add(dotted_key, message)``; :func:`register_check` adds one to
:data:`CHECKS`, which :func:`check` runs in order.  A new check is a decorated
function in this module (or anywhere imported before loading):

>>> @register_check  # doctest: +SKIP
... def _no_long_runs(exp, ctx, check_files):
...     if exp.simulation.t_stop_ms > 1e6:
...         ctx.add("simulation.t_stop_ms", "longer than 1000 s; split the run")

Facts about the model (spines, sections, ions) come from its kind
(:mod:`multiscale.models`), facts about a pathway from :func:`biochem.probe.probe`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.errors import did_you_mean
from common.steps import whole_steps

from .reading import Ctx, show
from .schema import PATHWAY_ROLES, Experiment

__all__ = ["CHECKS", "check", "register_check"]

#: Ports each calcium coupling needs from a user SBML file.
_REQUIRED_ROLES = {"influx": ("ca_in", "AMPAR_P"),
                   "concentration-difference": tuple(PATHWAY_ROLES)}  # fmt: skip

Check = Callable[[Experiment, Ctx, bool], None]
#: The checks :func:`check` runs, in order.
CHECKS: list[Check] = []


def register_check(fn: Check) -> Check:
    """Add ``fn(exp, ctx, check_files)`` to :data:`CHECKS` (use as a decorator)."""
    CHECKS.append(fn)
    return fn


def check(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    """Run every registered check."""
    for fn in CHECKS:
        fn(exp, ctx, check_files)


def _facts(exp: Experiment) -> Any:
    """The model's facts (multiscale.models.ModelFacts), or None when they are unknown."""
    facts = exp.model_facts()
    return None if isinstance(facts, tuple) else facts


def _locations_ok(loc: str, facts: Any) -> tuple[str, float] | str:
    """(section, x) of 'name' or 'name(x)', or an error message."""
    m = re.match(r"^\s*([A-Za-z0-9_\[\]]+)\s*(?:\(\s*([^)]*)\s*\))?\s*$", loc)
    if not m:
        return "expected 'section' or 'section(x)', e.g. 'dend3_1[1](0.3)'"
    sec, xs = m.group(1), m.group(2)
    x = 0.5
    if xs is not None:
        try:
            x = float(xs)
        except ValueError:
            return f"x = {xs!r} is not a number in [0, 1]"
        if not 0.0 <= x <= 1.0:
            return f"x = {x:g} is outside [0, 1]"
    known = facts.sections
    if sec not in known:
        sm = re.match(r"^spine(\d+)_(neck|head|psd)$", sec)
        if sm:
            return (f"section '{sec}' does not exist: spine {sm.group(1)} is not in this spine "
                    f"mode ({facts.n_spines} spines)")  # fmt: skip
        return f"no section '{sec}' in {facts.label}{did_you_mean(sec, known)}"
    return sec, x


def _multiple_of(value: float, step: float) -> bool:
    return whole_steps(value, step) is not None


@register_check
def _clock(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    sim = exp.simulation
    if sim.t_stop_ms is not None and sim.t_stop_ms <= sim.equilibrate_ms:
        ctx.add("simulation.t_stop_ms",
                f"= {sim.t_stop_ms:g} ms: must be after the equilibration "
                f"(equilibrate_ms = {sim.equilibrate_ms:g} ms); the run ends at t_stop_ms on the "
                "same clock")  # fmt: skip
    dt = sim.dt_ms
    for path, value in (
        ("simulation.t_stop_ms", sim.t_stop_ms),
        ("simulation.equilibrate_ms", sim.equilibrate_ms),
        ("scheduler.exchange_interval_ms", exp.scheduler.exchange_interval_ms),
        ("scheduler.window_ms", exp.scheduler.window_ms),
        ("recording.interval_ms", exp.recording.interval_ms),
        ("output.flush_interval_ms", exp.output.flush_interval_ms),
        ("output.checkpoint_interval_ms", exp.output.checkpoint_interval_ms),
        ("coupling.sample_span_ms", exp.coupling.sample_span_ms),
    ):
        if value is not None and value > 0 and not _multiple_of(value, dt):
            ctx.add(path, f"= {value:g} ms is not a whole number of steps of "
                          f"simulation.dt_ms = {dt:g} ms; use a multiple of dt_ms")  # fmt: skip


@register_check
def _scheduler(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    sch = exp.scheduler
    if sch.kind == "fixed-interval":
        for key in ("window_ms", "calcium_rest_tolerance", "delivery", "batch_bins"):
            if getattr(sch, key) is not None:
                ctx.add(f"scheduler.{key}", "applies to kind = 'event-driven' only; remove it "
                                            "(a fixed-interval scheduler exchanges every spine "
                                            "every interval)")  # fmt: skip
    if sch.window_ms is not None and sch.window_ms < sch.exchange_interval_ms:
        ctx.add("scheduler.window_ms", f"= {sch.window_ms:g} ms is shorter than "
                                       f"exchange_interval_ms = {sch.exchange_interval_ms:g} ms; "
                                       "a window needs at least one exchange")  # fmt: skip
    span = exp.coupling.sample_span_ms
    if span is not None:
        if exp.coupling.calcium != "concentration-difference":
            ctx.add("coupling.sample_span_ms", "applies to calcium = 'concentration-difference' "
                                               "only; remove it")  # fmt: skip
        elif span > sch.exchange_interval_ms:
            ctx.add("coupling.sample_span_ms", f"= {span:g} ms is longer than the exchange "
                                               f"interval ({sch.exchange_interval_ms:g} ms)")  # fmt: skip


@register_check
def _model(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    from ..models import model_kind

    try:
        kind = model_kind(exp.model.kind)
    except LookupError as exc:
        ctx.add("model.kind", f"= {show(exp.model.kind)}: {exc}")
        return
    for key in sorted(ctx.present):
        name = key.split(".", 1)[1] if key.startswith("model.") else None
        if name and name != "kind" and name not in kind.keys:
            ctx.add(key, f"applies to another model kind, not kind = {show(kind.name)}; remove "
                         f"it (this kind reads {', '.join(kind.keys)})")  # fmt: skip
    kind.check(exp, ctx.add, check_files)
    facts = exp.model_facts()
    if isinstance(facts, tuple):
        ctx.add(*facts)


def _no_spine(s: int, facts: Any) -> str:
    n = facts.n_spines
    have = f"spines 1..{n}" if n else "no spines"
    fix = "change model.spines" if facts.label == "the MSN" else "change the model"
    return (
        f"= {s}: there is no spine{s} in {facts.spine_origin} ({have}); use a spine that "
        f"exists or {fix}"
    )


@register_check
def _spine_numbers(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    facts = _facts(exp)
    if facts is None:
        return
    n = facts.n_spines
    groups = (("spikes", exp.stimuli.spikes), ("train", exp.stimuli.train),
              ("poisson", exp.stimuli.poisson), ("timescales", exp.stimuli.timescales))  # fmt: skip
    for gname, group in groups:
        for k, st in enumerate(group):
            for i, s in enumerate(st.spines or ()):
                if s is not None and s > n:
                    ctx.add(f"stimuli.{gname}[{k}].spines[{i}]", _no_spine(s, facts))
    for path, items in (("pathway.spines", exp.pathway.spines),
                        ("recording.spine_heads", exp.recording.spine_heads)):  # fmt: skip
        for i, s in enumerate(items):
            if isinstance(s, int) and s > n:
                ctx.add(f"{path}[{i}]", _no_spine(s, facts))


@register_check
def _rates(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    """train and timescales: exactly one of two rate keys (unless one of them was invalid)."""

    def reported(prefix: str) -> bool:
        return any(p.key.startswith(prefix) for p in ctx.problems)

    for k, st in enumerate(exp.stimuli.train):
        if (st.frequency_hz is None) == (st.interval_ms is None) and not reported(
                f"stimuli.train[{k}]."):  # fmt: skip
            ctx.add(f"stimuli.train[{k}]", "give exactly one of frequency_hz and interval_ms")
    for k, st in enumerate(exp.stimuli.timescales):
        if (st.delay_s is None) == (st.frequency_hz is None) and not reported(
                f"stimuli.timescales[{k}]."):  # fmt: skip
            ctx.add(f"stimuli.timescales[{k}]", "give exactly one of delay_s (the original "
                                                "'delay', an interval) and frequency_hz")  # fmt: skip
    for k, st in enumerate(exp.stimuli.poisson):
        if st.start_ms is not None and st.stop_ms is not None and st.stop_ms < st.start_ms:
            ctx.add(f"stimuli.poisson[{k}].stop_ms",
                    f"= {st.stop_ms:g} ms is before start_ms = {st.start_ms:g} ms")  # fmt: skip


@register_check
def _inputs_after_equilibration(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    """Only when the stimuli and the clock are complete."""
    if any(p.key.startswith(("stimuli", "simulation", "experiment.seed"))
           for p in ctx.problems):  # fmt: skip
        return
    eq = exp.simulation.equilibrate_ms
    for spine, syn, times, _, origin in exp.synaptic_inputs():
        if len(times) and times[0] < eq:
            ctx.add(origin, f"spike at {times[0]:g} ms to spine{spine} {syn} is inside the "
                            f"electrical equilibration [0, {eq:g}] ms; inputs must come "
                            "after simulation.equilibrate_ms")  # fmt: skip
            break
    for k, c in enumerate(exp.stimuli.iclamp):
        if 0 < c.dur_ms and c.amp_nA != 0 and c.delay_ms < eq:
            ctx.add(f"stimuli.iclamp[{k}].delay_ms",
                    f"= {c.delay_ms:g} ms is inside the electrical equilibration "
                    f"[0, {eq:g}] ms; start the pulse after simulation.equilibrate_ms")  # fmt: skip


@register_check
def _locations(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    facts = _facts(exp)
    if facts is None:
        return
    for k, c in enumerate(exp.stimuli.iclamp):
        if c.section is None:
            continue
        r = _locations_ok(c.section, facts)
        if isinstance(r, str):
            ctx.add(f"stimuli.iclamp[{k}].section", f"= {show(c.section)}: {r}")
    for i, loc in enumerate(exp.recording.sections):
        r = _locations_ok(loc, facts)
        if isinstance(r, str):
            ctx.add(f"recording.sections[{i}]", f"= {show(loc)}: {r}")
    ions = facts.ions
    for i, var in enumerate(exp.recording.variables):
        if var == "v" or var in ions:
            continue
        if re.match(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$", var):
            continue  # mechanism.variable: checked where it is recorded, when the model is built
        ctx.add(f"recording.variables[{i}]",
                f"= {show(var)}: use 'v', an ion variable ({', '.join(ions[8:12])}, "
                f"...) or 'mechanism.variable'{did_you_mean(var, ('v',) + tuple(ions))}")  # fmt: skip


_SBML_CACHE: dict[tuple[str, float], Any] = {}


def _pathway_ids(path: Path) -> tuple[set[str], set[str], set[str]] | str:
    """(species, parameters and compartments, rule variables) of a pathway file, or an error."""
    from biochem import BiochemError
    from biochem.probe import probe

    key = (str(path), path.stat().st_mtime)
    if key not in _SBML_CACHE:
        try:
            ids = probe(path)
        except BiochemError as exc:
            _SBML_CACHE[key] = str(exc).removeprefix(f"{path}: ")
        else:
            _SBML_CACHE[key] = (set(ids.species), set(ids.parameters), set(ids.rule_variables))
    return _SBML_CACHE[key]


@register_check
def _check_pathway(exp: Experiment, ctx: Ctx, check_files: bool) -> None:
    pw = exp.pathway
    user = pw.sbml != "default"
    if user and "pathway.variant" in ctx.present:
        ctx.add("pathway.variant", "applies to the shipped pathway only (sbml = 'default'); "
                                   "remove it")  # fmt: skip
    if not user and pw.ports:
        ctx.add("pathway.ports", "the shipped pathway has its ports already; ports are for a "
                                 "user SBML file (pathway.sbml = 'my_pathway.xml')")  # fmt: skip
    for role in pw.ports:
        if role not in PATHWAY_ROLES:
            ctx.add(f"pathway.ports.{role}", f"unknown port role{did_you_mean(role, PATHWAY_ROLES)}"
                                             f"; roles: {', '.join(PATHWAY_ROLES)}")  # fmt: skip
    if not check_files:
        return
    if user:
        path = exp.pathway_path()
        if not path.is_file():
            ctx.add("pathway.sbml", f"= {show(pw.sbml)}: file not found ({path}); give a path "
                                    "relative to the experiment file, or 'default'")  # fmt: skip
            return
        ids = _pathway_ids(path)
        if isinstance(ids, str):
            ctx.add("pathway.sbml", f"= {show(pw.sbml)}: {ids}")
            return
        species, params, _ = ids
        for role in _REQUIRED_ROLES[exp.coupling.calcium]:
            if role not in pw.ports and exp.biochemical_spines():
                ctx.add("pathway.ports", f"missing port '{role}' ({PATHWAY_ROLES[role]}); add "
                                         f"{role} = \"...\" to [pathway.ports]")  # fmt: skip
        for role, target in pw.ports.items():
            target = target["id"] if isinstance(target, dict) else target
            tid = target[1:-1] if target.startswith("[") and target.endswith("]") else target
            if tid not in species and tid not in params:
                ctx.add(f"pathway.ports.{role}", f"= {show(target)}: no species or parameter "
                                                 f"'{tid}' in {path.name}"
                                                 f"{did_you_mean(tid, species | params)}")  # fmt: skip
    else:
        from biochem.spine_pathway import shipped_path

        ids = _pathway_ids(shipped_path(pw.variant))
        if isinstance(ids, str):  # pragma: no cover - the shipped files are valid
            ctx.add("pathway.variant", ids)
            return
        species, params, _ = ids
    known = species | params
    seen: set[str] = set()
    for i, name in enumerate(exp.recording.species or ()):
        conc = name.startswith("[") and name.endswith("]")
        sid = name[1:-1] if conc else name
        if sid in seen:
            ctx.add(f"recording.species[{i}]", f"= {show(name)}: '{sid}' is recorded twice; "
                                               "keep one of X (amount) and [X] (concentration)")  # fmt: skip
        seen.add(sid)
        if conc and sid not in species:
            ctx.add(f"recording.species[{i}]",
                    f"= {show(name)}: no species '{sid}' in the pathway (a concentration [X] "
                    f"needs a species){did_you_mean(sid, species)}")  # fmt: skip
        elif sid not in known:
            hint = did_you_mean(sid, known) or "; write [X] for a species concentration"
            ctx.add(
                f"recording.species[{i}]",
                f"= {show(name)}: no species or parameter of that id in the pathway{hint}",
            )
