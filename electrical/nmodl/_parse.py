"""Read a .mod file with NEURON's own NMODL parser into a typed description.

The parser is ``neuron.nmodl`` (NmodlDriver).  Its AST goes through
``to_json`` into plain :class:`Node` trees, which the code generator walks;
no NMODL grammar is written here.  Line numbers (which the Python binding of
the AST does not expose) are found in the comment-free text of the file.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import _units
from .errors import NmodlError

__all__ = ["ModFile", "Node", "Var", "parse_file"]


def _set_nmodlhome() -> None:
    """NMODLHOME -> the wheel's ``.data`` folder (the sympy passes need it)."""
    if os.environ.get("NMODLHOME"):
        return
    try:
        import neuron
    except ImportError:  # pragma: no cover - neuron is a dependency of the importer
        return
    data = Path(neuron.__file__).resolve().parent / ".data"
    if data.is_dir():
        os.environ["NMODLHOME"] = str(data)


class Node:
    """One AST node: its NMODL type name ``t`` and its children ``c`` (Nodes or str)."""

    __slots__ = ("c", "t")

    def __init__(self, t: str, c: list) -> None:
        self.t = t
        self.c = c

    def __repr__(self) -> str:
        return f"Node({self.t}, {self.c!r})"

    def nodes(self, t: str | None = None):
        """Children that are Nodes (of type ``t`` when given)."""
        return [x for x in self.c if isinstance(x, Node) and (t is None or x.t == t)]

    def walk(self):
        yield self
        for x in self.c:
            if isinstance(x, Node):
                yield from x.walk()

    @property
    def text(self) -> str:
        """The name of a Name/String/VarName/Double/Integer/operator node."""
        for x in self.c:
            if isinstance(x, str):
                return x
            return x.text
        return ""


def _tree(d) -> Node | str:
    if "name" in d and len(d) == 1:
        return d["name"]
    ((t, kids),) = d.items()
    return Node(t, [_tree(k) for k in kids])


@dataclass
class Var:
    """A declared variable: PARAMETER, STATE, ASSIGNED or CONSTANT."""

    name: str
    unit: str = ""
    default: float = 0.0
    bounds: tuple[float, float] = (-math.inf, math.inf)
    size: int | None = None  # arrays: number of elements


@dataclass
class ModFile:
    """What one .mod file declares and the blocks the generator translates."""

    path: Path
    text: str
    kind: str = "density"  # or "point"
    name: str = ""
    ions: list[tuple[str, list[str], list[str], float | None]] = field(default_factory=list)
    range_: set[str] = field(default_factory=set)
    global_: set[str] = field(default_factory=set)
    nonspecific: list[str] = field(default_factory=list)
    electrode: list[str] = field(default_factory=list)
    params: dict[str, Var] = field(default_factory=dict)
    states: dict[str, Var] = field(default_factory=dict)
    assigned: dict[str, Var] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    blocks: dict[str, Node] = field(default_factory=dict)  # INITIAL, BREAKPOINT
    derivatives: dict[str, Node] = field(default_factory=dict)
    procedures: dict[str, Node] = field(default_factory=dict)
    functions: dict[str, Node] = field(default_factory=dict)
    title: str = ""

    def line_of(self, pattern: str) -> int | None:
        """First line (1-based) whose comment-free text matches the regex ``pattern``."""
        rx = re.compile(pattern, re.IGNORECASE)
        for k, ln in enumerate(_strip_comments(self.text).split("\n"), 1):
            if rx.search(ln):
                return k
        return None

    def error(self, pattern: str | None, message: str) -> NmodlError:
        return NmodlError(self.path, self.line_of(pattern) if pattern else None, message)


def _strip_comments(text: str) -> str:
    """The text with COMMENT..ENDCOMMENT and ``:`` comments blanked (lines kept)."""

    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))

    text = re.sub(r"(?ms)^\s*COMMENT\b.*?^\s*ENDCOMMENT\b", blank, text)
    return re.sub(r"[:?][^\n]*", blank, text)


