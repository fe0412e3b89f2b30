"""Python/numba source of a mechanism class from a parsed .mod file.

The generated module defines the scalar kernels of the mechanism API
(:mod:`electrical.mechanisms.base`) and the class itself.  Every NMODL name
``x`` becomes the Python local ``n_x``; PROCEDUREs and FUNCTIONs become
``inline='always'`` numba functions that take the mechanism's variables they
read or write as arguments and return the ones they write, so the kernels stay
pure functions of their arguments and inline into the engine's chunked,
vectorised advance loop.

Numerical schemes, as nocmodl (NEURON's translator) emits them:

- ``cnexp``: each ``x' = f`` in order, replaced by
  ``x = x + (1 - exp(dt*a))*(-b/a - x)`` with a = df/dx and b = f(x=0)
  (``x = x + dt*f`` when a = 0), updating x in place; when f is a polynomial
  of higher degree in x nocmodl drops the -b/a term (``x += (1 - exp(dt*a))*(-x)``,
  not the exact solution), and when x sits in a division, a function call or a
  root it solves the block as ``derivimplicit``; this generator does the same;
- ``derivimplicit``: backward Euler, x = x_old + dt*f(x), solved by Newton
  iterations to round-off (nocmodl stops at a relative change of 1e-8);
- ``euler``: all derivatives from the block, then x += dt*f;
- ``SOLVE proc``: the PROCEDURE is called in the state update.

``TABLE ... FROM a TO b WITH n`` tabulates at n+1 points x_i accumulated as
NEURON does (x += dx), interpolates linearly and clamps at both ends; the
``usetable`` global selects the table kernels (no per-instance branch) or the
exact ones, as :meth:`~electrical.mechanisms.base.Mechanism.kernels` allows.
"""

from __future__ import annotations

import math

import sympy

from ._parse import ModFile, Node

__all__ = ["GENERATOR_VERSION", "generate"]

#: Bumped whenever the generated source changes for the same .mod file.
GENERATOR_VERSION = "1"

SPECIAL = ("v", "t", "dt", "celsius", "diam")

MATH = {
    "exp": "math.exp",
    "log": "math.log",
    "log10": "math.log10",
    "sqrt": "math.sqrt",
    "fabs": "abs",
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "atan": "math.atan",
    "asin": "math.asin",
    "acos": "math.acos",
    "tanh": "math.tanh",
    "sinh": "math.sinh",
    "cosh": "math.cosh",
    "floor": "math.floor",
    "ceil": "math.ceil",
    "pow": "_pow",
    "fmin": "min",
    "fmax": "max",
    "atan2": "math.atan2",
    "fmod": "math.fmod",
}

BINOPS = {
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "^": "**",
    "<": "<",
    ">": ">",
    "<=": "<=",
    ">=": ">=",
    "==": "==",
    "!=": "!=",
    "&&": "and",
    "||": "or",
}


def _lit(x: float) -> str:
    r = repr(float(x))
    return f"({r})" if r.startswith("-") else r


