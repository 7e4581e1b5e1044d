"""``@hetero.kernel``: the ``Kernel`` object users hold, and the launch syntax.

``k[range](*args)`` and ``k.submit(range, *args)`` ask :mod:`hetero.backends.select`
which back end runs the launch (from the data, the default device and
``HETERO_KERNEL_BACKEND``), record the answer as ``k.last_backend``, and hand the
launch to that back end. Nothing here knows how a back end works; what a kernel
has compiled is listed by :meth:`Kernel.specialisations` and shown by
``inspect_types()`` / ``inspect_llvm()`` / ``inspect_spirv()``.
"""

from __future__ import annotations

import functools
import inspect

from ._locks import INIT_LOCK
from .backends import select
from .errors import KernelCompileError, LaunchError
from .lang import parse_range
from .lang.device_function import DeviceFunction, device_function

__all__ = ["Kernel", "kernel", "device_function", "DeviceFunction", "Specialisation"]

_KERNEL_OPTIONS = {"fastmath"}
_choose = select.choose
_get_backend = select.get


class Specialisation:
    """One compiled form of a kernel, as :meth:`Kernel.specialisations` lists it.

    Attributes
    ----------
    target : ``"spirv"`` (SYCL devices) or ``"cpu"`` (the host back end)
    signature : the argument types, e.g. ``item(float32[1d,C], float32[1d,C])``
    ndim : dimensions of the launch range
    ndrange : whether it is for an NdRange launch
    boundscheck : compiled with bounds checks (``HETERO_BOUNDSCHECK=1``)
    source : ``"compiled"`` or ``"disk cache"``
    written : indices of the arguments the kernel may write (SPIR-V only; else None)
    atomics : element types of its atomics (SPIR-V only)
    binary : the target's object (the SPIR-V ``Binary``, or the host build)
    """

    __slots__ = ("target", "signature", "ndim", "ndrange", "boundscheck", "source", "written", "atomics", "binary")

    def __init__(self, target, signature, ndim, ndrange, boundscheck, source, written, atomics, binary):
        self.target = target
        self.signature = signature
        self.ndim = ndim
        self.ndrange = ndrange
        self.boundscheck = boundscheck
        self.source = source
        self.written = written
        self.atomics = atomics
        self.binary = binary

    def __repr__(self):
        return f"<{self.target} {self.signature} on a {self.ndim}-D {'NdRange' if self.ndrange else 'range'}>"


class _Launcher:
    __slots__ = ("_kernel", "_range")

    def __init__(self, kernel, rng):
        self._kernel = kernel
        self._range = rng

    def __call__(self, *args):
        return self._kernel._launch(self._range, args, ())


