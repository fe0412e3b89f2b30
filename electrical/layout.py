"""Where each array of a compiled model sits in the tuples ``F`` (float64) and ``I`` (int64).

The generated step (:mod:`electrical.codegen`) receives all the model's
arrays as two tuples and addresses them by constant index; :class:`Layout`
records those indices, per mechanism block in a :class:`BlockLayout`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .discretize import CompiledTree
from .mechanisms.base import Mechanism

__all__ = ["BlockLayout", "DiffusionGroup", "DiffusionLayout", "Layout", "build_layout"]


@dataclass
class DiffusionGroup:
    """The states of a block that share one diffusion coefficient: one factorisation."""

    coef: str  #: the parameter that is the coefficient
    states: list[str]
    key: int  #: F: coefficients of the last factorisation (NaN: none yet)
    vol: int  #: F: volume / dt per instance
    g: int  #: F: coupling to the parent
    f: int  #: F: elimination factors
    rdiag: int  #: F: reciprocal pivots
    rhs: int  #: F: work array, len(states) values per instance


@dataclass
class DiffusionLayout:
    """Longitudinal diffusion of a block (:mod:`electrical.diffusion`)."""

    parent: int  #: I: neighbour instance towards the root, or -1
    up: int  #: I: parent, or the instance itself for a root
    order: int  #: I: instances with parents first
    area: int  #: F: cross-section [um2]
    dx: int  #: F: segment length [um]
    groups: list[DiffusionGroup] = field(default_factory=list)


@dataclass
class BlockLayout:
    """The arrays of one mechanism block (slots in F and I) and its kernels."""

    cls: type[Mechanism]
    #: the globals that chose kernel overrides (in the source: part of its key), or None
    globals: dict[str, float] | None
    overrides: list[str]  #: names of the kernels replaced by ``cls.kernels(globals)``
    advance: Callable | None  #: the advance kernel in use
    nodes: int  #: I: node of each instance
    params: dict[str, int]
    states: dict[str, int]
    currents: dict[str, int]
    aux: int
    area_factor: int  #: F: 1e2/area for point processes, -1 otherwise
    diff: DiffusionLayout | None = None
    work: int = -1  #: F: work array of ``advance_block``, -1 if none


@dataclass
class Layout:
    """The arrays of a model in the order of the tuples ``F`` and ``I``."""

    F: list = field(default_factory=list)
    I: list = field(default_factory=list)
    names_F: list[str] = field(default_factory=list)
    ion_slot: dict[tuple[str, str], int] = field(default_factory=dict)
    blocks: list[BlockLayout] = field(default_factory=list)

    def add_F(self, name: str, arr) -> int:
        self.F.append(arr)
        self.names_F.append(name)
        return len(self.F) - 1

    def add_I(self, arr) -> int:
        self.I.append(arr)
        return len(self.I) - 1


def _diffusion_layout(lay: Layout, blk, cls) -> DiffusionLayout:
    m = blk.diff_parent.size
    dd = DiffusionLayout(
        parent=lay.add_I(blk.diff_parent),
        up=lay.add_I(
            np.where(blk.diff_parent >= 0, blk.diff_parent, np.arange(m)).astype(np.int64)
        ),
        order=lay.add_I(blk.diff_order),
        area=lay.add_F(f"{cls.name}.~diff_area", blk.diff_area),
        dx=lay.add_F(f"{cls.name}.~diff_dx", blk.diff_dx),
    )
    # one factorisation per diffusion coefficient, shared by its states
    by_coef: dict[str, list[str]] = {}
    for st, dpar in cls.diffusion.items():
        by_coef.setdefault(dpar, []).append(st)
    for dpar, sts in by_coef.items():
        tag = f"{cls.name}.~diff_{dpar}"
        dd.groups.append(
            DiffusionGroup(
                coef=dpar,
                states=sts,
                key=lay.add_F(f"{tag}_key", np.full(m, np.nan)),
                vol=lay.add_F(f"{tag}_vol", np.zeros(m)),
                g=lay.add_F(f"{tag}_g", np.zeros(m)),
                f=lay.add_F(f"{tag}_f", np.zeros(m)),
                rdiag=lay.add_F(f"{tag}_rdiag", np.zeros(m)),
                rhs=lay.add_F(f"{tag}_rhs", np.zeros(len(sts) * m)),
            )
        )
    return dd


def build_layout(tree: CompiledTree) -> Layout:
    """Place every array of the compiled tree in the F/I tuples."""
    lay = Layout()
    for ion, arrs in tree.ions.items():
        for kind in ("e", "i", "o", "cur"):
            lay.ion_slot[(ion, kind)] = lay.add_F(f"ion.{ion}.{kind}", arrs[kind])
    for blk in tree.blocks:
        cls = blk.cls
        overrides = cls.checked_kernels(blk.globals)
        entry = BlockLayout(
            cls=cls,
            globals=dict(blk.globals) if overrides else None,
            overrides=sorted(overrides),
            advance=overrides.get("advance", cls.advance),
            nodes=lay.add_I(blk.nodes),
            params={p: lay.add_F(f"{cls.name}.{p}", arr) for p, arr in blk.params.items()},
            states={s: lay.add_F(f"{cls.name}.{s}", arr) for s, arr in blk.states.items()},
            currents={c: lay.add_F(f"{cls.name}.{c}", arr) for c, arr in blk.currents.items()},
            aux=lay.add_F(f"{cls.name}.aux", blk.aux),
            area_factor=(
                lay.add_F(f"{cls.name}.area_factor", blk.area_factor) if cls.is_point else -1
            ),
        )
        if getattr(cls, "diffusion", None) and blk.diff_parent is not None:
            entry.diff = _diffusion_layout(lay, blk, cls)
        if cls.advance_block is not None:
            m = blk.nodes.size
            entry.work = lay.add_F(f"{cls.name}.~work", np.zeros(max(1, cls.block_work * m)))
        lay.blocks.append(entry)
    return lay