class _Gen:
    """Translation context for one .mod file."""

    def __init__(self, mf: ModFile) -> None:
        self.mf = mf
        self.ion_reads: list[str] = []
        self.conc_writes: list[str] = []
        self.currents: dict[str, str | None] = {}
        for ion, reads, writes, _val in mf.ions:
            for w in writes:
                if w == f"i{ion}":
                    self.currents[w] = ion
                else:
                    self.conc_writes.append(w)
                    if w not in reads:
                        reads = [*reads, w]
            for r in reads:
                if r not in self.ion_reads:
                    self.ion_reads.append(r)
        for c in mf.nonspecific:
            self.currents[c] = None
        ionvars = set(self.ion_reads) | set(self.conc_writes) | set(self.currents)
        self.uses_diam = "diam" in mf.params or "diam" in mf.assigned
        self.params = [
            p
            for p in mf.params
            if p not in SPECIAL and p not in ionvars and p in mf.range_ and p not in mf.global_
        ]
        if self.uses_diam:
            self.params.append("diam")
        self.globals = [
            p for p in mf.params if p not in SPECIAL and p not in ionvars and p not in self.params
        ]
        self.states = [s for s in mf.states if s not in ionvars]
        self.assigned = [a for a in mf.assigned if a not in SPECIAL and a not in ionvars]
        self.const = dict(mf.constants)
        self.tables: dict[str, dict] = {}  # proc/func name -> table spec
        self.aux_index: dict[str, int] = {"usetable": 0}
        for k, g in enumerate(self.globals):
            self.aux_index[g] = 1 + k
        self.callables = {**mf.procedures, **mf.functions}
        self._rw_cache: dict[str, tuple[set, set]] = {}
        self._must_cache: dict[str, tuple[set, set]] = {}
        self.solves: list[tuple[str, str | None]] = []
        bp = mf.blocks.get("BREAKPOINT")
        if bp is not None:
            for st in bp.nodes():
                sb = _solve_of(st)
                if sb is not None:
                    names = [x.text for x in sb.nodes("Name")]
                    self.solves.append((names[0], names[1] if len(names) > 1 else None))
        nderiv = [b for b, _m in self.solves if b in mf.derivatives]
        if len(nderiv) > 1:
            raise mf.error(
                rf"\bSOLVE\s+{nderiv[1]}\b",
                f"SOLVE {nderiv[1]}: more than one SOLVE of a DERIVATIVE block, which NEURON's "
                "nocmodl rejects; merge the DERIVATIVE blocks into one",
            )
        for k in ("usetable",):
            if k in mf.params:
                raise mf.error(r"\busetable\b", "'usetable' is NEURON's own global; rename it")

    # -- names ------------------------------------------------------------------------
    def ctx_names(self) -> set[str]:
        return {
            *self.params,
            *self.states,
            *self.assigned,
            *self.ion_reads,
            *self.conc_writes,
            *self.currents,
            "v",
            "t",
            "dt",
            "celsius",
        } - set(self.globals)

    def name(self, n: str, local: set[str]) -> str:
        if n in local:
            return f"n_{n}"
        if n in self.const and n not in self.ctx_names():
            return _lit(self.const[n])
        if n in self.aux_index and n not in local:
            return f"aux[{self.aux_index[n]}]"
        if n in self.ctx_names():
            return f"n_{n}"
        raise self.mf.error(
            rf"\b{n}\b",
            f"'{n}' is used but never declared; declare it in PARAMETER, ASSIGNED, STATE or LOCAL",
        )

    # -- expressions --------------------------------------------------------------------
    def expr(self, n, local: set[str], variant: str) -> str:
        if isinstance(n, str):
            return n
        t = n.t
        if t in ("Double", "Integer", "Float"):
            return _lit(float(n.text))
        if t in ("WrappedExpression", "ParenExpression"):
            return f"({self.expr(n.c[0], local, variant)})"
        if t == "DoubleUnit":
            return self.expr(n.nodes()[0], local, variant)
        if t == "VarName":
            inner = n.nodes()[0]
            if inner.t == "Name":
                return self.name(inner.text, local)
            raise self.mf.error(None, f"unsupported variable form {inner.t}")
        if t == "Name":
            return self.name(n.text, local)
        if t == "UnaryExpression":
            op = n.c[0].text
            arg = self.expr(n.c[1], local, variant)
            return f"(not {arg})" if op == "!" else f"(-{arg})"
        if t == "BinaryExpression":
            op = n.c[1].text
            if op not in BINOPS:
                raise self.mf.error(None, f"operator {op} is not supported")
            lhs = self.expr(n.c[0], local, variant)
            rhs = self.expr(n.c[2], local, variant)
            if op == "^":
                return f"_pow({lhs}, {rhs})"
            return f"({lhs} {BINOPS[op]} {rhs})"
        if t == "FunctionCall":
            fname = n.nodes("Name")[0].text
            args = [self.expr(a, local, variant) for a in n.nodes()[1:]]
            if fname in self.mf.functions:
                reads, writes = self.rw(fname)
                if writes:
                    raise self.mf.error(
                        rf"\bFUNCTION\s+{fname}\b",
                        f"FUNCTION {fname} assigns {sorted(writes)}; only "
                        "PROCEDUREs may assign the mechanism's variables",
                    )
                extra = [f"n_{x}" for x in sorted(reads)]
                return f"f_{fname}_{variant}(aux, {', '.join([*args, *extra])})"
            if fname in self.mf.procedures:
                raise self.mf.error(rf"\b{fname}\b", f"PROCEDURE {fname} used as a value")
            if fname in MATH:
                return f"{MATH[fname]}({', '.join(args)})"
            if fname == "exprelr":
                return f"_exprelr({', '.join(args)})"
            raise self.mf.error(
                rf"\b{fname}\s*\(",
                f"function {fname}() is not supported "
                "(not an NMODL FUNCTION of this file nor a known math function)",
            )
        raise self.mf.error(None, f"expression {t} is not supported")

    # -- read/write sets --------------------------------------------------------------
    def _locals_of(self, blk: Node) -> set[str]:
        loc: set[str] = set()
        args = blk.nodes("ArgumentList") or []
        for a in blk.nodes("Argument"):
            loc.add(a.nodes("Name")[0].text)
        for al in args:
            for a in al.nodes("Argument"):
                loc.add(a.nodes("Name")[0].text)
        for node in blk.walk():
            if node.t == "LocalListStatement":
                loc.update(x.nodes("Name")[0].text for x in node.nodes("LocalVar"))
        if blk.t == "FunctionBlock":
            loc.add(blk.nodes("Name")[0].text)
        return loc

    def rw(self, fname: str) -> tuple[set[str], set[str]]:
        """Context names a PROCEDURE/FUNCTION reads and writes (with its callees)."""
        if fname in self._rw_cache:
            return self._rw_cache[fname]
        self._rw_cache[fname] = (set(), set())  # recursion guard
        blk = self.callables[fname]
        loc = self._locals_of(blk)
        reads, writes = self._rw_nodes(blk.nodes("StatementBlock")[0], loc)
        self._rw_cache[fname] = (reads, writes)
        return reads, writes

    def _rw_nodes(self, body: Node, loc: set[str]) -> tuple[set[str], set[str]]:
        ctx = self.ctx_names()
        reads: set[str] = set()
        writes: set[str] = set()

        def visit(node: Node) -> None:
            if node.t == "BinaryExpression" and node.c[1].text == "=":
                nm = _target_name(node.c[0])
                if nm is not None and nm not in loc and nm in ctx:
                    writes.add(nm)
                if node.c[0].t == "VarName" and node.c[0].nodes()[0].t == "PrimeName":
                    x = _prime_name(node)
                    if x in ctx:
                        reads.add(x)
                visit(node.c[2])
                return
            if node.t == "Name":
                nm = node.text
                if nm in ctx and nm not in loc:
                    reads.add(nm)
                return
            if node.t == "FunctionCall":
                fn = node.nodes("Name")[0].text
                if fn in self.callables:
                    r, w = self.rw(fn)
                    reads.update(r)
                    writes.update(w)
                for a in node.nodes()[1:]:
                    visit(a)
                return
            if node.t in ("TableStatement", "SolveBlock", "LocalListStatement"):
                return
            for x in node.nodes():
                visit(x)

        visit(body)
        return reads, writes

    # -- statements ---------------------------------------------------------------------
    def stmts(
        self, body: Node, local: set[str], variant: str, ind: str, out: list[str], deq=None
    ) -> None:
        for st in body.nodes():
            self.stmt(st, local, variant, ind, out, deq)

    def stmt(self, st: Node, local, variant, ind, out, deq) -> None:
        t = st.t
        if t in ("LocalListStatement",):
            for x in st.nodes("LocalVar"):
                out.append(f"{ind}n_{x.nodes('Name')[0].text} = 0.0")
            return
        if t in (
            "LineComment",
            "BlockComment",
            "TableStatement",
            "ConductanceHint",
            "Verbatim",
            "UnitState",
        ):
            return
        if t == "ExpressionStatement":
            e = st.c[0]
            if e.t == "SolveBlock":
                return
            if e.t == "DiffEqExpression":
                if deq is None:
                    raise self.mf.error(r"'", "a differential equation outside a DERIVATIVE block")
                deq(e.c[0], local, variant, ind, out)
                return
            if e.t == "WrappedExpression":
                e = e.c[0]
            if e.t == "BinaryExpression" and e.c[1].text == "=":
                nm = _target_name(e.c[0])
                if nm is None:
                    raise self.mf.error(None, "unsupported assignment target")
                if nm in self.aux_index and nm not in local:
                    raise self.mf.error(
                        rf"\b{nm}\s*=",
                        f"assignment to the PARAMETER '{nm}' (a GLOBAL) is not supported",
                    )
                if nm not in local and nm not in self.ctx_names():
                    self.name(nm, local)  # raises: undeclared
                out.append(f"{ind}n_{nm} = {self.expr(e.c[2], local, variant)}")
                return
            if e.t == "FunctionCall":
                fname = e.nodes("Name")[0].text
                args = [self.expr(a, local, variant) for a in e.nodes()[1:]]
                if fname in self.mf.procedures:
                    reads, writes = self.rw(fname)
                    extra = [f"n_{x}" for x in sorted(reads | writes)]
                    call = f"p_{fname}_{variant}(aux, {', '.join([*args, *extra])})"
                    ws = sorted(writes)
                    if ws:
                        out.append(f"{ind}({''.join(f'n_{w}, ' for w in ws)}) = {call}")
                    else:
                        out.append(f"{ind}{call}")
                    return
                out.append(f"{ind}{self.expr(e, local, variant)}")
                return
            raise self.mf.error(None, f"statement {e.t} is not supported")
        if t == "IfStatement":
            kids = st.nodes()
            out.append(f"{ind}if {self.expr(kids[0], local, variant)}:")
            self._block(kids[1], local, variant, ind, out, deq)
            for k in kids[2:]:
                if k.t == "ElseIfStatement":
                    out.append(f"{ind}elif {self.expr(k.nodes()[0], local, variant)}:")
                    self._block(k.nodes()[1], local, variant, ind, out, deq)
                elif k.t == "ElseStatement":
                    out.append(f"{ind}else:")
                    self._block(k.nodes()[0], local, variant, ind, out, deq)
            return
        if t == "WhileStatement":
            kids = st.nodes()
            out.append(f"{ind}while {self.expr(kids[0], local, variant)}:")
            self._block(kids[1], local, variant, ind, out, deq)
            return
        if t == "FromStatement":
            kids = st.nodes()
            var = kids[0].text
            lo, hi = (self.expr(k, local, variant) for k in kids[1:3])
            step = "1"
            body = kids[-1]
            if len(kids) == 5:
                step = self.expr(kids[3], local, variant)
            local.add(var)
            out.append(f"{ind}for n_{var} in range(int({lo}), int({hi}) + 1, int({step})):")
            self._block(body, local, variant, ind, out, deq)
            return
        if t == "StatementBlock":
            self.stmts(st, local, variant, ind, out, deq)
            return
        raise self.mf.error(None, f"statement {t} is not supported")

    def _block(self, body, local, variant, ind, out, deq) -> None:
        n0 = len(out)
        self.stmts(body, local, variant, ind + "    ", out, deq)
        if len(out) == n0:
            out.append(f"{ind}    pass")