class _InterpretView:
    """``k.interpret``: ``k.interpret[range](*args)`` runs the launch through the interpreter back end."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel):
        self._kernel = kernel

    def __getitem__(self, key):
        rng = parse_range(key)
        kernel = self._kernel

        def run(*args):
            kernel._launch(rng, args, (), forced="interpret")

        return run

    def __repr__(self):
        return f"<interpreter view of {self._kernel!r}>"


class Kernel:
    """A compiled-on-demand data-parallel kernel; create it with ``@hetero.kernel``.

    Launch with ``k[range](*args)`` (returns without waiting for device arrays;
    after the results are back for NumPy arguments) or ``k.submit(range, *args)``
    (returns an :class:`~hetero.Event`).
    """

    def __init__(self, py_func, *, fastmath: bool = False):
        if not inspect.isfunction(py_func):
            raise TypeError(f"@hetero.kernel decorates a Python function, got {py_func!r}")
        params = inspect.signature(py_func).parameters.values()
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
            raise KernelCompileError(
                f"kernel {py_func.__name__!r} ({py_func.__code__.co_filename}:{py_func.__code__.co_firstlineno}) "
                "must take only positional parameters (no *args, **kwargs or keyword-only parameters)"
            )
        self.py_func = py_func
        self.fastmath = bool(fastmath)
        self._binaries: dict = {}  # SPIR-V specialisations (hetero.compiler.targets.spirv.binary)
        self._plans: dict = {}  # the SYCL back end's loaded programs per (signature, shape, queue)
        self._checked: set = set()  # launches the host / interpreter back ends had checked (backends/language.py)
        self._launchers: dict = {}
        self._lock = INIT_LOCK  # compiles import numba: one lock for all one-time work (see _locks)
        #: The back end of the latest launch (a BackendChoice: ``backend``, ``device``, ``reason``).
        self.last_backend = None
        functools.update_wrapper(self, py_func)

    def __repr__(self):
        return f"<hetero.kernel {self.py_func.__qualname__}>"

    def __call__(self, *args, **kwargs):
        raise LaunchError(
            f"kernel {self.__name__!r} needs a launch range: write {self.__name__}[n](...), "
            f"{self.__name__}[(n, m)](...), {self.__name__}[global, local](...) or "
            f"{self.__name__}.submit(hetero.Range(n), ...)"
        )

    # --- launching ---------------------------------------------------------------------------

    def __getitem__(self, key):
        # Typed cache key: k[True] must not find the launcher of k[1].
        ck = (key, tuple(map(type, key))) if type(key) is tuple else (key, type(key))
        try:
            launcher = self._launchers.get(ck)
        except TypeError:  # unhashable key (a list)
            return _Launcher(self, parse_range(key))
        if launcher is None:
            launcher = _Launcher(self, parse_range(key))
            if len(self._launchers) < 256:
                self._launchers[ck] = launcher
        return launcher

    def submit(self, range, *args, depends_on=()):
        """Launch asynchronously over ``range`` (anything ``k[...]`` takes).

        Returns
        -------
        Event
            Completes when the kernel has run. With NumPy arguments the launch
            is synchronous (the results are copied back) and the event is complete.
        """
        return self._launch(parse_range(range), args, tuple(depends_on))

    @property
    def interpret(self):
        """``k.interpret[range](*args)``: run this launch through the interpreter back end (plain
        Python, work-item by work-item: ``print``, ``breakpoint()`` and pdb work inside)."""
        return _InterpretView(self)

    def _launch(self, rng, args, depends_on, forced=None):
        choice = _choose(self.py_func, args, forced=forced)
        self.last_backend = choice
        choice.log(self.__name__)
        return _get_backend(choice.backend).launch(self, rng, args, depends_on, choice)

    def compile(self, range, *args, target: str | None = None, boundscheck: bool = False):
        """Compile (or fetch from the caches) what ``self[range](*args)`` would run, without running it.

        Parameters
        ----------
        range, *args
            As for a launch (arrays may be examples of the right dtype, dimensions and layout).
        target : {None, "spirv"}
            None: for the back end that launch would use. ``"spirv"``: the SPIR-V for the arguments'
            types as they are, without any device (for compile-only checks; fp64 assumed).
        boundscheck : bool
            With ``target="spirv"``: compile with bounds checks (what ``HETERO_BOUNDSCHECK=1`` runs).

        Returns
        -------
        The back end's specialisation: for SPIR-V a ``Binary`` (``entry``, ``written``,
        ``atomics``, ``spirv``), for the host its build, None for the interpreter (it compiles
        nothing). It is listed by :meth:`specialisations` from then on.
        """
        rng = parse_range(range)
        if target == "spirv":
            from .compiler.targets.spirv import binary
            from .lang.items import kernel_style

            style = kernel_style(self.py_func, len(args), self.__name__)
            key = binary.spec_key(binary.signature_of(args), style, rng)
            with self._lock:
                return binary.get(self.py_func, self.__name__, self._binaries, key, fastmath=self.fastmath,
                                  boundscheck=boundscheck, small_ids=rng._small)
        if target is not None:
            raise ValueError(f"Kernel.compile: target must be None or 'spirv', got {target!r}")
        choice = _choose(self.py_func, args)
        return _get_backend(choice.backend).prepare(self, rng, args, choice)

    # --- inspection ----------------------------------------------------------------------------

    def specialisations(self) -> list:
        """Every specialisation compiled so far, on every back end (a list of :class:`Specialisation`)."""
        from .compiler.targets.cpu.build import builds
        from .compiler.targets.spirv.binary import signature_text

        out = []
        for key, b in list(self._binaries.items()):
            sig, item, ndim = key[:3]
            style = "item" if item else "opencl"
            out.append(Specialisation("spirv", signature_text(sig, style), ndim, bool(item and item[0] == "nditem"),
                                      key[3:4] == (True,), b.source, b.written, b.atomics, b))
        for (style, nd, ndim, nargs, fastmath, bc, *_), info in builds(self.py_func).items():
            sigs = info.launcher.signatures or [()]
            for s in sigs:
                text = f"{style}({', '.join(str(t) for t in s[3:3 + nargs])})"
                out.append(Specialisation("cpu", text, ndim, nd, bc, "compiled", None, None, info))
        return out

    def _inspect(self, attr):
        from .compiler.targets.spirv.binary import signature_text, with_intermediates

        out = {}
        for mkey in list(self._binaries):
            sig, item, ndim = mkey[:3]
            style = "item" if item else "opencl"
            label = signature_text(sig, style) + f" on a {ndim}-D {'NdRange' if item and item[0] == 'nditem' else 'range'}"
            if mkey[3:4] == (True,):
                label += " with bounds checks"
            if mkey[4:5] == (False,):
                label += " (2**31 work-items or more)"
            if attr == "spirv":
                out[label] = self._binaries[mkey].spirv
            else:
                with self._lock:
                    b = with_intermediates(self.py_func, self.__name__, self._binaries, mkey, self.fastmath)
                out[label] = getattr(b, attr)
        return out

    def inspect_types(self) -> dict:
        """numba's typed IR of each compiled SPIR-V specialisation, keyed by signature."""
        return self._inspect("typed_ir")

    def inspect_llvm(self) -> dict:
        """The optimised LLVM IR (SPIR-V flavoured) of each specialisation, keyed by signature."""
        return self._inspect("llvm_ir")

    def inspect_spirv(self) -> dict:
        """The SPIR-V binary (bytes) of each specialisation, keyed by signature."""
        return self._inspect("spirv")

    def cache_info(self) -> dict:
        """Where each SPIR-V specialisation came from: ``"compiled"`` or ``"disk cache"``."""
        from .compiler.targets.spirv.binary import signature_text

        return {(signature_text(k[0], "item" if k[1] else "opencl"), k[2]): c.source for k, c in self._binaries.items()}


