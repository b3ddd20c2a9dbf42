"""The package's architecture as tests: an acyclic import graph, no private names across modules,
and modules that are either small or say why not.

Every module under ``theory/`` is parsed with :mod:`ast` (not imported); every ``import`` and
``from ... import`` counts, at module level and inside functions (lazy imports too), relative ones
resolved against the importing module's package.  A module importing ``theory.a.b`` also depends
on the package ``theory.a`` (its ``__init__`` runs first).  The root package ``theory`` is the
public facade above every layer, so it is not an implicit parent; a module that names it
(``from theory import __version__``) depends on it.

Violations that other branches of issue 10 are removing are listed in :data:`KNOWN_VIOLATIONS`,
each with the engineer who owns the file.  A violation not in the list fails, and so does an entry
that no longer occurs (the list must shrink as the code improves).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "theory"
#: A module over this many lines states why in a sentence beginning "Size:" in its docstring.
MAX_LINES = 500

#: (kind, what, owner).  kind "edge": an import edge "a -> b" that takes part in a cycle today;
#: "private": "importer: module.name", a private name used across modules; "size": a module over
#: MAX_LINES lines without a "Size:" sentence.
KNOWN_VIOLATIONS: list[tuple[str, str, str]] = []


def _known(kind: str) -> set[str]:
    return {what for k, what, _ in KNOWN_VIOLATIONS if k == kind}


# ---------------------------------------------------------------------------
# the modules and their imports
# ---------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES.items()}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _package_of(name: str) -> str:
    return name if _is_package(name) else name.rpartition(".")[0]


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    base = _package_of(importer).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str):
    """``(target_module, imported_name or None, lineno)`` for every import in module ``name``."""
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(name, node)
            for alias in node.names:
                yield source, alias.name, node.lineno


def _ancestors(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def _with_parents(target: str, importer: str) -> set[str]:
    """``target`` and the parent packages whose ``__init__`` importing it runs: not the root, and not
    the importer's own packages (they have already started before the importer runs)."""
    parts = target.split(".")
    parents = {".".join(parts[:n]) for n in range(2, len(parts))} - _ancestors(importer)
    return ({target} | parents) & MODULES.keys()


def _graph() -> dict[str, set[str]]:
    graph = {name: set() for name in MODULES}
    for name in MODULES:
        for source, imported, _ in _imports(name):
            if source != "theory" and not source.startswith("theory."):
                continue
            submodule = f"{source}.{imported}" if imported else None
            if submodule in MODULES:  # from theory.a import b, b a module: b, and a's __init__ if not ours
                deps = _with_parents(submodule, name)
            else:
                deps = _with_parents(source, name) | ({"theory"} if source == "theory" else set())
            graph[name] |= deps - {name}
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component with more than one module (Tarjan)."""
    index, low, stack, on_stack, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(set(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in comps:  # a shortest cycle from the component's first module, by breadth-first search
        start = min(comp)
        paths, seen, found = [[start]], {start}, None
        while paths and found is None:
            new = []
            for path in paths:
                for w in sorted(graph[path[-1]] & comp):
                    if w == start:
                        found = path + [start]
                        break
                    if w not in seen:
                        seen.add(w)
                        new.append(path + [w])
                if found:
                    break
            paths = new
        cycles.append(found)
    return cycles


def test_the_graph_sees_lazy_relative_and_parent_imports():
    """The walker itself: a lazy import, a relative import and an implicit parent package all count."""
    assert "theory.simulate.sweep" in GRAPH["theory.simulate"]  # relative: from .sweep import ...
    assert "theory.latex" in GRAPH["theory.cli.latex"]  # lazy, inside a function
    assert "theory.simulate" in GRAPH["theory.cli.simulate"]  # parent of theory.simulate.cases
    assert "theory.latex" not in GRAPH["theory.latex.report"]  # its own package: already running
    assert "theory._version" in GRAPH["theory.cli"]  # lazy, inside _version()
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_import_cycle():
    known = {tuple(e.split(" -> ")) for e in _known("edge")}
    present = {(a, b) for a, deps in GRAPH.items() for b in deps}
    stale = sorted(" -> ".join(e) for e in known - present)
    graph = {a: {b for b in deps if (a, b) not in known} for a, deps in GRAPH.items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)
    assert not stale, f"KNOWN_VIOLATIONS lists edges that no longer exist (remove them): {stale}"


# ---------------------------------------------------------------------------
# private names
# ---------------------------------------------------------------------------
def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _same_package_reexport(importer: str, source: str) -> bool:
    """A package's ``__init__`` importing from a module inside that package."""
    return _is_package(importer) and source.startswith(importer + ".")


