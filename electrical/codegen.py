"""Generate, once per model structure, one fused compiled step loop.

The generated module holds three numba functions, ``initialize``, ``run``
and ``run_split`` (the split-cell loop of :mod:`electrical._split`).
``run(nsteps, ...)`` advances the whole model ``nsteps`` fixed steps without
returning to Python: events, mechanism currents, the tree matrix, Hines
elimination, the voltage update, the state updates and recording.  The
source depends only on the *structure* (which mechanisms, in which order,
which ions), not on sizes or values, so every model with the same mechanism
set shares one compiled function (:mod:`electrical.step_cache` writes,
keys and imports it).  :class:`StepEmitter` writes the source, one method
per generated function.

One step from t_n to t_n + dt, as NEURON's fixed step (fadvance.cpp):

1. events with time <= t_n + dt/2 are delivered (``receive`` kernels), t_n
   being NEURON's clock, a running sum of half steps;
2. with t = t_n + dt/2: every mechanism adds its current i(v_n) to the
   right-hand side and di/dv = (i(v + 0.001) - i(v))/0.001 to the diagonal;
   point-process currents are scaled by 1e2/area; integrals
   (:meth:`electrical.Simulation.integrate`) add these step values;
3. axial currents enter the right-hand side; capacitance (cm*cfac, cfac =
   0.001*cj, cj = 1/dt for backward Euler, 2/dt for Crank-Nicolson) and axial terms the
   diagonal; Hines elimination gives dv; v += vmult*dv (vmult 1, or 2 for CN);
4. with t = t_n + dt and v = v_{n+1}: every mechanism's ``advance`` kernel
   updates its states (concentration mechanisms first, by ``priority``);
   then, for mechanisms that declare ``diffusion``, one implicit step of
   longitudinal diffusion of those states (:mod:`electrical.diffusion`;
   ion concentrations keep their post-``advance`` values, as in NEURON);
5. recording of the values at t_{n+1}, then delivery of the events with
   time <= t_{n+1} (so that an event at the stop time of one ``advance`` is
   delivered in it, with the weight it had then).

Step 4 runs each block's ``advance`` in chunks of :data:`VECTOR_CHUNK`
instances: one loop evaluates the kernel (inlined) into a stack buffer, a
second stores the states.  The first loop writes no argument array, so LLVM
vectorises it without alias checks, the table rows read as gathers; with the
hh kernel of :meth:`~electrical.mechanisms.base.Mechanism.kernels` and
:func:`~electrical.mechanisms.numerics.vexp` this makes the hh step about
1.6x faster.  The vector lanes do the scalar code's IEEE operations, so the
numbers do not depend on the chunking, the vector width or the MPI split.
The functions use numba's ``error_model='numpy'``.
"""

from __future__ import annotations

import re
import textwrap
import weakref

import numpy as np

from .layout import BlockLayout, Layout, build_layout
from .mechanisms.base import ion_of_variable

__all__ = [
    "Layout",
    "StepEmitter",
    "build_layout",
    "exchange",
    "generate_source",
    "register_exchanger",
]


#: Weak references to the methods that sum the trunk terms of a split model over the
#: ranks (:meth:`electrical.distributed.Distribution._exchange`), by key.
_exchangers: dict[int, object] = {}


def register_exchanger(key: int, method) -> None:
    """Let the split loop run with ``xkey = key`` call the bound ``method(buf)`` (weakly held)."""
    _exchangers[key] = weakref.WeakMethod(method)


def exchange(key: int, buf: np.ndarray) -> None:
    """Called from the compiled split-cell loop (object mode): sum ``buf`` over the ranks."""
    _exchangers[key]()(buf)


def _ion_expr(lay: Layout, var: str) -> str:
    ion, kind = ion_of_variable(var)
    return f"F[{lay.ion_slot[(ion, kind)]}][i]"