def _check_options(options: dict) -> None:
    unknown = sorted(set(options) - _KERNEL_OPTIONS)
    if unknown:
        raise TypeError(
            f"@hetero.kernel got unknown option(s) {', '.join(unknown)}; accepted: {', '.join(sorted(_KERNEL_OPTIONS))}"
        )


def kernel(func=None, /, **options):
    """Compile a Python function into a data-parallel kernel.

    Two styles, both first class:

    * OpenCL style: the kernel's parameters are its launch arguments and it asks
      for its position with :func:`get_global_id` and friends.
    * Item style: the kernel has one parameter more than its launch arguments
      and receives the work-item first — an :class:`Item` for a :class:`Range`
      launch, an :class:`NdItem` for an :class:`NdRange` launch — which can index
      arrays directly.

    Parameters
    ----------
    func : function
        The kernel. It must return nothing.
    fastmath : bool, optional
        Allow LLVM's fast-math rewrites (default False).

    Returns
    -------
    Kernel
        Launch with ``k[n](*args)``, ``k[(n, m)](...)``, ``k[global, local](...)``,
        ``k[Range(...)]``, ``k[NdRange(g, l)]``, or ``k.submit(range, *args)``.

    Examples
    --------
    >>> @hetero.kernel
    ... def add(i, a, b, c):
    ...     c[i] = a[i] + b[i]
    >>> add[a.shape[0]](a, b, c)
    """
    _check_options(options)
    if func is None:
        return lambda f: Kernel(f, **options)
    return Kernel(func, **options)


kernel.__module__ = "hetero"