def _solve_of(st: Node):
    ok = st.t == "ExpressionStatement" and st.c and isinstance(st.c[0], Node)
    return st.c[0] if ok and st.c[0].t == "SolveBlock" else None


def _target_name(n: Node) -> str | None:
    if n.t == "VarName":
        inner = n.nodes()[0]
        if inner.t == "Name":
            return inner.text
        return None
    if n.t == "Name":
        return n.text
    return None


# ----------------------------------------------------------------------------- sympy


class _Sym:
    """NMODL expression -> sympy, with literals kept exact (as symbols)."""

    def __init__(self) -> None:
        self.lits: dict[str, str] = {}
        self.funcs: dict[str, sympy.Function] = {}

    def to_sympy(self, src: str) -> sympy.Expr:
        import re

        def lit(m):
            key = f"_K{len(self.lits)}"
            self.lits[key] = m.group(0)
            return key

        def auxref(m):
            key = f"_AUX{m.group(1)}"
            self.lits[key] = m.group(0)
            return key

        src = re.sub(r"aux\[(\d+)\]", auxref, src)
        src = re.sub(r"(?<![\w.])(-?\d+\.\d*(e[-+]?\d+)?|\d+e[-+]?\d+)(?![\w.])", lit, src)
        names = set(re.findall(r"[A-Za-z_]\w*", src)) - {"math"}
        ns = {}
        for nm in names:
            if re.match(r"^(f_|p_|_pow|_exprelr|abs|min|max)", nm):
                ns[nm] = sympy.Function(nm)
            else:
                ns[nm] = sympy.Symbol(nm)
        ns["math"] = _MathNS()
        ns["_pow"] = lambda a, b: a**b
        return eval(src, {"__builtins__": {}}, ns)

    def to_py(self, e: sympy.Expr) -> str:
        from sympy.printing.pycode import PythonCodePrinter

        class P(PythonCodePrinter):
            def _print_Function(pself, expr):
                return f"{expr.func.__name__}({', '.join(pself._print(a) for a in expr.args)})"

            def _print_Symbol(pself, expr):
                return self.lits.get(expr.name, expr.name)

            def _print_Pow(pself, expr, rational=False):
                return f"_pow({pself._print(expr.base)}, {pself._print(expr.exp)})"

        return P({"standard": "python3"}).doprint(e)