#: Arguments every generated loop function takes after its first (``nsteps``).
_COMMON_ARGS = (
    "tick0, dt, celsius, cfac, vmult, v, rhs, d, a, b, parent, cm, ncell, F, I,"
    " tclock, ev_time, ev_block, ev_inst, ev_conn, conn_weight, ev_ptr,"
    " rec_aid, rec_idx, rec_out, rec_every, keep_currents, acc_aid, acc_idx, acc_w, acc_slot,"
    " acc_out"
)


class StepEmitter:
    """Writes the source of the step module of one layout (:func:`generate_source`).

    One ``emit_*`` method per generated function (:meth:`emit_initialize`,
    :meth:`emit_run`, :meth:`emit_run_split`), built from the parts of a step
    (:meth:`step_head`, :meth:`axial`, :meth:`eliminate`, :meth:`solve`,
    :meth:`step_tail`, the split halves) and, per mechanism block, the code that
    calls its kernels (``block_*``: init, current, advance, receive, diffusion).
    A block's code depends only on its mechanism, its kernels and its slots in
    F/I, so these methods are where per-mechanism compilation would cut.
    """

    def __init__(self, lay: Layout) -> None:
        self.lay = lay
        self.lines: list[str] = []
        #: blocks with a ``receive`` kernel (events)
        self.recv = [(bi, e) for bi, e in enumerate(lay.blocks) if e.cls.receive is not None]
        #: ions whose current a mechanism reads (always summed)
        self.read_ions = {
            ion_of_variable(r)[0]
            for e in lay.blocks
            for r in e.cls.reads
            if ion_of_variable(r)[1] == "cur"
        }
        #: values per instance of the stack buffer of the chunked advance loops
        self.nbuf = max(
            (len(e.cls.states) + len(e.cls.writes) for e in lay.blocks if _vector_advance(e)),
            default=0,
        )

    def w(self, line: str) -> None:
        self.lines.append(line)

    def code(self, text: str, indent: int) -> None:
        """Append fixed source lines: ``text`` dedented, then indented by ``indent`` spaces."""
        for line in textwrap.dedent(text).strip("\n").split("\n"):
            self.w(" " * indent + line)

    def source(self) -> str:
        """The module: imports, ``initialize``, ``run`` and ``run_split``."""
        self.emit_imports()
        self.emit_initialize()
        self.emit_run()
        self.emit_run_split()
        self.w("")
        return _hoist("\n".join(self.lines) + "\n")

    # ---------------------------------------------------------------- helpers
    def args(self, e: BlockLayout, kernel: str, vexpr: str, aux: str | None = None) -> str:
        """The argument list of a kernel call for instance j at node i."""
        cls = e.cls
        st = [f"F[{e.states[s]}][j]" for s in cls.states]
        rd = [_ion_expr(self.lay, r) for r in cls.reads]
        pa = [f"F[{e.params[p]}][j]" for p in cls.params]
        aux = aux or f"F[{e.aux}]"
        if kernel == "init":
            return ", ".join(["t", vexpr, *rd, *pa, aux, "celsius"])
        if kernel == "current":
            return ", ".join(["t", vexpr, *st, *rd, *pa, aux, "celsius"])
        if kernel == "advance":
            return ", ".join(["t", vexpr, *st, *rd, *pa, aux, "celsius", "dt"])
        if kernel == "receive":
            return ", ".join(["tev", "wev", *st, *pa, aux])
        raise KeyError(kernel)

    def store_states(self, e: BlockLayout, ind: str, res: str) -> None:
        """Store a kernel's result tuple: the states, then the ion values it writes."""
        cls = e.cls
        ns = len(cls.states)
        for q, s in enumerate(cls.states):
            self.w(f"{ind}F[{e.states[s]}][j] = {res}[{q}]")
        for q, var in enumerate(cls.writes):
            self.w(f"{ind}{_ion_expr(self.lay, var)} = {res}[{ns + q}]")

    # ---------------------------------------------------------------- module
    def emit_imports(self) -> None:
        w = self.w
        w("# Generated by electrical.codegen from the model structure; do not edit.")
        w("import math")
        w("from numba import njit, objmode")
        w("from importlib import import_module")
        w("from electrical.codegen import exchange as _exchange")
        w("from electrical.mechanisms.numerics import data_pointer as _ptr")
        w("from electrical.mechanisms.numerics import stack_buffer as _stack_buffer")
        if any(e.diff is not None for e in self.lay.blocks):
            w("from electrical.diffusion import diffusion_factor as _ld_factor")
            w("from electrical.diffusion import diffusion_solve as _ld_solve")
        for bi, e in enumerate(self.lay.blocks):
            self.block_imports(bi, e)
        w("")

    def block_imports(self, bi: int, e: BlockLayout) -> None:
        """Bind the mechanism class ``_M{bi}`` and its kernels ``_m{bi}_<kernel>``."""
        w = self.w
        cls = e.cls
        if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
            # not importable by name (defined in a function or a script): hand it over
            token = f"{cls.__module__}:{cls.__qualname__}:{id(cls)}"
            _registry[token] = cls
            w(f"_M{bi} = import_module('electrical.codegen')._registry[{token!r}]")
        else:
            w(f"_M{bi} = getattr(import_module({cls.__module__!r}), {cls.__qualname__!r})")
        for k in ("init", "current", "advance", "receive", "advance_block"):
            if getattr(cls, k) is not None:
                w(f"_m{bi}_{k} = _M{bi}.{k}")
        if e.globals is not None:  # kernels chosen by the globals' values
            w(f"_K{bi} = _M{bi}.kernels({e.globals!r})")
            for k in e.overrides:
                w(f"_m{bi}_{k} = _K{bi}[{k!r}]")
        if _vector_advance(e):
            # the same kernel inlined into the loop (numba IR), so that LLVM sees
            # one loop body without calls
            w(f"_m{bi}_advance_v = njit(inline='always', error_model='numpy')"
              f"(_m{bi}_advance.py_func)")  # fmt: skip

    # ---------------------------------------------------------------- initialize
    def emit_initialize(self) -> None:
        """``initialize(t, v, F, I, celsius)``: every mechanism's initial states."""
        w = self.w
        w("@njit(cache=True, error_model='numpy')")
        w("def initialize(t, v, F, I, celsius):")
        w("    pass")
        for bi, e in enumerate(self.lay.blocks):
            if e.cls.init is not None:
                self.block_init(bi, e)
        w("")

    def block_init(self, bi: int, e: BlockLayout) -> None:
        w = self.w
        w(f"    idx = I[{e.nodes}]")
        w("    for j in range(idx.size):")
        w("        i = idx[j]")
        w(f"        res = _m{bi}_init({self.args(e, 'init', 'v[i]')})")
        self.store_states(e, "        ", "res")

    # ---------------------------------------------------------------- run
    def emit_run(self) -> None:
        """``run(nsteps, ...)``: the fused loop of a serial (or whole-cell) run."""
        self.header("run", "nsteps", "range(nsteps)")
        self.step_head()
        self.axial()
        self.eliminate()
        self.solve()
        self.step_tail()

    def emit_run_split(self) -> None:
        """``run_split(nsteps, ..., acc, ...)``: the split-cell loop (electrical._split).

        Nodes [0, ntrunk) are the replicated trunk, [ntrunk, ntrunk + nsr) the
        roots of this rank's subtrees, the rest their other nodes.  Each subtree
        root r has a slot s of acc (4 values: what the serial solver adds to r's
        trunk parent slot_parent[s] in the matrix set-up and in the
        elimination); between the two halves of a step the slots of all ranks
        are summed (each has one non-zero owner: exact) by the Python callable
        registered under xkey, and the trunk replays the serial operations in
        the serial order (tseq: trunk node i >= 0 or slot -1-s), so the results
        are the serial solver's, bit for bit.
        """
        self.header("run_split", "nsteps", "range(nsteps)",
                    ", acc, ntrunk, nsr, slot_of_root, slot_parent, tseq, xkey")  # fmt: skip
        self.step_head()
        self.split_subtrees()
        self.w("        with objmode():")
        self.w("            _exchange(xkey, acc)")
        self.split_trunk()
        self.solve()
        self.step_tail()

    def header(self, name: str, first: str, loop: str, extra: str = "") -> None:
        # error_model='numpy': a float division by zero gives inf or nan, as in NEURON's
        # C, instead of an exception branch in every loop that divides (an early exit,
        # which LLVM cannot vectorise).  Kernels inlined here are lowered with it too.
        w = self.w
        w("")
        w("@njit(cache=True, error_model='numpy')")
        w(f"def {name}({first}, {_COMMON_ARGS}{extra}):")
        w("    n = v.size")
        if self.nbuf:
            w(f"    sb = _stack_buffer({self.nbuf * VECTOR_CHUNK})")
        for bi, e in enumerate(self.lay.blocks):
            if _vector_advance(e):
                w(f"    ap{bi} = _ptr(F[{e.aux}])")
        w("    nacc = acc_aid.size")
        w("    nrec = rec_aid.size")
        w("    nev = ev_time.size")
        w(f"    for k in {loop}:")
        w("        g = tick0 + k")

    def deliver(self, limit: str) -> None:
        """Events up to ``limit`` (delivered twice per step, as NEURON's fixed step does)."""
        w = self.w
        w(f"        while ev_ptr[0] < nev and ev_time[ev_ptr[0]] <= {limit}:")
        w("            q = ev_ptr[0]")
        w("            ev_ptr[0] = q + 1")
        w("            tev = ev_time[q]")
        w("            wev = conn_weight[ev_conn[q]]")
        w("            j = ev_inst[q]")
        if self.recv:
            for n_, (bi, e) in enumerate(self.recv):
                self.block_receive(bi, e, "if" if n_ == 0 else "elif")
        else:
            w("            pass")

    def block_receive(self, bi: int, e: BlockLayout, kw: str) -> None:
        self.w(f"            {kw} ev_block[q] == {bi}:")
        self.w(f"                res = _m{bi}_receive({self.args(e, 'receive', '')})")
        self.store_states(e, "                ", "res")

    def step_head(self) -> None:
        """Events to t_n + dt/2, the matrix reset, every mechanism's current, integrals."""
        w = self.w
        # NEURON's clock is a running sum of half steps; ties at exact half steps
        # are decided by it, so it is kept here exactly as NEURON keeps it.
        w("        tclk = tclock[0]")
        self.deliver("tclk + 0.5 * dt")
        w("        t = tclk + 0.5 * dt")
        w("        for i in range(n):")
        w("            rhs[i] = 0.0")
        w("            d[i] = cfac * cm[i]")
        for (_ion, kind), slot in self.lay.ion_slot.items():
            if kind == "cur":
                w(f"        F[{slot}][:] = 0.0")
        for bi, e in enumerate(self.lay.blocks):
            if e.cls.current is not None:
                self.block_current(bi, e)
        # integrals: the values this step's currents were computed with (t_n + dt/2)
        w("        for r in range(nacc):")
        w("            aid = acc_aid[r]")
        w("            if aid < 0:")
        w("                acc_out[acc_slot[r]] += v[acc_idx[r]] * acc_w[r]")
        w("            else:")
        w("                acc_out[acc_slot[r]] += F[aid][acc_idx[r]] * acc_w[r]")

    def block_current(self, bi: int, e: BlockLayout) -> None:
        """i(v) and di/dv of every instance into rhs and d; ion currents summed."""
        w = self.w
        cls = e.cls
        curs = list(cls.currents)
        w(f"        idx = I[{e.nodes}]")
        w("        for j in range(idx.size):")
        w("            i = idx[j]")
        w("            vv = v[i]")
        if cls.current_depends_on_v:
            w(f"            c1 = _m{bi}_current({self.args(e, 'current', 'vv + 0.001')})")
        w(f"            c0 = _m{bi}_current({self.args(e, 'current', 'vv')})")
        if cls.current_depends_on_v:
            w("            i1 = 0.0" + "".join(f" + c1[{q}]" for q in range(len(curs))))
        w("            i0 = 0.0" + "".join(f" + c0[{q}]" for q in range(len(curs))))
        if cls.current_depends_on_v:
            w("            gg = (i1 - i0) / 0.001")
        # Per-mechanism currents and ion currents nobody reads are stored only
        # when recorded (keep_currents); ion currents a mechanism reads always.
        w("            if keep_currents:")
        for q, c in enumerate(curs):
            w(f"                F[{e.currents[c]}][j] = c0[{q}]")

        def ion_sum(ion, expr):
            slot = self.lay.ion_slot[(ion, "cur")]
            if ion in self.read_ions:
                w(f"            F[{slot}][i] += {expr}")
            else:
                w("            if keep_currents:")
                w(f"                F[{slot}][i] += {expr}")

        if cls.is_point:
            w(f"            fac = F[{e.area_factor}][j]")
            for q, c in enumerate(curs):
                ion = cls.currents[c]
                if ion is not None:
                    ion_sum(ion, f"c0[{q}] * fac")
            if getattr(cls, "electrode", False):
                w("            rhs[i] += i0 * fac")
                if cls.current_depends_on_v:
                    w("            d[i] -= gg * fac")
            else:
                w("            rhs[i] -= i0 * fac")
                if cls.current_depends_on_v:
                    w("            d[i] += gg * fac")
        else:
            for q, c in enumerate(curs):
                ion = cls.currents[c]
                if ion is not None:
                    ion_sum(ion, f"c0[{q}]")
            w("            rhs[i] -= i0")
            if cls.current_depends_on_v:
                w("            d[i] += gg")

    def axial(self) -> None:
        """Axial currents into rhs, axial conductances into the diagonal."""
        self.code(
            """
            for i in range(ncell, n):
                p = parent[i]
                dv = v[p] - v[i]
                rhs[i] -= b[i] * dv
                rhs[p] += a[i] * dv
                d[i] -= b[i]
                d[p] -= a[i]
            """,
            8,
        )

    def eliminate(self) -> None:
        """Hines elimination, leaves to roots."""
        self.code(
            """
            for i in range(n - 1, ncell - 1, -1):
                p = parent[i]
                f = a[i] / d[i]
                d[p] -= f * b[i]
                rhs[p] -= f * rhs[i]
            """,
            8,
        )

    def solve(self) -> None:
        """Back-substitution, roots to leaves, and v += vmult * dv."""
        self.code(
            """
            for i in range(ncell):
                rhs[i] /= d[i]
                v[i] += vmult * rhs[i]
            """,
            8,
        )
        # written so that the divisions are off the parent->child dependency chain
        self.code(
            """
            for i in range(ncell, n):
                di = d[i]
                x = rhs[i] / di - (b[i] / di) * rhs[parent[i]]
                rhs[i] = x
                v[i] += vmult * x
            """,
            8,
        )

    def step_tail(self) -> None:
        """States at t_n + dt, longitudinal diffusion, recording, events to t_{n+1}."""
        w = self.w
        w("        t = t + 0.5 * dt")
        w("        tclock[0] = t")
        for bi, e in enumerate(self.lay.blocks):
            if e.cls.advance is not None:
                self.block_advance(bi, e)
        # longitudinal diffusion (after every state update, before recording)
        for bi, e in enumerate(self.lay.blocks):
            if e.diff is not None:
                self.block_diffusion(bi, e)
        self.record()
        self.deliver("t")  # events up to t_{n+1}, after recording (NEURON nrn_deliver_events)

    def block_advance(self, bi: int, e: BlockLayout) -> None:
        """The block's state update: block kernel, chunked (vectorised) or plain loop."""
        w = self.w
        cls = e.cls
        if cls.advance_block is not None:
            arrs = [
                *(f"F[{e.states[s]}]" for s in cls.states),
                *(f"F[{self.lay.ion_slot[ion_of_variable(r)]}]" for r in cls.reads),
                *(f"F[{e.params[p]}]" for p in cls.params),
            ]
            w(
                f"        _m{bi}_advance_block(I[{e.nodes}], t, v, {', '.join(arrs)},"
                f" F[{e.aux}], celsius, dt, F[{e.work}])"
            )
            return
        w(f"        idx = I[{e.nodes}]")
        if _vector_advance(e):
            # Two loops per chunk of instances: the first reads the model's
            # arrays (aux through a pointer: no reference counts) and writes only
            # the stack buffer sb, so it needs no alias checks and vectorises,
            # table rows and node values read as gathers; the second stores the
            # new states.  An instance reads only its own states and node, so
            # deferring the stores changes nothing.
            outs = [
                *(f"F[{e.states[s]}][j]" for s in cls.states),
                *(_ion_expr(self.lay, var) for var in cls.writes),
            ]
            w("        nb = idx.size")
            w(f"        for c in range(0, nb, {VECTOR_CHUNK}):")
            w(f"            m = min({VECTOR_CHUNK}, nb - c)")
            w("            for jj in range(m):")  # jj >= 0: sb stores stay affine
            w("                j = c + jj")
            w("                i = idx[j]")
            w(
                f"                res = _m{bi}_advance_v("
                f"{self.args(e, 'advance', 'v[i]', f'ap{bi}')})"
            )
            for q in range(len(outs)):
                w(f"                sb[{q * VECTOR_CHUNK} + jj] = res[{q}]")
            w("            for jj in range(m):")
            w("                j = c + jj")
            if cls.writes:
                w("                i = idx[j]")
            for q, o in enumerate(outs):
                w(f"                {o} = sb[{q * VECTOR_CHUNK} + jj]")
            return
        w("        for j in range(idx.size):")
        w("            i = idx[j]")
        w(f"            res = _m{bi}_advance({self.args(e, 'advance', 'v[i]')})")
        self.store_states(e, "            ", "res")

    def block_diffusion(self, bi: int, e: BlockLayout) -> None:
        """One implicit diffusion step per group of states (:mod:`electrical.diffusion`)."""
        w = self.w
        dd = e.diff
        for grp in dd.groups:
            w(
                f"        _ld_factor(F[{e.params[grp.coef]}], I[{dd.parent}],"
                f" I[{dd.order}], F[{dd.area}], F[{dd.dx}], dt, F[{grp.key}],"
                f" F[{grp.vol}], F[{grp.g}], F[{grp.f}], F[{grp.rdiag}])"
            )
            cs = ", ".join(f"F[{e.states[st]}]" for st in grp.states)
            w(
                f"        _ld_solve(({cs},), I[{dd.up}], I[{dd.order}], F[{grp.vol}],"
                f" F[{grp.g}], F[{grp.f}], F[{grp.rdiag}],"
                f" F[{grp.rhs}].reshape((F[{grp.vol}].size, {len(grp.states)})))"
            )

    def record(self) -> None:
        """Samples of the recorded variables at t_{n+1}, every ``rec_every`` steps."""
        self.code(
            """
            if nrec > 0 and (g + 1) % rec_every == 0:
                s = (g + 1) // rec_every - (tick0 // rec_every + 1)
                for r in range(nrec):
                    aid = rec_aid[r]
                    if aid < 0:
                        rec_out[r, s] = v[rec_idx[r]]
                    else:
                        rec_out[r, s] = F[aid][rec_idx[r]]
            """,
            8,
        )

    def split_subtrees(self) -> None:
        """This rank's subtrees; what they add to trunk nodes goes to its slot of acc."""
        self.code(
            """
            for q in range(acc.size):
                acc[q] = 0.0
            for i in range(ntrunk, n):
                p = parent[i]
                dv = v[p] - v[i]
                rhs[i] -= b[i] * dv
                d[i] -= b[i]
                if i < ntrunk + nsr:
                    s4 = 4 * slot_of_root[i - ntrunk]
                    acc[s4] = a[i]
                    acc[s4 + 1] = a[i] * dv
                else:
                    rhs[p] += a[i] * dv
                    d[p] -= a[i]
            for i in range(n - 1, ntrunk + nsr - 1, -1):
                p = parent[i]
                f = a[i] / d[i]
                d[p] -= f * b[i]
                rhs[p] -= f * rhs[i]
            for i in range(ntrunk + nsr - 1, ntrunk - 1, -1):
                f = a[i] / d[i]
                s4 = 4 * slot_of_root[i - ntrunk]
                acc[s4 + 2] = f * b[i]
                acc[s4 + 3] = f * rhs[i]
            """,
            8,
        )

    def split_trunk(self) -> None:
        """The trunk: the serial solver's operations on it, in its order (tseq)."""
        self.code(
            """
            tclk = tclock[0]
            t = tclk + 0.5 * dt
            for q in range(tseq.size):
                e = tseq[q]
                if e >= 0:
                    p = parent[e]
                    dv = v[p] - v[e]
                    rhs[e] -= b[e] * dv
                    rhs[p] += a[e] * dv
                    d[e] -= b[e]
                    d[p] -= a[e]
                else:
                    p = slot_parent[-e - 1]
                    s4 = 4 * (-e - 1)
                    rhs[p] += acc[s4 + 1]
                    d[p] -= acc[s4]
            for q in range(tseq.size - 1, -1, -1):
                e = tseq[q]
                if e >= 0:
                    p = parent[e]
                    f = a[e] / d[e]
                    d[p] -= f * b[e]
                    rhs[p] -= f * rhs[e]
                else:
                    p = slot_parent[-e - 1]
                    s4 = 4 * (-e - 1)
                    d[p] -= acc[s4 + 2]
                    rhs[p] -= acc[s4 + 3]
            """,
            8,
        )


