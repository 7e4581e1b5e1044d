"""The on-disk cache of compiled kernels, one folder for every target.

One file per compiled specialisation, under ``HETERO_CACHE_DIR`` (default:
``$XDG_CACHE_HOME/hetero/kernels`` or ``~/.cache/hetero/kernels``), named
``<kernel>-<key>.<target>`` (``.spirv`` for the SPIR-V target). The key hashes
the target's name, the kernel's code (and that of the device functions and
constants it refers to), the argument types and layouts, the launch shape, the
options and the hetero / numba / llvmlite versions.

File layout: a magic line, one JSON line of metadata (entry name, written
arguments, SHA-256 of the payload), then the binary (SPIR-V). Writes go to a temporary
file renamed into place (atomic); an entry that is truncated, corrupt or
unreadable is treated as missing and recompiled, never trusted.

No numba import here: a warm-cache launch never loads the compiler.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import types as pytypes
from importlib import metadata

from .._env import flag

MAGIC = b"HETERO-KERNEL-1\n"
_versions: str | None = None


def cache_dir() -> str:
    d = os.environ.get("HETERO_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hetero", "kernels")


def enabled() -> bool:
    return not flag("HETERO_DISABLE_CACHE")


def _dist_version(pkg: str) -> str:
    """A package's installed version without importing it (and faster than importlib.metadata)."""
    import glob
    from importlib.util import find_spec

    try:
        spec = find_spec(pkg)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        site = os.path.dirname(os.path.dirname(spec.origin))
        found = sorted(glob.glob(os.path.join(site, f"{pkg}-*.dist-info")))
        if found:
            return os.path.basename(found[-1])[len(pkg) + 1 : -len(".dist-info")]
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "?"


def _compiler_digest() -> str:
    """A hash of hetero's own compiler and language source: an edit to either (a fix to the
    written-arrays analysis, say) makes every cached binary stale, even at the same version."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for sub in ("compiler", "lang"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.endswith(".py"):
                    path = os.path.join(dirpath, fn)
                    h.update(os.path.relpath(path, root).encode())
                    with open(path, "rb") as f:
                        h.update(f.read())
    return h.hexdigest()[:16]


def versions() -> str:
    """hetero (version and compiler source) / numba / llvmlite / Python versions, part of every cache key."""
    global _versions
    if _versions is None:
        from .._version import __version__

        parts = [f"python={sys.version_info[:3]}", f"hetero={__version__}", f"compiler={_compiler_digest()}"]
        parts += [f"{pkg}={_dist_version(pkg)}" for pkg in ("numba", "llvmlite")]
        _versions = ";".join(parts)
    return _versions


# --- what a kernel's code depends on --------------------------------------------------------

_SIMPLE = (bool, int, float, complex, str, bytes, type(None))


def _code_text(code) -> str:
    """The compiler-relevant content of a code object (bytecode, constants, names, lines).

    Cheaper than reading the source (no tokenizer) and exact: any edit that
    changes the kernel, or moves its lines, changes this text.
    """
    consts = tuple(_code_text(c) if isinstance(c, pytypes.CodeType) else repr(c) for c in code.co_consts)
    return repr(
        (
            code.co_name,
            code.co_filename,
            code.co_firstlineno,
            code.co_code,
            consts,
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_argcount,
            getattr(code, "co_linetable", b""),
        )
    )


def fingerprint(func, _seen=None) -> str | None:
    """Text identifying ``func``'s meaning for the compiler, or None when it cannot be pinned down.

    Covers its code, that of device functions it calls, its default arguments, and the
    values of what it loads by name: globals, closure cells and attributes of modules
    (``cfg.SCALE``), by value for numbers, strings and tuples of them.
    """
    seen = set() if _seen is None else _seen
    if id(func) in seen:
        return ""
    seen.add(id(func))
    from .analysis import referenced

    code = func.__code__
    parts = [_code_text(code)]
    if func.__closure__:
        for cell in func.__closure__:
            try:
                cell.cell_contents
            except ValueError:  # an empty cell: cannot be pinned down
                return None
    defaults = (func.__defaults__ or ()) + tuple((func.__kwdefaults__ or {}).items())
    for d in defaults:
        desc = _describe(d, seen)
        if desc is None:
            return None
        parts.append(f"default={desc}")
    for name, val in referenced(func):  # globals, closure cells, and attributes of modules (cfg.SCALE)
        desc = _describe(val, seen)
        if desc is None:
            return None
        parts.append(f"{name}={desc}")
    return "\n".join(parts)


def _describe(val, seen) -> str | None:
    if isinstance(val, _SIMPLE):
        return repr(val)
    if isinstance(val, tuple) and all(isinstance(v, _SIMPLE) for v in val):
        return repr(val)
    if isinstance(val, pytypes.ModuleType):
        return f"module {val.__name__}"
    py_func = getattr(val, "py_func", None)
    if isinstance(py_func, pytypes.FunctionType):  # a device function (or kernel)
        inner = fingerprint(py_func, seen)
        return None if inner is None else f"device function\n{inner}"
    mod = getattr(val, "__module__", None)
    if mod in ("math", "numpy", "builtins") or _in_language(val):
        return f"{mod}.{getattr(val, '__qualname__', getattr(val, '__name__', repr(val)))}"
    if mod is not None and getattr(val, "__qualname__", None) and mod.split(".")[0] in ("numpy", "math"):
        return f"{mod}.{val.__qualname__}"
    if isinstance(val, type) and mod and mod.startswith("numpy"):
        return f"{mod}.{val.__qualname__}"
    return None


def _in_language(val) -> bool:
    """Whether ``val`` is one of hetero's in-kernel objects (functions, classes, enums)."""
    from .. import lang

    return any(val is getattr(lang, name) for name in lang.__all__)


def key(func, parts: tuple, *, target: str) -> str | None:
    """The cache key of ``func`` compiled for ``target`` with ``parts`` (types, shape, options),
    or None when what the code depends on cannot be pinned down (then nothing is cached)."""
    fp = fingerprint(func)
    if fp is None:
        return None
    h = hashlib.sha256()
    h.update(target.encode())
    h.update(b"\0")
    h.update(versions().encode())
    h.update(b"\0")
    h.update(fp.encode())
    h.update(b"\0")
    h.update(repr(parts).encode())
    return h.hexdigest()[:32]


def _path(name: str, k: str, target: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)[:60]
    return os.path.join(cache_dir(), f"{safe}-{k}.{target}")


def load(name: str, k: str, *, target: str):
    """(binary, metadata dict) for key ``k``, or None when absent or not trustworthy."""
    path = _path(name, k, target)
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    try:
        if not blob.startswith(MAGIC):
            return None
        nl = blob.index(b"\n", len(MAGIC))
        meta = json.loads(blob[len(MAGIC) : nl].decode())
        payload = blob[nl + 1 :]
        if len(payload) != meta["size"] or hashlib.sha256(payload).hexdigest() != meta["sha256"]:
            return None
        if meta.get("key") != k:
            return None
        return payload, meta
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def store(name: str, k: str, binary: bytes, meta: dict, *, target: str) -> None:
    """Write an entry atomically; a cache that cannot be written is silently skipped."""
    meta = dict(meta, key=k, target=target, size=len(binary), sha256=hashlib.sha256(binary).hexdigest())
    d = cache_dir()
    try:
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f".{target}", dir=d)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC)
                f.write(json.dumps(meta, sort_keys=True).encode())
                f.write(b"\n")
                f.write(binary)
            os.replace(tmp, _path(name, k, target))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass
