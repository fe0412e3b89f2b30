"""The shape of ``biochem``: no import cycle, no private attribute access across modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "biochem"
# Names of objects whose private attributes a module may use: its own.
OWN = {"self", "cls"}


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.glob("*.py"))}


def _runtime_imports(tree: ast.Module) -> set[str]:
    """biochem modules imported outside ``if TYPE_CHECKING:`` blocks."""
    out: set[str] = set()

    def visit(node, typing_only=False):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only = True
        if not typing_only and isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "biochem":
                out.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
            elif node.module.startswith("biochem."):
                out.add(node.module.split(".")[1])
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree)
    return out


def test_no_import_cycle_inside_biochem():
    graph = {name: _runtime_imports(tree) - {name} for name, tree in _modules().items()}
    graph.pop("__init__")
    for deps in graph.values():
        deps.discard("__init__")
    done: set[str] = set()

    def walk(name, stack):
        assert name not in stack, f"import cycle: {' -> '.join(stack + [name])}"
        if name in done:
            return
        for dep in sorted(graph.get(name, ())):
            walk(dep, stack + [name])
        done.add(name)

    for name in graph:
        walk(name, [])


def test_pathway_and_instance_touch_no_private_attribute_of_other_objects():
    for name in ("pathway", "instance"):
        tree = _modules()[name]
        bad = [
            f"{name}.py:{node.lineno}: {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in OWN)
        ]
        assert not bad, bad