def generate_source(lay: Layout) -> str:
    """The Python source of the step module of a layout (:class:`StepEmitter`)."""
    return StepEmitter(lay).source()


#: Instances per chunk of a vectorised advance loop (the stack buffer holds this
#: many values per state).
VECTOR_CHUNK = 64


def _vector_advance(e: BlockLayout) -> bool:
    """Whether the ``advance`` loop of block e runs chunked, so that LLVM vectorises it.

    Needs a numba kernel (its Python function is compiled again, inlined).
    Point processes that write ion concentrations keep the sequential loop: two
    of them on one node see each other's writes there.
    """
    cls = e.cls
    return (
        e.advance is not None
        and cls.advance_block is None
        and hasattr(e.advance, "py_func")
        and not (cls.is_point and cls.writes)
    )


def _hoist(src: str) -> str:
    """Bind every constant tuple element ``F[k]`` / ``I[k]`` to a local before the loops.

    Numba then sees plain local arrays (no tuple access in the inner loops),
    which lets LLVM keep their data pointers in registers.
    """
    out: list[str] = []
    funcs = re.split(r"(?m)^(?=@njit)", src)
    out.append(funcs[0])
    for fn in funcs[1:]:
        lines = fn.split("\n")
        body = "\n".join(lines[2:])
        fs = sorted({int(k) for k in re.findall(r"\bF\[(\d+)\]", body)})
        is_ = sorted({int(k) for k in re.findall(r"\bI\[(\d+)\]", body)})
        body = re.sub(r"\bF\[(\d+)\]", r"f\1", body)
        body = re.sub(r"\bI\[(\d+)\]", r"ii\1", body)
        binds = [f"    f{k} = F[{k}]" for k in fs] + [f"    ii{k} = I[{k}]" for k in is_]
        out.append("\n".join(lines[:2] + binds) + "\n" + body)
    return "".join(out)


#: Mechanism classes that cannot be imported by name, keyed by a token in the source.
_registry: dict[str, type] = {}