class _MathNS:
    def __getattr__(self, name):
        return getattr(sympy, {"fabs": "Abs", "log10": "log"}.get(name, name))


# ----------------------------------------------------------------------------- generate


def generate(mf: ModFile, mech_name: str) -> str:
    """Python source of a module that defines the mechanism class ``Mechanism``."""
    g = _Gen(mf)
    L: list[str] = []
    w = L.append
    w(
        f"# Generated by electrical.nmodl (version {GENERATOR_VERSION}) from {mf.path.name}; "
        "do not edit."
    )
    w("import math")
    w("import numpy as np")
    w("from numba import njit")
    w("from electrical.mechanisms.base import DensityMechanism, Param")
    w("from electrical.nmodl._runtime import _pow, _exprelr, table_args, newton_solve")
    w("from electrical.mechanisms.numerics import table_index")
    w("")
    _tables(g)
    variants = ("R", "T") if g.tables else ("R",)
    for variant in variants:
        for fname in g.callables:
            _emit_callable(g, fname, variant, L)
    for variant in variants:
        _emit_kernels(g, variant, L)
    _emit_class(g, mech_name, L)
    return "\n".join(L) + "\n"


def _tables(g: _Gen) -> None:
    mf = g.mf
    off = 1 + len(g.globals)
    for fname, blk in g.callables.items():
        body = blk.nodes("StatementBlock")[0]
        for st in body.nodes("TableStatement"):
            kids = st.nodes()
            names = [x.text for x in kids if x.t == "Name"]
            # TableStatement children: table names, DEPEND names, from, to, with
            exprs = [x for x in kids if x.t not in ("Name",)]
            if len(exprs) < 3:
                raise mf.error(r"\bTABLE\b", "TABLE without FROM ... TO ... WITH")
            lo, hi, n = exprs[-3:]
            tab_names, dep = _split_table_names(mf, fname, names)
            if blk.t == "FunctionBlock":
                outs = [fname]
            else:
                outs = tab_names
                _r, writes = g.rw(fname)
                for o in outs:
                    if o not in writes:
                        raise mf.error(
                            r"\bTABLE\b", f"TABLE name '{o}' is not assigned by PROCEDURE {fname}"
                        )
            args = blk.nodes("ArgumentList")
            nargs = sum(len(a.nodes("Argument")) for a in args) + len(blk.nodes("Argument"))
            if nargs != 1:
                raise mf.error(
                    r"\bTABLE\b",
                    f"TABLE in {fname}: NEURON tabulates functions of one argument only",
                )
            reads, _w = g.rw(fname)
            bad = sorted(r for r in reads if r not in ("celsius",) and r not in g.params)
            if bad:
                raise mf.error(
                    r"\bTABLE\b",
                    f"TABLE in {fname} depends on {bad}, which are "
                    "not GLOBAL; NEURON tables depend on globals only",
                )
            ntab = int(_const_value(g, n))
            g.tables[fname] = {
                "outs": outs,
                "lo": lo,
                "hi": hi,
                "n": ntab,
                "offset": off,
                "names": names,
                "dep": dep,
            }
            off += 2 + len(outs) * (ntab + 2)  # tmin, mfac, rows with a pad each
    g.aux_size = off


