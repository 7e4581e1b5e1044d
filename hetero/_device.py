"""Devices, device selection and the default device.

A :class:`Device` is either a SYCL device (wrapping a ``dpctl.SyclDevice``) or
the host. :func:`select_device` turns what a user writes (a filter string, a
comma-separated fall-back list, a Device, a SyclDevice) into a Device, and the
default device is, in order: the innermost ``with hetero.device(...)`` scope,
``HETERO_DEVICE``, the best SYCL device, the host.
"""

from __future__ import annotations

import contextvars
import numbers
import os
import sys
from typing import Any, Callable, Iterable, Union

from . import _bootstrap, _sycl
from .errors import ConfigurationError, DeviceNotFoundError

__all__ = ["Device", "host", "devices", "select_device", "default_device", "device"]

_KIND_RANK = {"gpu": 3, "accelerator": 2, "cpu": 1, "host": 0}
_BACKENDS = ("opencl", "level_zero", "cuda", "hip", "native_cpu")
_TYPES = ("cpu", "gpu", "accelerator")
_TYPE_ALIASES = {"acc": "accelerator", "fpga": "accelerator"}
# Aspects the host has, for select_device(aspects=...).
_HOST_ASPECTS = frozenset({"cpu", "host", "fp64", "fp16", "atomic64"})


class Device:
    """A place where data lives and computation runs: a SYCL device or the host.

    Obtain devices from :func:`devices`, :func:`select_device` or
    :data:`hetero.host`; do not construct them directly.

    Attributes
    ----------
    name : str
        The device's name as reported by its driver ("host" for the host).
    kind : {"gpu", "cpu", "accelerator", "host"}
    backend : str
        "level_zero", "opencl", "cuda", ... or "host".
    filter_string : str
        A string that :func:`select_device` maps back to this device
        (``"opencl:cpu:0"``, ``"host"``).
    """

    __slots__ = ("_sycl_device", "_filter_string", "__weakref__")

    def __init__(self, sycl_device: Any = None, *, _filter_string: str | None = None):
        self._sycl_device = sycl_device
        if sycl_device is None:
            self._filter_string = "host"
        else:
            self._filter_string = _filter_string or sycl_device.filter_string

    # --- identity -----------------------------------------------------------------
    @property
    def is_host(self) -> bool:
        return self._sycl_device is None

    @property
    def filter_string(self) -> str:
        return self._filter_string

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Device):
            return self._filter_string == other._filter_string
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("hetero.Device", self._filter_string))

    def __repr__(self) -> str:
        return f"Device({self._filter_string!r})"

    def __str__(self) -> str:
        if self.is_host:
            return "host"
        return f"{self._filter_string} ({self.name})"

    def __reduce__(self):
        return (select_device, (self._filter_string,))

    # --- properties ---------------------------------------------------------------
    @property
    def name(self) -> str:
        if self.is_host:
            return "host"
        return self._sycl_device.name.strip()

    @property
    def kind(self) -> str:
        d = self._sycl_device
        if d is None:
            return "host"
        if d.is_gpu:
            return "gpu"
        if d.is_cpu:
            return "cpu"
        if d.is_accelerator:
            return "accelerator"
        return d.device_type.name

    @property
    def sycl_backend(self) -> str:
        """The SYCL runtime's plug-in for the device (``opencl``, ``level_zero``, ``cuda``), or
        ``host``. Not to be confused with a kernel back end (``k.last_backend``)."""
        if self.is_host:
            return "host"
        return self._sycl_device.backend.name

    @property
    def global_mem_size(self) -> int:
        """Bytes of global memory (physical RAM for the host)."""
        if self.is_host:
            try:
                return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            except (ValueError, OSError, AttributeError):
                return 0
        return int(self._sycl_device.global_mem_size)

    @property
    def max_compute_units(self) -> int:
        if self.is_host:
            return os.cpu_count() or 1
        return int(self._sycl_device.max_compute_units)

    @property
    def has_fp64(self) -> bool:
        if self.is_host:
            return True
        return bool(self._sycl_device.has_aspect_fp64)

    def has_aspect(self, aspect: str) -> bool:
        """Whether the device has a SYCL aspect such as ``"fp64"`` or ``"atomic64"``."""
        if self.is_host:
            return aspect in _HOST_ASPECTS
        attr = f"has_aspect_{aspect}"
        if not hasattr(self._sycl_device, attr):
            known = sorted(a[len("has_aspect_"):] for a in dir(self._sycl_device) if a.startswith("has_aspect_"))
            raise ConfigurationError(f"unknown device aspect {aspect!r}; known aspects: {', '.join(known)}")
        return bool(getattr(self._sycl_device, attr))

    @property
    def sycl_device(self):
        """The ``dpctl.SyclDevice`` (None for the host)."""
        return self._sycl_device

    @property
    def sycl_queue(self):
        """The cached ``dpctl.SyclQueue`` of this device (None for the host).

        This is dpctl's own per-(context, device) cached queue, the one dpnp uses
        for ``device=...`` arguments, so arrays hetero creates and arrays dpnp
        creates for the same device share a queue and can be mixed.
        """
        if self.is_host:
            return None
        return _sycl.dpctl().get_device_cached_queue(self._sycl_device)

    def info(self) -> str:
        """A readable multi-line description of the device."""
        lines = [
            f"{self.filter_string}",
            f"  name:          {self.name}",
            f"  kind:          {self.kind}",
            f"  SYCL backend:  {self.sycl_backend}",
            f"  memory:        {_fmt_bytes(self.global_mem_size)}",
            f"  compute units: {self.max_compute_units}",
            f"  fp64:          {'yes' if self.has_fp64 else 'no'}",
        ]
        d = self._sycl_device
        if d is not None:
            lines += [
                f"  vendor:        {d.vendor}",
                f"  driver:        {d.driver_version}",
                f"  max work-group size: {d.max_work_group_size}",
                f"  local memory:  {_fmt_bytes(d.local_mem_size)}",
            ]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "filter_string": self.filter_string,
            "name": self.name,
            "kind": self.kind,
            "sycl_backend": self.sycl_backend,
            "global_mem_size": self.global_mem_size,
            "max_compute_units": self.max_compute_units,
            "has_fp64": self.has_fp64,
        }