#: AST node types the importer refuses: type -> (keyword regex, construct, what instead)
REFUSED = {
    "Verbatim": (r"\bVERBATIM\b", "VERBATIM (C code)", "rewrite it in NMODL statements"),
    "Pointer": (r"\bPOINTER\b", "POINTER", "pass the value as a PARAMETER or an ion"),
    "BbcorePointer": (r"\bBBCOREPOINTER\b", "BBCOREPOINTER", "remove it"),
    "WatchStatement": (r"\bWATCH\b", "WATCH", "use a threshold on a recorded variable"),
    "ForNetcon": (r"\bFOR_NETCONS\b", "FOR_NETCONS", "give each connection its own state"),
    "LinearBlock": (r"\bLINEAR\b", "LINEAR block", "write the equations as a KINETIC scheme"),
    "NonLinearBlock": (r"\bNONLINEAR\b", "NONLINEAR block", "write it as a DERIVATIVE block"),
    "DiscreteBlock": (r"\bDISCRETE\b", "DISCRETE block", "write it as a DERIVATIVE block"),
    "PartialBlock": (r"\bPARTIAL\b", "PARTIAL block", "use LONGITUDINAL_DIFFUSION"),
    "Include": (r"\bINCLUDE\b", "INCLUDE", "paste the included text into the file"),
    "LagStatement": (r"\bLAG\b", "LAG", "write the delay as a state"),
    "TableStatement@deriv": (r"\bTABLE\b", "TABLE in a DERIVATIVE block", "move it to a FUNCTION"),
}

#: constructs not yet generated by this version (refused with this reason)
NOT_YET = {
    "KineticBlock": (r"\bKINETIC\b", "KINETIC block"),
    "NetReceiveBlock": (r"\bNET_RECEIVE\b", "NET_RECEIVE block"),
    "PointProcess": (r"\bPOINT_PROCESS\b", "POINT_PROCESS"),
    "ArtificialCell": (r"\bARTIFICIAL_CELL\b", "ARTIFICIAL_CELL"),
    "FunctionTableBlock": (r"\bFUNCTION_TABLE\b", "FUNCTION_TABLE"),
    "LongitudinalDiffusionBlock": (r"\bLONGITUDINAL_DIFFUSION\b", "LONGITUDINAL_DIFFUSION"),
    "ElectrodeCurrent": (r"\bELECTRODE_CURRENT\b", "ELECTRODE_CURRENT"),
    "BeforeBlock": (r"\bBEFORE\b", "BEFORE block"),
    "AfterBlock": (r"\bAFTER\b", "AFTER block"),
    "ConstructorBlock": (r"\bCONSTRUCTOR\b", "CONSTRUCTOR block"),
    "DestructorBlock": (r"\bDESTRUCTOR\b", "DESTRUCTOR block"),
    "IndexedName": (r"\[", "an array variable"),
    "RandomVarList": (r"\bRANDOM\b", "RANDOM variables"),
}

RANDOM_CALLS = {
    "scop_random",
    "normrand",
    "exprand",
    "unirand",
    "erand",
    "poisrand",
    "random_negexp",
    "random_normal",
    "random_uniform",
    "set_seed",
}


def _number(n: Node | str) -> float:
    if isinstance(n, str):
        return float(n)
    if n.t in ("Double", "Integer", "Float"):
        return float(n.text)
    if n.t == "UnaryExpression" and n.c[0].text == "-":
        return -_number(n.c[1])
    if n.t in ("WrappedExpression", "ParenExpression"):
        return _number(n.c[0])
    raise ValueError(n.t)


def _unit(n: Node) -> str:
    us = n.nodes("Unit")
    return us[0].text if us else ""