def _split_table_names(mf: ModFile, fname: str, names: list[str]):
    """(table names, DEPEND names) of the TABLE statement in ``fname`` (from the text:
    the AST flattens the two lists)."""
    import re

    from ._parse import _strip_comments

    text = _strip_comments(mf.text)
    m = re.search(rf"\b(PROCEDURE|FUNCTION)\s+{re.escape(fname)}\b(.*?)\bFROM\b", text, re.DOTALL)
    tm = re.search(r"\bTABLE\b(.*)", m.group(2), re.DOTALL) if m else None
    if tm is None:
        return names, []
    head = tm.group(1)
    tab_txt, _, dep_txt = head.partition("DEPEND")
    tab = re.findall(r"[A-Za-z_]\w*", tab_txt)
    dep = re.findall(r"[A-Za-z_]\w*", dep_txt)
    return tab, dep


def _const_value(g: _Gen, n) -> float:
    src = g.expr(n, set(), "R")
    return float(eval(src, {"math": math, "aux": None}))


def _fn_args(blk: Node) -> list[str]:
    out = []
    for a in blk.nodes("Argument"):
        out.append(a.nodes("Name")[0].text)
    for al in blk.nodes("ArgumentList"):
        for a in al.nodes("Argument"):
            out.append(a.nodes("Name")[0].text)
    return out


def _emit_callable(g: _Gen, fname: str, variant: str, L: list[str]) -> None:
    blk = g.callables[fname]
    is_fn = blk.t == "FunctionBlock"
    reads, writes = g.rw(fname)
    extra = sorted(reads) if is_fn else sorted(reads | writes)
    args = _fn_args(blk)
    loc = g._locals_of(blk)
    prefix = "f" if is_fn else "p"
    sig = ", ".join(["aux", *(f"n_{a}" for a in args), *(f"n_{x}" for x in extra)])
    L.append("@njit(cache=True, inline='always', error_model='numpy')")
    L.append(f"def {prefix}_{fname}_{variant}({sig}):")
    body: list[str] = []
    if is_fn:
        body.append(f"    n_{fname} = 0.0")
    tab = g.tables.get(fname)
    if tab is not None and variant == "T":
        base = tab["offset"]
        ntab = tab["n"]
        body.append(f"    _i, _th = table_args(aux, {base}, {ntab}, n_{args[0]})")
        for q, o in enumerate(tab["outs"]):
            o0 = base + 2 + q * (ntab + 2)
            body.append(f"    n_{o} = aux[{o0} + _i] + _th * (aux[{o0} + _i + 1] - aux[{o0} + _i])")
    else:
        g.stmts(blk.nodes("StatementBlock")[0], set(loc), variant, "    ", body)
    if is_fn:
        body.append(f"    return n_{fname}")
    else:
        ws = sorted(writes)
        body.append(f"    return ({''.join(f'n_{x}, ' for x in ws)})")
    L.extend(body)
    L.append("")


def _kernel_prologue(g: _Gen, have: set[str], body: list[str]) -> None:
    for x in sorted(g.ctx_names() - have):
        body.append(f"    n_{x} = 0.0")
    for x in sorted(have):
        body.append(f"    n_{x} = {x}")


def _persisted(g: _Gen) -> list[str]:
    """ASSIGNED variables kept per instance between kernels (listed after the states).

    Those written in INITIAL or in the state update and read before written in
    the current or state-update kernel, or RANGE ones (so that they can be
    recorded).
    """
    mf = g.mf
    written: set[str] = set()
    loc: set[str] = set()
    for blk in [mf.blocks.get("INITIAL"), *(_solve_bodies(g))]:
        if blk is not None:
            written |= g._rw_nodes(blk, loc)[1]
    out = []
    for a in g.assigned:
        if a in written and (a in mf.range_ or _read_before_written(g, a)):
            out.append(a)
    return out


def _solve_bodies(g: _Gen) -> list[Node]:
    out = []
    for name, _m in g.solves:
        blk = g.mf.derivatives.get(name) or g.mf.procedures.get(name)
        if blk is not None:
            out.append(blk.nodes("StatementBlock")[0])
    return out


def _read_before_written(g: _Gen, a: str) -> bool:
    """Conservative: True unless every kernel assigns ``a`` unconditionally first."""
    mf = g.mf
    bodies = [mf.blocks.get("BREAKPOINT"), *_solve_bodies(g)]
    for body in bodies:
        if body is None:
            continue
        state = _first_use(g, body, a)
        if state == "read":
            return True
    return False


def _first_use(g: _Gen, body: Node, a: str) -> str | None:
    """'read', 'write' or None: what the statements do first with ``a``."""
    for st in body.nodes():
        if st.t == "ExpressionStatement":
            e = st.c[0]
            if e.t == "SolveBlock":
                continue
            if e.t == "WrappedExpression":
                e = e.c[0]
            if e.t == "DiffEqExpression":
                e = e.c[0]
            if e.t == "BinaryExpression" and e.c[1].text == "=":
                if _mentions(g, e.c[2], a):
                    return "read"
                if _target_name(e.c[0]) == a:
                    return "write"
                continue
            if e.t == "FunctionCall":
                if any(_mentions(g, x, a) for x in e.nodes()[1:]):
                    return "read"
                fn = e.nodes("Name")[0].text
                if fn in g.mf.procedures:
                    r = _first_use(g, g.mf.procedures[fn].nodes("StatementBlock")[0], a)
                    if r:
                        return r
                continue
            if _mentions(g, e, a):
                return "read"
        elif st.t in ("LocalListStatement", "TableStatement"):
            continue
        elif _mentions(g, st, a):
            return "read"
    return None