DeviceLike = Union[Device, str, Any, None]

host = Device(None)
"""The host: NumPy arrays in ordinary memory, computed on the CPU."""


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


# --- enumeration -------------------------------------------------------------------

from ._locks import INIT_LOCK as _enum_lock  # noqa: E402
_sycl_devices_cache: list[Device] | None = None


def _sycl_devices() -> list[Device]:
    global _sycl_devices_cache
    with _enum_lock:
        if _sycl_devices_cache is None:
            dpctl = _sycl.dpctl()
            found: list[Device] = []
            if dpctl is not None:
                try:
                    found = [Device(d) for d in dpctl.get_devices()]
                except Exception:  # a broken runtime must not break hetero's host path
                    found = []
            if not any(d.sycl_backend == "opencl" and d.kind == "cpu" for d in found):
                _warn_if_driver_missed()
            _sycl_devices_cache = found
        return list(_sycl_devices_cache)


def _warn_if_driver_missed() -> None:
    """The OpenCL CPU driver is here but did not show up: explain why."""
    if not _bootstrap.icd_set_by_hetero or _sycl.dpctl() is None:
        return
    if os.environ.get("ONEAPI_DEVICE_SELECTOR"):
        return  # the user filtered devices on purpose
    import warnings

    from .errors import HeteroWarning

    warnings.warn(
        "The Intel OpenCL CPU driver is installed but the SYCL runtime did not find it: the runtime "
        "was probably initialised (by dpctl or dpnp) before hetero pointed it at the driver. Import "
        f"hetero before dpctl/dpnp, or set OCL_ICD_FILENAMES={os.environ.get('OCL_ICD_FILENAMES')} "
        "before starting Python.",
        HeteroWarning,
        stacklevel=4,
    )


def devices() -> list[Device]:
    """Every usable device: SYCL devices first (in runtime order), then the host."""
    return _sycl_devices() + [host]


def _available_text() -> str:
    lines = [f"  {d.filter_string:<22} {d.kind:<11} {d.name}" for d in devices()]
    text = "available devices:\n" + "\n".join(lines)
    if _sycl.dpctl() is None:
        text += "\n  (no SYCL devices: dpctl is not installed or failed to import)"
    return text


# --- scoring and selection -----------------------------------------------------------


def _default_score(d: Device) -> tuple:
    return (_KIND_RANK.get(d.kind, 0), d.max_compute_units)


