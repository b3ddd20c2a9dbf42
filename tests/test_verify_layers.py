"""verify and plots: the import direction (verify -> plots, never back) and no private names between them."""
import ast
from pathlib import Path

import theory

ROOT = Path(theory.__file__).parent
FILES = sorted((ROOT / "verify").glob("*.py")) + [ROOT / "plots.py"]


def imports(path):
    """``(module, names, enclosing function or None)`` of every import in ``path``, lazy ones included."""
    tree = ast.parse(path.read_text())
    out = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            f = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.ImportFrom):
                out.append((child.module, [a.name for a in child.names], f))
            elif isinstance(child, ast.Import):
                out.extend((a.name, [], f) for a in child.names)
            visit(child, f)

    visit(tree, None)
    return out


def test_plots_does_not_import_verify():
    assert not [m for m, _, _ in imports(ROOT / "plots.py") if m and m.startswith("theory.verify")]


def test_verify_imports_plots_only_where_the_figure_is_drawn():
    users = [(p.name, f) for p in FILES if p.parent.name == "verify"
             for m, _, f in imports(p) if m and m.startswith("theory.plots")]
    assert users == [("run.py", "verify")]


def test_no_private_name_crosses_a_module_boundary():
    bad = [(p.name, m, n) for p in FILES for m, names, _ in imports(p) if m and m.startswith("theory")
           for n in names if n.startswith("_")]
    assert bad == []
