"""Loading: text -> raw TOML -> overrides -> schema -> checks -> a resolved Experiment."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from .checks import check
from .overrides import apply_overrides
from .problems import ExperimentError, Problem
from .reading import Ctx, build_table, key_lines
from .schema import Experiment

__all__ = ["load", "loads", "validate"]


def _parse(text: str, source: str) -> dict | Problem:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        return Problem(source, line, "", f"not valid TOML: {msg}; see https://toml.io "
                                         "(strings need quotes, keys = values)")  # fmt: skip


def loads(
    text: str,
    *,
    source: str = "<string>",
    name: str | None = None,
    overrides: Sequence[str] = (),
    check_files: bool = True,
) -> Experiment:
    """Validate experiment TOML text; raise :class:`ExperimentError` with every problem.

    Parameters
    ----------
    text : str
        The TOML text.
    source : str
        File name used in messages and to resolve relative paths.
    name : str, optional
        Default for ``experiment.name`` (the file stem).
    overrides : sequence of str
        ``key=value`` strings (``--set``), applied in order before validation.
    check_files : bool
        Also check files the experiment needs (SBML, spine positions).
    """
    raw = _parse(text, source)
    if isinstance(raw, Problem):
        raise ExperimentError([raw])
    problems: list[Problem] = []
    origins = apply_overrides(raw, overrides, problems)
    ctx = Ctx(source, key_lines(text), origins)
    ctx.problems.extend(problems)
    # the source is known to the checks: files (SBML, a model factory) are relative to it
    exp = dataclasses.replace(build_table(Experiment, raw, "", ctx), source=source)
    check(exp, ctx, check_files)
    if ctx.problems:
        # --set problems first, then the file's in line order
        order = sorted(ctx.problems, key=lambda p: (p.file == source, p.line or 0))
        raise ExperimentError(order)
    info = exp.experiment
    if not info.name:
        info = dataclasses.replace(info, name=name or "experiment")
    sch = exp.scheduler
    if sch.kind == "event-driven":
        sch = dataclasses.replace(
            sch,
            window_ms=10.0 if sch.window_ms is None else sch.window_ms,
            calcium_rest_tolerance=(_default_rest_tolerance() if sch.calcium_rest_tolerance
                                    is None else sch.calcium_rest_tolerance),
            delivery="per-exchange" if sch.delivery is None else sch.delivery,
            batch_bins=64 if sch.batch_bins is None else sch.batch_bins,
        )  # fmt: skip
    rec = exp.recording
    if rec.species is None:
        rec = dataclasses.replace(rec, species=exp.species())
    return dataclasses.replace(exp, experiment=info, scheduler=sch, recording=rec,
                               source=source, overrides=tuple(overrides))  # fmt: skip


def _default_rest_tolerance() -> float:
    from sync import EventDriven

    return EventDriven().calcium_rest_tolerance


def load(
    path: str | Path, overrides: Sequence[str] = (), *, check_files: bool = True
) -> Experiment:
    """Load and validate an experiment file (see :func:`loads`)."""
    p = Path(path)
    if not p.is_file():
        hint = ""
        if p.suffix != ".toml" and p.with_suffix(".toml").is_file():
            hint = f"; did you mean {p.with_suffix('.toml')}?"
        raise ExperimentError([Problem(str(path), None, "", f"file not found{hint}")])
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(
            [Problem(str(path), None, "", f"cannot read the file: {exc}")]
        ) from None
    return loads(text, source=str(path), name=p.stem, overrides=overrides, check_files=check_files)


def validate(path: str | Path, overrides: Sequence[str] = ()) -> list[Problem]:
    """Every problem of an experiment file (empty when it is valid)."""
    try:
        load(path, overrides)
    except ExperimentError as exc:
        return exc.problems
    return []