def _parse_term(term: str) -> tuple[str | None, str | None, int | None]:
    """Parse ``[backend][:type][:index]``; raise ValueError when malformed."""
    parts = [p.strip().lower() for p in term.split(":")]
    if any(p == "" for p in parts) or len(parts) > 3:
        raise ValueError(term)
    backend = kind = None
    index = None
    i = 0
    if i < len(parts) and (parts[i] in _BACKENDS or parts[i] == "*"):
        backend = None if parts[i] == "*" else parts[i]
        i += 1
    if i < len(parts):
        p = _TYPE_ALIASES.get(parts[i], parts[i])
        if p in _TYPES or p == "*":
            kind = None if p == "*" else p
            i += 1
    if i < len(parts) and parts[i].isdigit():
        index = int(parts[i])
        i += 1
    if i != len(parts):
        raise ValueError(term)
    return backend, kind, index


def _match_term(term: str, sycl_devs: list[Device]) -> list[Device]:
    if term.lower() == "host":
        return [host]
    try:
        backend, kind, index = _parse_term(term)
    except ValueError:
        raise DeviceNotFoundError(
            f"{term!r} is not a device specification. Use 'host', or a SYCL filter string "
            f"'[backend][:type][:index]' such as 'gpu', 'gpu:1', 'opencl:cpu:0', 'level_zero:gpu', "
            f"or a comma-separated fall-back list such as 'gpu,cpu,host'.\n{_available_text()}"
        ) from None
    matches = [
        d for d in sycl_devs if (backend is None or d.sycl_backend == backend) and (kind is None or d.kind == kind)
    ]
    if index is not None:
        matches = matches[index : index + 1]
    return matches


def _wrap_sycl_device(sd: Any) -> Device:
    for d in _sycl_devices():
        if d.sycl_device == sd:
            return d
    return Device(sd)


def _is_sycl_device(obj: Any) -> bool:
    dpctl = sys.modules.get("dpctl")  # no dpctl loaded: obj cannot be one of its devices
    return dpctl is not None and isinstance(obj, getattr(dpctl, "SyclDevice", ()))


def select_device(
    spec: DeviceLike = None,
    *,
    score: Callable[[Device], Any] | None = None,
    aspects: Iterable[str] = (),
    min_memory: int | None = None,
) -> Device:
    """Choose a device.

    Parameters
    ----------
    spec : str, Device, dpctl.SyclDevice, dpctl.SyclQueue or None
        ``"host"``, a SYCL filter string ``[backend][:type][:index]`` (``"gpu"``,
        ``"gpu:1"``, ``"opencl:cpu:0"``, ``"level_zero:gpu"``), or a comma-separated
        list of those tried in order (``"gpu,cpu,host"``). ``None`` considers
        every device when constraints or a score are given, else returns
        :func:`default_device`.
    score : callable, optional
        ``score(device)`` ranks the candidates of a term; the highest wins and a
        score of None (or a negative number) rejects the device. The default
        prefers GPUs, then accelerators, then CPUs, then more compute units.
    aspects : iterable of str
        Aspects every candidate must have, such as ``"fp64"``.
    min_memory : int, optional
        Minimum global memory in bytes.

    Returns
    -------
    Device

    Raises
    ------
    DeviceNotFoundError
        When nothing matches; the message lists the available devices.
    """
    aspects = (aspects,) if isinstance(aspects, str) else tuple(aspects)
    constrained = bool(aspects) or min_memory is not None or score is not None
    if isinstance(spec, Device):
        candidates_by_term = [("device", [spec])]
    elif _is_sycl_device(spec):
        candidates_by_term = [(spec.filter_string, [_wrap_sycl_device(spec)])]
    elif spec is not None and hasattr(spec, "sycl_device") and _is_sycl_device(getattr(spec, "sycl_device")):
        candidates_by_term = [(str(spec), [_wrap_sycl_device(spec.sycl_device)])]  # a SyclQueue
    elif spec is None:
        if not constrained:
            return default_device()
        candidates_by_term = [("any device", devices())]
    elif isinstance(spec, str):
        terms = [t.strip() for t in spec.split(",")]
        if not spec.strip() or any(not t for t in terms):
            raise DeviceNotFoundError(
                f"{spec!r} is not a device specification: empty term. Example: 'gpu,cpu,host'.\n"
                f"{_available_text()}"
            )
        # "host" alone needs no SYCL runtime: enumerate devices only when a term names one
        sycl_devs = [] if all(t.lower() == "host" for t in terms) else _sycl_devices()
        candidates_by_term = [(t, _match_term(t, sycl_devs)) for t in terms]
    else:
        raise DeviceNotFoundError(
            f"cannot select a device from {type(spec).__name__} {spec!r}; pass a filter string such as "
            f"'gpu' or 'host', a hetero.Device or a dpctl.SyclDevice.\n{_available_text()}"
        )

    rejected: list[str] = []
    for term, candidates in candidates_by_term:
        ok = []
        for d in candidates:
            why = _constraint_failure(d, aspects, min_memory)
            if why:
                rejected.append(f"{d.filter_string}: {why}")
                continue
            s = score(d) if score is not None else _default_score(d)
            if s is None or (isinstance(s, numbers.Real) and s < 0):
                rejected.append(f"{d.filter_string}: rejected by score")
                continue
            ok.append((s, d))
        if ok:
            best = ok[0]
            for cand in ok[1:]:
                if cand[0] > best[0]:
                    best = cand
            return best[1]

    what = spec if isinstance(spec, str) else repr(spec)
    msg = f"no device matches {what!r}"
    if aspects or min_memory is not None:
        msg += f" with aspects={list(aspects)} min_memory={min_memory}"
    if rejected:
        msg += " (" + "; ".join(rejected) + ")"
    raise DeviceNotFoundError(f"{msg}.\n{_available_text()}")


