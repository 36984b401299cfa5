"""The folders are the architecture: every import in ``var/`` points down the layer list, never up or across.

Lazy imports inside functions count too (an upward import that only runs later is still a cycle in the design).
"""

import ast
import sys
from pathlib import Path

import var

ROOT = Path(var.__file__).parent
#: bottom to top; a module may import from its own layer and those before it
LAYERS = ["core", "models", "viz", "interop", "benchmarks", "perf", "report", "pages", "cli"]
#: what ``import var`` (the facade) loads
FACADE = {"core", "models", "interop"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] not in LAYERS:
        return "cli"  # var/__init__, var/bench.py, var/demo.py: the top
    return parts[1]


def imports(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """The ``var`` modules a file imports, absolute, with the line."""
    module = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names] if target in ("var", f"var.{layer_of(target)}") \
                else [target]
            found += [(n, node.lineno) for n in names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return [(t, line) for t, line in found if t == "var" or t.startswith("var.")]


def upward_imports(root: Path = ROOT) -> list[str]:
    upward = []
    for path in sorted(root.rglob("*.py")):
        own = LAYERS.index(layer_of(".".join(path.relative_to(root.parent).with_suffix("").parts)))
        for target, line in imports(path, root):
            layers = FACADE if target == "var" else {layer_of(target)}
            if any(LAYERS.index(layer) > own for layer in layers):
                upward.append(f"{path.relative_to(root.parent)}:{line} imports {target}")
    return upward


def import_cycles(root: Path = ROOT, layer: str = "core") -> list[list[str]]:
    """The import circles among one layer's modules (lazy imports count), each as the modules around it."""
    files = sorted((root / layer).rglob("*.py"))
    modules = {".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): p for p in files}

    def module_of(target: str) -> str | None:  # "var.core.registry.get" -> "var.core.registry"
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    graph = {m: {module_of(t) for t, _ in imports(p, root)} - {None, m} for m, p in modules.items()}
    cycles, done = [], set()

    def visit(m, path):
        if m in path:
            cycles.append(path[path.index(m):] + [m])
            return
        if m in done:
            return
        for n in sorted(graph[m]):
            visit(n, path + [m])
        done.add(m)

    for m in sorted(graph):
        visit(m, [])
    return cycles


def test_the_core_has_no_import_circle():
    assert import_cycles() == []


def test_the_circle_check_finds_a_lazy_circle(tmp_path):
    core = tmp_path / "var" / "core"
    core.mkdir(parents=True)
    (core / "a.py").write_text("from .b import f\n")
    (core / "b.py").write_text("def f():\n    from .a import g\n")
    assert import_cycles(tmp_path / "var") == [["var.core.a", "var.core.b", "var.core.a"]]


def test_every_import_points_down_the_layers():
    upward = upward_imports()
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)


def test_the_core_needs_only_the_core_install():
    """The core's imports are the core dependencies (pyproject.toml); an extra's package only on first use, in
    the two places that name their extra (the registry's library methods, the example photos)."""
    allowed = {"torch", "torchvision", "numpy", "PIL", "var"} | set(sys.stdlib_module_names)
    foreign = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level else []
            foreign += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in allowed]
    libraries = {"captum.py", "grad_cam.py", "zennit.py", "functions.py"}  # var.core.libraries, loaded by prefix
    assert {f.split(":")[0] for f in foreign} <= {"images.py"} | libraries, foreign


def test_the_layer_check_catches_an_upward_import(tmp_path):
    tree = tmp_path / "var"
    for folder, text in {"core": "def f():\n    from ..report import claims\n", "report": "from ..core import x\n",
                         "viz": "import var\n"}.items():
        (tree / folder).mkdir(parents=True)
        (tree / folder / "m.py").write_text(text)
    assert upward_imports(tree) == ["var/core/m.py:2 imports var.report.claims", "var/viz/m.py:1 imports var"]
