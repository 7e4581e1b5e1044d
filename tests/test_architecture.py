"""The layout's promises (ARCHITECTURE.md): imports go one way, and the kernel language is one table.

Parsed from the source, not imported: a lazy import inside a function is an edge like any other.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

import hetero
from hetero import lang
from hetero.lang import table

ROOT = pathlib.Path(hetero.__file__).parent


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: pathlib.Path) -> set[str]:
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                cand = f"{target}.{alias.name}"
                found.add(cand if cand in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _layer(module: str) -> str:
    for prefix, layer in (("hetero.lang", "lang"), ("hetero.compiler", "compiler"), ("hetero.backends", "backends"),
                          ("hetero.ml", "ml"), ("hetero.compat", "compat")):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return module


# What each layer may import (besides itself). The runtime foundation is devices and arrays;
# errors, locks, environment switches and the version are for everyone.
_BASE = {"hetero.errors", "hetero._locks", "hetero._env", "hetero._version"}
_RUNTIME = {"hetero._bootstrap", "hetero._sycl", "hetero._device", "hetero._arrays"}
ALLOWED = {
    "lang": _BASE,
    "compiler": _BASE | {"lang"},
    "backends": _BASE | _RUNTIME | {"lang", "compiler", "hetero._jit"},
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_downward(layer):
    bad = []
    for mod, deps in GRAPH.items():
        if _layer(mod) != layer:
            continue
        for dep in deps:
            if _layer(dep) == layer:
                continue
            if _layer(dep) not in ALLOWED[layer]:
                bad.append(f"{mod} -> {dep}")
    assert bad == []


def test_kernel_front_end_has_no_back_end_code():
    """kernel.py asks select.py which back end runs a launch; it imports no back end itself."""
    deps = GRAPH["hetero.kernel"]
    assert "hetero.backends.select" in deps
    assert not {d for d in deps if d.startswith("hetero.backends.") and d != "hetero.backends.select"}


def test_one_place_chooses_the_back_end():
    chooser = re.compile(r"\bBackendChoice\(")
    places = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if chooser.search(p.read_text()))
    assert places == ["backends/select.py"]


def test_every_table_function_is_public_and_documented():
    for row in table.entries("hetero"):
        obj = lang.obj(row)
        assert getattr(hetero, row.name) is obj, row.name
        assert row.name in hetero.__all__
        assert (obj.__doc__ or "").strip(), f"{row.name} has no docstring"


def test_every_table_method_exists_on_its_class():
    for owner in ("Item", "NdItem", "Group", "AtomicRef"):
        cls = getattr(hetero, owner)
        for row in table.entries(owner):
            assert hasattr(cls, row.name), f"{owner}.{row.name}"
            if not row.is_attribute:
                assert (getattr(cls, row.name).__doc__ or "").strip(), f"{owner}.{row.name} has no docstring"


def test_the_readme_lists_the_language_from_the_table():
    readme = (ROOT.parent / "README.md").read_text()
    assert table.markdown() in readme, "README's kernel-language list is stale: paste hetero.lang.table.markdown()"


def _fills_one(i, a):
    a[i] = 1.0


def test_no_process_wide_patch_of_numba():
    """The SPIR-V target swaps numba's pointer_add only while it compiles (no device needed)."""
    import numpy as np
    from numba.core import cgutils

    from hetero.compiler.targets.spirv import binary

    original = cgutils.pointer_add
    b = binary.compile_binary(_fills_one, "fills_one", (((("array", np.dtype("float32"), 1, "C"),), ("item", 1), 1)))
    assert b.spirv[:4] == b"\x03\x02\x23\x07"  # the SPIR-V magic number, little-endian
    assert cgutils.pointer_add is original


def test_every_exception_lives_in_errors_and_is_exported():
    import inspect as _inspect

    from hetero import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert getattr(hetero, name) is cls and name in hetero.__all__
        assert issubclass(cls, (hetero.HeteroError, hetero.HeteroWarning)), name
    # no exception class is defined anywhere else in hetero, but where the compat layer reproduces
    # another library's exception names (numba-dpex's), each also a hetero error
    from hetero.compat.numba_dpex.core import exceptions as dpex_exceptions

    for name, cls in vars(dpex_exceptions).items():
        if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == dpex_exceptions.__name__:
            assert issubclass(cls, hetero.HeteroError), f"compat exception {name} is not a hetero error"
    for mod_name, path in MODULES.items():
        if mod_name == "hetero.errors" or mod_name == dpex_exceptions.__name__:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):  # private control-flow signals
                bases = {ast.unparse(b) for b in node.bases}
                assert not any(b.endswith(("Error", "Exception", "Warning")) for b in bases), (
                    f"{mod_name}.{node.name} subclasses {bases}: exceptions belong in hetero/errors.py")
    pairs = {
        errors.KernelIndexError: IndexError, errors.KernelAssertionError: AssertionError,
        errors.KernelTimeoutError: TimeoutError, errors.KernelRuntimeError: RuntimeError,
        errors.WorkgroupFeatureError: errors.LaunchError,
    }
    for cls, builtin in pairs.items():
        assert issubclass(cls, hetero.HeteroError) and issubclass(cls, builtin)
    assert _inspect.isclass(errors.HeteroError)