def _constraint_failure(d: Device, aspects: tuple, min_memory: int | None) -> str | None:
    for a in aspects:
        if not d.has_aspect(a):
            return f"lacks aspect {a!r}"
    if min_memory is not None and d.global_mem_size < min_memory:
        return f"has {_fmt_bytes(d.global_mem_size)} < {_fmt_bytes(min_memory)}"
    return None


# --- the default device ----------------------------------------------------------------

_scope: contextvars.ContextVar[Device | None] = contextvars.ContextVar("hetero_device_scope", default=None)
_scope_tokens: contextvars.ContextVar[tuple] = contextvars.ContextVar("hetero_device_scope_tokens", default=())


def _env_device() -> Device | None:
    value = os.environ.get("HETERO_DEVICE")
    if value is None or not value.strip():
        return None
    try:
        return select_device(value)
    except DeviceNotFoundError as exc:
        raise DeviceNotFoundError(
            f"HETERO_DEVICE={value!r} does not name an available device: {exc}\n"
            "Set HETERO_DEVICE to one of the filter strings above (or a fall-back list such as "
            "'gpu,cpu,host'), or unset it to let hetero choose."
        ) from None


def default_device_reason() -> tuple[Device, str]:
    """The default device and a short reason why it was chosen."""
    scoped = _scope.get()
    if scoped is not None:
        return scoped, "innermost `with hetero.device(...)` scope"
    env = _env_device()
    if env is not None:
        return env, f"HETERO_DEVICE={os.environ['HETERO_DEVICE']}"
    sycl_devs = _sycl_devices()
    if sycl_devs:
        best = max(sycl_devs, key=_default_score)  # max keeps the first of equals
        label = {"gpu": "GPU", "accelerator": "accelerator", "cpu": "CPU"}.get(best.kind, best.kind)
        return best, f"best available SYCL device ({label}: GPUs, then accelerators, then CPUs)"
    why = "no SYCL device found" if _sycl.dpctl() is not None else "SYCL runtime (dpctl) not installed"
    return host, f"host ({why})"


def default_device() -> Device:
    """The device used when the data does not decide.

    In order: the innermost ``with hetero.device(...)`` scope of the current
    thread or task; ``HETERO_DEVICE``; the best SYCL device (GPU, then
    accelerator, then CPU, then more compute units); the host.
    """
    return default_device_reason()[0]


class device:
    """Scope in which ``spec`` is the default device.

    ``with hetero.device("opencl:cpu"): ...`` — nested scopes restore the outer
    default on exit. The scope is held in a :class:`contextvars.ContextVar`, so
    other threads and asyncio tasks do not see it. The spec is resolved when the
    scope is created, so a bad spec raises there.
    """

    __slots__ = ("device",)

    def __init__(self, spec: DeviceLike):
        self.device = select_device(spec)

    def __enter__(self) -> Device:
        # The reset tokens live in the context too, so one scope object can be entered by
        # several threads or tasks at once.
        _scope_tokens.set(_scope_tokens.get() + (_scope.set(self.device),))
        return self.device

    def __exit__(self, *exc) -> None:
        tokens = _scope_tokens.get()
        _scope_tokens.set(tokens[:-1])
        _scope.reset(tokens[-1])

    def __repr__(self) -> str:
        return f"hetero.device({self.device.filter_string!r})"