def _private_uses(name: str):
    """``"module.name"`` for each private name of another theory module that ``name`` uses."""
    tree = TREES[name]
    aliases = {}  # local name -> theory module it is bound to
    for source, imported, _ in _imports(name):
        if not source.startswith("theory"):
            continue
        if imported is None:
            aliases[source.split(".")[0]] = "theory"
        elif f"{source}.{imported}" in MODULES:
            aliases[imported] = f"{source}.{imported}"
        elif _private(imported) and source != name and not _same_package_reexport(name, source):
            yield f"{source}.{imported}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(name, node)
            for alias in node.names:
                if alias.asname and f"{source}.{alias.name}" in MODULES:
                    aliases[alias.asname] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in MODULES:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        chain, value = [node.attr], node.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in aliases:
            continue
        dotted = ".".join([aliases[value.id], *reversed(chain)])
        owner = dotted.rpartition(".")[0]
        if owner in MODULES and dotted not in MODULES and owner != name:
            yield dotted


def test_no_private_name_across_modules():
    found = {f"{name}: {use}" for name in MODULES for use in _private_uses(name)}
    known = _known("private")
    new = sorted(found - known)
    assert not new, "private names used across modules (make them public, or move them):\n" + "\n".join(new)
    stale = sorted(known - found)
    assert not stale, f"KNOWN_VIOLATIONS lists private uses that no longer exist (remove them): {stale}"


def test_private_name_detector_sees_attribute_and_from_imports(tmp_path):
    """The detector on the two forms: ``from theory.x import _name`` and ``alias._name``."""
    code = ("from theory.hermite import _monomial_to_he\n"
            "def f():\n"
            "    from theory import links as tl\n"
            "    return tl._private_thing, tl.__name__\n")
    TREES["theory._probe"] = ast.parse(code)
    MODULES["theory._probe"] = tmp_path / "_probe.py"
    try:
        assert sorted(_private_uses("theory._probe")) == ["theory.hermite._monomial_to_he",
                                                          "theory.links._private_thing"]
    finally:
        del TREES["theory._probe"], MODULES["theory._probe"]


# ---------------------------------------------------------------------------
# module size
# ---------------------------------------------------------------------------
def _oversized() -> set[str]:
    out = set()
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(TREES[name]) or ""
        says_why = any(part.lstrip().startswith("Size:") for part in doc.split("\n\n"))
        if lines > MAX_LINES and not says_why:
            out.add(name)
    return out


def test_every_module_states_its_role():
    missing = sorted(name for name in MODULES if not (ast.get_docstring(TREES[name]) or "").strip())
    assert not missing, f"modules without a docstring stating their role: {missing}"


def test_large_modules_say_why():
    found, known = _oversized(), _known("size")
    new = sorted(found - known)
    assert not new, (f"modules over {MAX_LINES} lines whose docstring has no paragraph beginning 'Size:' "
                     f"saying why: {new}")
    stale = sorted(known - found)
    assert not stale, f"KNOWN_VIOLATIONS lists modules that are no longer oversized (remove them): {stale}"


@pytest.mark.parametrize("kind", ["edge", "private", "size"])
def test_known_violations_name_an_owner(kind):
    for k, what, owner in KNOWN_VIOLATIONS:
        assert k in ("edge", "private", "size") and owner in ("H1", "H2", "H4", "H5"), (k, what, owner)
