"""Experiment files: the TOML schema, loading, ``--set`` overrides and validation.

The package's modules: :mod:`~multiscale.experiment.schema` (the dataclasses and
:class:`Experiment`), :mod:`~multiscale.experiment.reading` (TOML lines, raw tables to
dataclasses), :mod:`~multiscale.experiment.checks` (cross-field checks, a registry),
:mod:`~multiscale.experiment.overrides` (``--set``), :mod:`~multiscale.experiment.quick`
(``--quick``), :mod:`~multiscale.experiment.writing` (TOML out) and
:mod:`~multiscale.experiment.loading` (the pipeline).  The model is any registered
kind (:mod:`multiscale.models`).

An experiment file says everything a run needs: the model (cell, spine mode,
parameter overrides), the pathway (the shipped one or an SBML file, its ports,
which spines carry one), the coupling and the scheduler, the stimuli, what to
record, the output and the seed.  The schema is the set of frozen dataclasses
below; every field carries its unit (also in its key name: ``t_stop_ms``), its
bounds and a one-line description, and ``docs/experiments.md`` documents them.

>>> exp = loads('''
... [model]
... spines = "two"
... [simulation]
... t_stop_ms = 300.0
... [[stimuli.train]]
... spines = [1]
... start_ms = 150.0
... number = 3
... frequency_hz = 20.0
... ''', name="demo")
>>> exp.simulation.t_stop_ms, exp.biochemical_spines(), exp.scheduler.window_ms
(300.0, (1,), 10.0)

Loading never raises on the first problem: every problem of the file (and of the
``--set`` overrides) is collected, each with the file, the line, the dotted key and
the fix, and :class:`ExperimentError` carries them all (``multiscale validate``
prints one line per problem and exits with 2).

Times: every time in an experiment is on the simulation clock, which starts at 0
with the electrical equilibration ``[0, simulation.equilibrate_ms]``; inputs must
come after it, and the run ends at ``simulation.t_stop_ms``.  The original
parameter files' ``tStop`` is therefore ``t_stop_ms - equilibrate_ms``.
"""

from __future__ import annotations

from .checks import CHECKS, register_check
from .loading import load, loads, validate
from .problems import ExperimentError, Problem
from .quick import apply_quick
from .reading import key_lines
from .schema import (
    DEFAULT_SPECIES,
    PATHWAY_ROLES,
    QUICK_AFTER_FIRST_INPUT_MS,
    QUICK_BIOCHEM_EQUILIBRATION_S,
    QUICK_LEAD_MS,
    TIMESCALES_DELAY_MS,
    TIMESCALES_ORIGIN,
    Experiment,
    SynapticInput,
    schema_keys,
)
from .writing import dumps_toml

__all__ = [
    "CHECKS",
    "DEFAULT_SPECIES",
    "PATHWAY_ROLES",
    "QUICK_AFTER_FIRST_INPUT_MS",
    "QUICK_BIOCHEM_EQUILIBRATION_S",
    "QUICK_LEAD_MS",
    "TIMESCALES_DELAY_MS",
    "TIMESCALES_ORIGIN",
    "Experiment",
    "ExperimentError",
    "Problem",
    "SynapticInput",
    "apply_quick",
    "dumps_toml",
    "key_lines",
    "load",
    "loads",
    "register_check",
    "schema_keys",
    "validate",
]
