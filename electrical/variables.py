"""Addressing the variables of a compiled model: ``(what, where)`` -> array slot.

A variable lives at ``(aid, idx)``: ``aid`` -1 for the voltage ``v[idx]``,
else the float array ``F[aid]`` of the layout (:mod:`electrical.layout`) at
index ``idx``.  :class:`VariableIndex` resolves the names users write
(``"v"``, ``"cai"``, ``"hh.m"``, ``"IClamp[0].i"``) at a location or a point
process of this rank's part of the model.
"""

from __future__ import annotations

import numpy as np

from .discretize import CompiledTree
from .errors import UnknownParameterError, UnknownVariableError, did_you_mean
from .layout import Layout
from .mechanisms.base import ION_TABLE, ion_of_variable
from .morphology import Location, PointInstance

__all__ = ["ION_UNITS", "VariableIndex"]

#: Unit of each kind of ion variable.
ION_UNITS = {"e": "mV", "i": "mM", "o": "mM", "cur": "mA/cm2"}


class VariableIndex:
    """Names -> ``(aid, idx, full name, unit)`` for one compiled model."""

    def __init__(self, tree: CompiledTree, layout: Layout) -> None:
        self.tree = tree
        self.layout = layout
        self._points: dict[int, tuple[int, int]] = {
            id(inst): (bi, j)
            for bi, blk in enumerate(tree.blocks)
            for j, inst in enumerate(blk.instances)
        }

    def point_slot(self, inst: PointInstance) -> tuple[int, int]:
        """(block, instance) of a point process of this model."""
        try:
            return self._points[id(inst)]
        except KeyError:
            raise UnknownVariableError(f"{inst.name} is not part of this simulation") from None

    def has_point(self, inst: PointInstance) -> bool:
        return id(inst) in self._points

    def find_point(self, name: str) -> PointInstance | None:
        for blk in self.tree.blocks:
            for inst in blk.instances:
                if inst.name == name:
                    return inst
        return None

    def point_param(self, inst: PointInstance, name: str) -> int:
        """The float array of parameter ``name`` of a point process's block."""
        bi, _ = self.point_slot(inst)
        return self.layout.blocks[bi].params[name]

    def resolve(
        self, what: str, where: Location | PointInstance | None
    ) -> tuple[int, int, str, str]:
        """(array id, index, full name, unit) of a recordable variable."""
        if isinstance(where, PointInstance):
            return self.resolve_point(where, what)
        if where is None:
            pp = self.find_point(what.rpartition(".")[0]) if "." in what else None
            if pp is not None:
                return self.resolve_point(pp, what.rpartition(".")[2])
            raise UnknownVariableError(
                f"record('{what}'): give a location, e.g. record('{what}', soma(0.5)), or a "
                "point process"
            )
        if not isinstance(where, Location):
            raise UnknownVariableError(f"record('{what}', {where!r}): where must be sec(x)")
        node = self.tree.node_of(where)
        if what == "v":
            return -1, node, f"{where}.v", "mV"
        if "." not in what:
            try:
                ion, kind = ion_of_variable(what)
            except UnknownParameterError:
                raise UnknownVariableError(
                    f"record('{what}', {where}): no such variable"
                    f"{did_you_mean(what, self.names_at(where))}; known here: "
                    f"{self.names_at(where)}"
                ) from None
            if ion not in self.tree.ions:
                raise UnknownVariableError(
                    f"record('{what}', {where}): no mechanism in the model uses ion '{ion}'"
                )
            return self.layout.ion_slot[(ion, kind)], node, f"{where}.{what}", ION_UNITS[kind]
        mech, _, var = what.partition(".")
        for bi, blk in enumerate(self.tree.blocks):
            if blk.cls.name != mech or blk.cls.is_point:
                continue
            hit = np.nonzero(blk.nodes == node)[0]
            if hit.size == 0:
                break
            e = self.layout.blocks[bi]
            for slots, unitof in ((e.states, blk.cls.states), (e.params, blk.cls.params)):
                if var in slots:
                    return slots[var], int(hit[0]), f"{where}.{what}", unitof[var].unit
            if var in e.currents:
                return e.currents[var], int(hit[0]), f"{where}.{what}", "mA/cm2"
            raise UnknownVariableError(
                f"record('{what}', {where}): mechanism '{mech}' has no variable '{var}'"
                f"{did_you_mean(var, blk.cls.variables())}; it has {blk.cls.variables()}"
            )
        raise UnknownVariableError(
            f"record('{what}', {where}): mechanism '{mech}' is not present at {where}"
            f"{did_you_mean(what, self.names_at(where))}"
        )

    def names_at(self, where: Location) -> list[str]:
        node = self.tree.node_of(where)
        names = ["v", *(v for ion in self.tree.ions for v in ION_TABLE[ion].variables())]
        for blk in self.tree.blocks:
            if not blk.cls.is_point and np.any(blk.nodes == node):
                names += [f"{blk.cls.name}.{v}" for v in blk.cls.variables()]
        return names

    def resolve_point(self, inst: PointInstance, var: str) -> tuple[int, int, str, str]:
        bi, j = self.point_slot(inst)
        e = self.layout.blocks[bi]
        cls = inst.mech
        if var in e.states:
            return e.states[var], j, f"{inst.name}.{var}", cls.states[var].unit
        if var in e.params:
            return e.params[var], j, f"{inst.name}.{var}", cls.params[var].unit
        if var in e.currents:
            return e.currents[var], j, f"{inst.name}.{var}", "nA"
        raise UnknownVariableError(
            f"record('{var}', {inst.name}): no such variable{did_you_mean(var, cls.variables())};"
            f" {cls.name} has {cls.variables()}"
        )

    def is_current(self, aid: int) -> bool:
        """True when ``F[aid]`` is a mechanism or ion current (stored only when recorded)."""
        name = self.layout.names_F[aid]
        return (name.startswith("ion.") and name.endswith(".cur")) or any(
            aid in e.currents.values() for e in self.layout.blocks
        )
