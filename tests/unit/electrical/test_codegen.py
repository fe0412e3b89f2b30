"""Code generation: the typed layout and the step emitter (electrical.layout, electrical.codegen)."""

from __future__ import annotations

import re

import numpy as np

from electrical import Cell, IClamp, Simulation
from electrical.codegen import StepEmitter, generate_source
from electrical.layout import BlockLayout, build_layout


def _sim():
    cell = Cell("c")
    soma = cell.section("soma", L=20, diam=20)
    dend = cell.section("dend", L=200, diam=1, nseg=3, parent=soma(1))
    soma.insert("hh")
    dend.insert("pas")
    cell.place(soma(0.5), IClamp(delay=1, dur=1, amp=0.5))
    return Simulation(cell)


def test_layout_blocks_are_typed_and_point_at_their_arrays():
    sim = _sim()
    lay = build_layout(sim.tree)
    assert [type(e) for e in lay.blocks] == [BlockLayout] * len(sim.tree.blocks)
    for e, blk in zip(lay.blocks, sim.tree.blocks):
        assert e.cls is blk.cls
        assert lay.I[e.nodes] is blk.nodes
        for name, slot in {**e.params, **e.states, **e.currents}.items():
            assert lay.names_F[slot] == f"{blk.cls.name}.{name}"
        assert (e.area_factor >= 0) == blk.cls.is_point
        assert e.diff is None and e.work == -1
    hh = next(e for e in lay.blocks if e.cls.name == "hh")
    np.testing.assert_array_equal(lay.F[hh.states["m"]], sim.tree.block("hh").states["m"])


def test_one_emitter_method_per_generated_function():
    lay = _sim().layout
    src = generate_source(lay)
    assert re.findall(r"(?m)^def (\w+)\(", src) == ["initialize", "run", "run_split"]
    assert src == generate_source(lay)  # deterministic: the cache key is the source
    for method, name in (
        ("emit_initialize", "initialize"),
        ("emit_run", "run"),
        ("emit_run_split", "run_split"),
    ):
        em = StepEmitter(lay)
        getattr(em, method)()
        assert re.findall(r"(?m)^def (\w+)\(", "\n".join(em.lines)) == [name]