def parse_file(path) -> ModFile:
    """Parse ``path`` with NEURON's NmodlDriver; raise :class:`NmodlError` on any problem."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise NmodlError(path, None, f"cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError:
        text = path.read_bytes().decode("latin-1")
    _set_nmodlhome()
    try:
        from neuron import nmodl
    except ImportError:
        raise NmodlError(
            path, None, "the NMODL parser comes from the 'neuron' wheel, which is not "
            "installed; install it with: pip install 'multiscale-neuro[nmodl]'"
        ) from None

    try:
        prog = nmodl.NmodlDriver().parse_string(text)
    except RuntimeError as exc:  # the driver's own message, with its location
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        m = re.search(r"\[Location : (\d+)\.", first)
        detail = re.sub(r"\s*\[Location : [^\]]*\]", "", first)
        detail = detail.replace("NMODL Parser Error : ", "")
        raise NmodlError(
            path,
            int(m.group(1)) if m else None,
            f"NEURON's NMODL parser rejects the file: {detail}",
        ) from None
    root = _tree(json.loads(nmodl.to_json(prog, True)))
    return _describe(path, text, root)


def _names(n: Node, t: str) -> list[str]:
    return [x.text for x in n.nodes(t)]


def _describe(path: Path, text: str, root: Node) -> ModFile:
    mf = ModFile(path=path, text=text)
    # VERBATIM "return 0;" closing a PROCEDURE (Destexhe's files) does what nocmodl's
    # procedure does anyway: it is inert
    inert = set()
    for blk in root.nodes("ProcedureBlock"):
        body = blk.nodes("StatementBlock")[0].nodes()
        if body and body[-1].t == "Verbatim" and body[-1].text.strip() == "return 0;":
            inert.add(id(body[-1]))
    # refused constructs anywhere in the file (first those refused for good, then
    # those this version does not generate yet)
    for node in root.walk():
        if id(node) not in inert and node.t in REFUSED:
            pat, what, instead = REFUSED[node.t]
            raise mf.error(pat, f"{what} is not supported; {instead}")
    for node in root.walk():
        if node.t in NOT_YET:
            pat, what = NOT_YET[node.t]
            raise mf.error(
                pat,
                f"{what} is not supported by this version of the importer "
                "(density mechanisms only); use a hand-written mechanism",
            )
        if node.t == "Suffix" and node.nodes("Name")[0].text in (
            "POINT_PROCESS",
            "ARTIFICIAL_CELL",
        ):
            kw = node.nodes("Name")[0].text
            raise mf.error(
                rf"\b{kw}\b",
                f"{kw} is not supported by this version of the "
                "importer (density mechanisms only); use a hand-written point "
                "process",
            )
    for blk in root.nodes():
        t = blk.t
        if t == "Model":
            mf.title = blk.text.strip()
        elif t == "NeuronBlock":
            _neuron_block(mf, blk.nodes("StatementBlock")[0])
        elif t == "UnitBlock":
            for fd in blk.nodes("FactorDef"):
                name = fd.nodes("Name")[0].text
                nums = [x for x in fd.nodes() if x.t in ("Double", "Integer", "Float")]
                units = [u.text for u in fd.nodes("Unit")]
                if nums:
                    mf.constants[name] = _number(nums[0])
                    continue
                val = _units.factor(*units) if len(units) == 2 else None
                if val is None:
                    raise mf.error(
                        rf"\b{re.escape(name)}\s*=",
                        f"unit factor {name} = ({') ('.join(units)}) is not known "
                        "to the importer; write its value as a CONSTANT",
                    )
                mf.constants[name] = val
        elif t == "ParamBlock":
            for pa in blk.nodes("ParamAssign"):
                name = pa.nodes("Name")[0].text
                nums = [
                    x
                    for x in pa.nodes()
                    if x.t in ("Double", "Integer", "Float", "UnaryExpression")
                ]
                lim = pa.nodes("Limits")
                bounds = (-math.inf, math.inf)
                if lim:
                    lo, hi = (_number(x) for x in lim[0].nodes())
                    bounds = (lo, hi)
                mf.params[name] = Var(name, _unit(pa), _number(nums[0]) if nums else 0.0, bounds)
        elif t in ("StateBlock", "AssignedBlock"):
            dest = mf.states if t == "StateBlock" else mf.assigned
            for ad in blk.nodes("AssignedDefinition"):
                name = ad.nodes("Name")[0].text
                size = [x for x in ad.nodes() if x.t == "Integer"]
                if size:
                    raise mf.error(
                        rf"\b{re.escape(name)}\s*\[",
                        f"array variable '{name}' is not supported by this version of the importer",
                    )
                dest[name] = Var(name, _unit(ad))
        elif t == "ConstantBlock":
            for cs in blk.nodes("ConstantStatement"):
                cv = cs.nodes("ConstantVar")[0]
                nums = [x for x in cv.nodes() if x.t != "Name" and x.t != "Unit"]
                mf.constants[cv.nodes("Name")[0].text] = _number(nums[0])
        elif t == "InitialBlock":
            mf.blocks["INITIAL"] = blk.nodes("StatementBlock")[0]
        elif t == "BreakpointBlock":
            mf.blocks["BREAKPOINT"] = blk.nodes("StatementBlock")[0]
        elif t == "DerivativeBlock":
            mf.derivatives[blk.nodes("Name")[0].text] = blk
        elif t == "ProcedureBlock":
            mf.procedures[blk.nodes("Name")[0].text] = blk
        elif t == "FunctionBlock":
            mf.functions[blk.nodes("Name")[0].text] = blk
        elif (
            t in ("IndependentBlock", "BlockComment", "LineComment", "UnitState", "Define")
            or t == "StepBlock"
        ):
            pass
        elif t == "LocalListStatement":
            raise mf.error(
                r"^\s*LOCAL\b",
                "a LOCAL statement outside the blocks (a variable "
                "shared by all instances) is not supported; declare it in ASSIGNED",
            )
        else:
            raise mf.error(None, f"block {t} is not supported by the importer")
    if not mf.name:
        raise mf.error(
            r"\bNEURON\b", "no SUFFIX in the NEURON block: name the mechanism with SUFFIX name"
        )
    for node in mf.blocks.get("BREAKPOINT", Node("x", [])).walk():
        if node.t == "FunctionCall" and node.nodes("Name")[0].text in RANDOM_CALLS:
            fn = node.nodes("Name")[0].text
            raise mf.error(
                rf"\b{fn}\b",
                f"random number call {fn}() in BREAKPOINT is not "
                "supported; drive the noise from a played current",
            )
    return mf


def _neuron_block(mf: ModFile, sb: Node) -> None:
    for st in sb.nodes():
        t = st.t
        if t == "Suffix":
            kw, name = (x.text for x in st.nodes("Name"))
            mf.kind = "density" if kw == "SUFFIX" else "point"
            mf.name = name
        elif t == "Useion":
            ion = st.nodes("Name")[0].text
            reads = [x.nodes("Name")[0].text for x in st.nodes("ReadIonVar")]
            writes = [x.nodes("Name")[0].text for x in st.nodes("WriteIonVar")]
            val = st.nodes("Valence")
            valence = _number(val[0].nodes()[-1]) if val else None
            mf.ions.append((ion, reads, writes, valence))
        elif t == "Range":
            mf.range_.update(x.nodes("Name")[0].text for x in st.nodes("RangeVar"))
        elif t == "Global":
            mf.global_.update(x.nodes("Name")[0].text for x in st.nodes("GlobalVar"))
        elif t == "Nonspecific":
            mf.nonspecific += [x.nodes("Name")[0].text for x in st.nodes("NonspecificCurVar")]
        elif t == "ElectrodeCurrent":
            mf.electrode += [x.nodes("Name")[0].text for x in st.nodes()]
        elif t == "ThreadSafe":
            pass