def _mentions(g: _Gen, n: Node, a: str) -> bool:
    for x in n.walk():
        if x.t == "Name" and x.text == a:
            return True
        if x.t == "FunctionCall":
            fn = x.nodes("Name")[0].text
            if fn in g.callables and a in g.rw(fn)[0]:
                return True
    return False


def _emit_kernels(g: _Gen, variant: str, L: list[str]) -> None:
    mf = g.mf
    pers = _persisted(g)
    g.persisted = pers
    own = [c for c in g.currents if c not in g.ion_reads]
    for blk in [mf.blocks.get("INITIAL"), *_solve_bodies(g)]:
        if blk is None:
            continue
        used = sorted(set(own) & g._rw_nodes(blk, set())[0])
        if used:
            raise mf.error(
                rf"\b{used[0]}\b(?!\s*=[^=])",
                f"the current '{used[0]}' this mechanism writes is read outside BREAKPOINT "
                "(NEURON keeps its BREAKPOINT value there; the engine does not); compute it "
                "where it is used, or READ it from the ion in a separate mechanism",
            )
    st_all = [*g.states, *pers]
    reads = g.ion_reads
    params = g.params
    # init(t, v, <reads>, <params>, aux, celsius)
    sig = ", ".join(["t", "v", *reads, *params, "aux", "celsius"])
    body: list[str] = []
    _kernel_prologue(g, {"t", "v", *reads, *params, "celsius"}, body)
    for s in g.states:
        s0 = f"{s}0"
        if s0 in g.aux_index:
            body.append(f"    n_{s} = aux[{g.aux_index[s0]}]")
        elif s0 in params:
            body.append(f"    n_{s} = n_{s0}")
    if "INITIAL" in mf.blocks:
        g.stmts(mf.blocks["INITIAL"], set(), variant, "    ", body)
    outs = [*st_all, *g.conc_writes]
    L.append("@njit(cache=True, error_model='numpy')")
    L.append(f"def k_init_{variant}({sig}):")
    L.extend(body)
    L.append(f"    return ({''.join(f'n_{x}, ' for x in outs)})")
    L.append("")
    # current(t, v, <states>, <reads>, <params>, aux, celsius)
    if g.currents:
        sig = ", ".join(["t", "v", *st_all, *reads, *params, "aux", "celsius"])
        body = []
        _kernel_prologue(g, {"t", "v", *st_all, *reads, *params, "celsius"}, body)
        if "BREAKPOINT" in mf.blocks:
            g.stmts(mf.blocks["BREAKPOINT"], set(), variant, "    ", body)
        L.append("@njit(cache=True, error_model='numpy')")
        L.append(f"def k_current_{variant}({sig}):")
        L.extend(body)
        L.append(f"    return ({''.join(f'n_{x}, ' for x in g.currents)})")
        L.append("")
    # advance(t, v, <states>, <reads>, <params>, aux, celsius, dt)
    if outs:
        sig = ", ".join(["t", "v", *st_all, *reads, *params, "aux", "celsius", "dt"])
        body = []
        _kernel_prologue(g, {"t", "v", *st_all, *reads, *params, "celsius", "dt"}, body)
        for name, method in g.solves:
            _emit_solve(g, name, method, variant, body, L)
        L.append("@njit(cache=True, error_model='numpy')")
        L.append(f"def k_advance_{variant}({sig}):")
        L.extend(body)
        L.append(f"    return ({''.join(f'n_{x}, ' for x in outs)})")
        L.append("")


def _emit_solve(
    g: _Gen, name: str, method: str | None, variant: str, body: list[str], L: list[str]
) -> None:
    mf = g.mf
    if name in mf.procedures and name not in mf.derivatives:
        if method not in (None,):
            raise mf.error(
                rf"\bSOLVE\s+{name}\b",
                f"SOLVE {name} METHOD {method}: a PROCEDURE is solved without METHOD",
            )
        reads, writes = g.rw(name)
        extra = [f"n_{x}" for x in sorted(reads | writes)]
        ws = sorted(writes)
        call = f"p_{name}_{variant}(aux, {', '.join(extra)})"
        body.append(f"    ({''.join(f'n_{w}, ' for w in ws)}) = {call}" if ws else f"    {call}")
        return
    if name not in mf.derivatives:
        raise mf.error(
            rf"\bSOLVE\s+{name}\b", f"SOLVE {name}: no DERIVATIVE or PROCEDURE block named {name}"
        )
    blk = mf.derivatives[name]
    sb = blk.nodes("StatementBlock")[0]
    if method not in ("cnexp", "derivimplicit", "euler", None):
        raise mf.error(
            rf"\bMETHOD\s+{method}\b",
            f"METHOD {method} is not supported; use cnexp, derivimplicit or euler",
        )
    loc = g._locals_of(blk)
    if method == "cnexp" and _cnexp_linear(g, sb, loc, variant):

        def deq(e, local, var, ind, out):
            x = e.c[0].nodes()[0].c[0]
            x = x if isinstance(x, str) else x.text
            rhs = g.expr(e.c[2], local, var)
            out.extend(_cnexp_update(x, rhs, ind))

        g.stmts(sb, set(loc), variant, "    ", body, deq)
        return
    if method == "euler":

        def deq(e, local, var, ind, out):
            x = _prime_name(e)
            out.append(f"{ind}n_D{x} = {g.expr(e.c[2], local, var)}")

        order = _deq_states(sb)
        for x in order:
            body.append(f"    n_D{x} = 0.0")
        g.stmts(sb, set(loc), variant, "    ", body, deq)
        for x in order:
            body.append(f"    n_{x} = n_{x} + dt * n_D{x}")
        return
    # derivimplicit (and SOLVE without METHOD, and nonlinear cnexp): backward Euler by
    # Newton.  The block becomes a function of the states returning their derivatives
    # and the context variables it assigns.
    order = _deq_states(sb)
    reads, writes = g._rw_nodes(sb, loc)
    ctx_in = sorted((reads | writes) - set(order))
    ws = sorted(writes - set(order))
    fn = f"d_{name}_{variant}"
    fl: list[str] = []
    fl.append("@njit(cache=True, inline='always', error_model='numpy')")
    fl.append(f"def {fn}(aux, {', '.join(f'n_{x}' for x in [*order, *ctx_in])}):")
    for x in order:
        fl.append(f"    n_D{x} = 0.0")

    def deq(e, local, var, ind, out):
        x = _prime_name(e)
        out.append(f"{ind}n_D{x} = {g.expr(e.c[2], local, var)}")

    g.stmts(sb, set(loc), variant, "    ", fl, deq)
    fl.append(
        f"    return ({''.join(f'n_D{x}, ' for x in order)}), ({''.join(f'n_{x}, ' for x in ws)})"
    )
    fl.append("")
    L.extend(fl)
    ns = len(order)
    cargs = ", ".join(f"n_{x}" for x in ctx_in)
    body.append(f"    _y0 = np.array([{', '.join(f'n_{x}' for x in order)}])")
    body.append("    _y = _y0.copy()")
    body.append(f"    _J = np.empty(({ns}, {ns}))")
    body.append(f"    _F = np.empty({ns})")
    body.append("    for _it in range(50):")
    body.append(
        f"        _d, _w = {fn}(aux, {', '.join(f'_y[{k}]' for k in range(ns))}"
        f"{', ' if cargs else ''}{cargs})"
    )
    body.append(f"        for _k in range({ns}):")
    body.append("            _F[_k] = _d[_k] - (_y[_k] - _y0[_k]) / dt")
    body.append(f"        for _j in range({ns}):")
    body.append("            _h = 1e-7 * max(abs(_y[_j]), 1e-6)")
    body.append("            _yp = _y.copy()")
    body.append("            _yp[_j] += _h")
    body.append(
        f"            _dp, _wp = {fn}(aux, {', '.join(f'_yp[{k}]' for k in range(ns))}"
        f"{', ' if cargs else ''}{cargs})"
    )
    body.append(f"            for _k in range({ns}):")
    body.append("                _J[_k, _j] = ((_dp[_k] - (_yp[_k] - _y0[_k]) / dt) - _F[_k]) / _h")
    body.append("        if newton_solve(_J, _F, _y):")
    body.append("            break")
    body.append(
        f"    _d, _w = {fn}(aux, {', '.join(f'_y[{k}]' for k in range(ns))}"
        f"{', ' if cargs else ''}{cargs})"
    )
    for k, x in enumerate(order):
        body.append(f"    n_{x} = _y[{k}]")
    if ws:
        body.append(f"    ({''.join(f'n_{x}, ' for x in ws)}) = _w")


def _prime_name(e: Node) -> str:
    pn = e.c[0].nodes()[0]
    x = pn.c[0]
    return x if isinstance(x, str) else x.text


def _deq_states(sb: Node) -> list[str]:
    out = []
    for node in sb.walk():
        if node.t == "DiffEqExpression":
            x = _prime_name(node.c[0])
            if x not in out:
                out.append(x)
    return out


def _cnexp_linear(g: _Gen, sb: Node, loc, variant) -> bool:
    """Whether nocmodl's cnexp formula applies to every x' = f of the block.

    nocmodl (measured, neuron 9.0.2) keeps the exponential update when f is a
    polynomial in x (coefficients free of x); when x also sits in a division,
    a function call or a root it solves the block as ``derivimplicit``.
    """
    for node in sb.walk():
        if node.t == "DiffEqExpression":
            e = node.c[0]
            x = _prime_name(e)
            sy = _Sym()
            f = sy.to_sympy(g.expr(e.c[2], set(loc), variant))
            if not f.is_polynomial(sympy.Symbol(f"n_{x}")):
                return False
    return True


def _cnexp_update(x: str, rhs: str, ind: str) -> list[str]:
    """nocmodl's cnexp statement for x' = rhs: x += (1 - exp(dt*a))*(-b/a - x).

    a = d rhs/dx; b = rhs at x = 0.  When a still depends on x (rhs a polynomial
    of degree > 1 in x), nocmodl drops the -b/a term (measured): x += (1 -
    exp(dt*a))*(-x), which this reproduces.
    """
    sy = _Sym()
    f = sy.to_sympy(rhs)
    xs = sympy.Symbol(f"n_{x}")
    a = sympy.diff(f, xs)
    if a == 0:
        return [f"{ind}n_{x} = n_{x} + dt * ({sy.to_py(f)})"]
    if xs in a.free_symbols:
        return [f"{ind}n_{x} = n_{x} + (1.0 - math.exp(dt * ({sy.to_py(a)}))) * (-n_{x})"]
    b = f.subs(xs, 0)
    line = (
        f"{ind}n_{x} = n_{x} + (1.0 - math.exp(dt * ({sy.to_py(a)}))) * "
        f"(-({sy.to_py(b)}) / ({sy.to_py(a)}) - n_{x})"
    )
    return [line]


def _emit_class(g: _Gen, mech_name: str, L: list[str]) -> None:
    mf = g.mf
    w = L.append

    def param(var, default=None):
        lo, hi = var.bounds
        d = var.default if default is None else default
        return (
            f"Param({d!r}, {var.unit or '1'!r}, ({_lit(lo) if math.isfinite(lo) else '-math.inf'}, "
            f"{_lit(hi) if math.isfinite(hi) else 'math.inf'}))"
        )

    w("")
    w("class Mechanism(DensityMechanism):")
    w(f"    {(mf.title or mf.name)!r}")
    w(f"    name = {mech_name!r}")
    w("    params = {")
    for p in g.params:
        if p == "diam":
            w("        'diam': Param(500.0, 'um', (0.0, math.inf)),")
        else:
            w(f"        {p!r}: {param(mf.params[p])},")
    w("    }")
    w("    states = {")
    for s in g.states:
        w(f"        {s!r}: Param(0.0, {mf.states[s].unit or '1'!r}),")
    for a in g.persisted:
        w(f"        {a!r}: Param(0.0, {mf.assigned[a].unit or '1'!r}),")
    w("    }")
    w(f"    currents = {dict(g.currents)!r}")
    w(f"    reads = {tuple(g.ion_reads)!r}")
    w(f"    writes = {tuple(g.conc_writes)!r}")
    if g.conc_writes:
        w("    priority = -10")
    if g.uses_diam:
        w("    geometry = ('diam',)")
    w("    globals = {")
    if g.tables:
        w("        'usetable': Param(1.0, '1', (0.0, 1.0)),")
    for gl in g.globals:
        w(f"        {gl!r}: {param(mf.params[gl])},")
    w("    }")
    w("    init = staticmethod(k_init_R)")
    if g.currents:
        w("    current = staticmethod(k_current_R)")
    if g.states or g.persisted or g.conc_writes:
        w("    advance = staticmethod(k_advance_R)")
    w("")
    w("    @classmethod")
    w("    def kernels(cls, globals_):")
    if g.tables:
        ks = ["'init': k_init_T"]
        if g.currents:
            ks.append("'current': k_current_T")
        if g.states or g.persisted or g.conc_writes:
            ks.append("'advance': k_advance_T")
        w(f"        return {{{', '.join(ks)}}} if globals_.get('usetable', 1.0) else {{}}")
    else:
        w("        return {}")
    w("")
    w("    @classmethod")
    w("    def make_aux(cls, celsius, globals_, instances):")
    size = getattr(g, "aux_size", 1 + len(g.globals))
    w(f"        aux = np.zeros({size})")
    w("        aux[0] = float(globals_.get('usetable', 1.0))")
    for gl in g.globals:
        w(
            f"        aux[{g.aux_index[gl]}] = float(globals_.get({gl!r}, "
            f"cls.globals[{gl!r}].default))"
        )
    for fname, tab in g.tables.items():
        blk = g.callables[fname]
        is_fn = blk.t == "FunctionBlock"
        reads, writes = g.rw(fname)
        extra = sorted(reads) if is_fn else sorted(reads | writes)
        lo = g.expr(tab["lo"], set(), "R")
        hi = g.expr(tab["hi"], set(), "R")
        n = tab["n"]
        base = tab["offset"]
        w(f"        _tmin = float({lo})")
        w(f"        _tmax = float({hi})")
        w(f"        _dx = (_tmax - _tmin) / {float(n)!r}")
        w(f"        aux[{base}] = _tmin")
        w(f"        aux[{base + 1}] = 1.0 / _dx")
        w("        _x = _tmin")
        w(f"        for _i in range({n + 1}):")
        # a RANGE parameter a TABLE depends on takes its default here (NEURON builds
        # the table from the instance that checks it first: the same when uniform)
        cargs = ", ".join(
            "celsius"
            if x == "celsius"
            else repr(float(mf.params[x].default))
            if x in g.params and x in mf.params
            else "0.0"
            for x in extra
        )
        fnm = f"{'f' if is_fn else 'p'}_{fname}_R"
        w(f"            _r = {fnm}.py_func(aux, _x{', ' if cargs else ''}{cargs})")
        if is_fn:
            w("            _r = (_r,)")
            order = [fname]
        else:
            order = sorted(writes)
        for q, o in enumerate(tab["outs"]):
            o0 = base + 2 + q * (n + 2)
            w(f"            aux[{o0} + _i] = _r[{order.index(o)}]")
        w("            _x += _dx")
    w("        return aux")
