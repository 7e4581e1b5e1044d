"""Compute follows data: putting arrays on devices and finding where they live.

Device arrays are dpnp arrays (no wrapper class of hetero's own); host arrays
are NumPy arrays. "Is this a device array?" is answered from ``sys.modules``
so that checking a NumPy array never imports dpnp.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _sycl
from ._device import Device, DeviceLike, default_device, host, select_device
from .errors import PlacementError, UnsupportedDtypeError

__all__ = [
    "asarray",
    "to_device",
    "asnumpy",
    "device_of",
    "namespace",
    "execution_device",
    "empty",
    "zeros",
    "ones",
    "full",
    "arange",
    "empty_like",
    "zeros_like",
    "ones_like",
    "full_like",
]

_SCALARS = (bool, int, float, complex, np.generic)
_DLPACK_CPU = 1
_DLPACK_ONEAPI = 14


# --- recognising arrays without importing dpnp -------------------------------------------


_device_types_cache: tuple = ()


def _device_array_types() -> tuple[type, ...]:
    """(dpnp.ndarray, dpnp.tensor.usm_ndarray), or those of them imported so far (from sys.modules)."""
    global _device_types_cache
    if len(_device_types_cache) == 2:
        return _device_types_cache
    types: list[type] = []
    dpnp = sys.modules.get("dpnp")
    if dpnp is not None and hasattr(dpnp, "ndarray"):
        types.append(dpnp.ndarray)
    tensor = sys.modules.get("dpnp.tensor")
    if tensor is not None and hasattr(tensor, "usm_ndarray"):
        types.append(tensor.usm_ndarray)
    _device_types_cache = tuple(types)
    return _device_types_cache


def is_device_array(x: Any) -> bool:
    """True for a dpnp array or a ``dpnp.tensor.usm_ndarray`` (never imports dpnp)."""
    types = _device_array_types()
    return bool(types) and isinstance(x, types)


def _is_scalar(x: Any) -> bool:
    return isinstance(x, _SCALARS) and not isinstance(x, np.ndarray)


def _queue_of(x: Any):
    return x.sycl_queue


def _device_of_queue(q) -> Device:
    return select_device(q.sycl_device)


def device_of(x: Any) -> Device:
    """The device that holds ``x``: a dpnp array's SYCL device, else :data:`hetero.host`.

    NumPy arrays, NumPy scalars and Python scalars and sequences are host data.
    """
    if is_device_array(x):
        return _device_of_queue(_queue_of(x))
    if _dlpack_device_type(x) == _DLPACK_ONEAPI:
        return device_of(_ingest(x, None))
    return host


def _describe(x: Any) -> str:
    if is_device_array(x):
        return f"{type(x).__module__.split('.')[0]} array on {device_of(x).filter_string}"
    return f"{type(x).__name__} on host"


def _placement(xs: tuple) -> tuple[str, Any]:
    """('host', None), ('device', queue) or ('none', None) for only-scalar input.

    Raises PlacementError for host arrays mixed with device arrays, or device
    arrays on different queues.
    """
    host_idx: int | None = None
    dev_idx: int | None = None
    queue = None
    for i, x in enumerate(xs):
        if x is None or _is_scalar(x):
            continue
        if is_device_array(x):
            q = _queue_of(x)
            if queue is None:
                queue, dev_idx = q, i
            elif q != queue:
                a, b = xs[dev_idx], x
                da, db = device_of(a), device_of(b)
                where = (
                    f"{da.filter_string} and {db.filter_string}"
                    if da != db
                    else f"two different queues of {da.filter_string}"
                )
                raise PlacementError(
                    f"arguments {dev_idx} and {i} live on different devices ({where}): "
                    f"argument {dev_idx} is a {_describe(a)}, argument {i} is a {_describe(b)}. "
                    f"hetero never copies implicitly; move one explicitly onto the other's queue, e.g. "
                    f"`y = hetero.to_device(y, x.sycl_queue)`."
                )
        elif isinstance(x, np.ndarray):
            host_idx = i if host_idx is None else host_idx
        else:
            raise TypeError(
                f"argument {i} is a {type(x).__name__}, not an array; convert it with hetero.asarray(...) first"
            )
    if queue is not None and host_idx is not None:
        dx = device_of(xs[dev_idx])
        raise PlacementError(
            f"argument {host_idx} is a NumPy array on the host but argument {dev_idx} is a "
            f"{_describe(xs[dev_idx])}; hetero does not copy between host and {dx.filter_string} "
            f"implicitly. Move the NumPy array with `hetero.to_device(a, x.sycl_queue)`, or the "
            f"device array to the host with `hetero.asnumpy(x)`."
        )
    if queue is not None:
        return "device", queue
    if host_idx is not None:
        return "host", None
    return "none", None


def namespace(*arrays: Any):
    """The array namespace that owns ``arrays``: ``dpnp`` for device arrays, ``numpy`` for host ones.

    Python and NumPy scalars are neutral. Raises :class:`PlacementError` for
    arrays on different devices (or queues), or NumPy arrays mixed with device
    arrays.
    """
    kind, _ = _placement(arrays)
    if kind == "device":
        return sys.modules["dpnp"]
    return np


def execution_device(*arrays: Any) -> Device:
    """The device where computation on ``arrays`` must run (same rule as :func:`namespace`).

    With only scalars (or nothing), that is :func:`hetero.default_device`.
    """
    kind, queue = _placement(arrays)
    if kind == "device":
        return _device_of_queue(queue)
    if kind == "host":
        return host
    return default_device()


def execution_queue(*arrays: Any):
    """The SYCL queue shared by the device arrays in ``arrays`` (None for host data)."""
    kind, queue = _placement(arrays)
    return queue


# --- moving data ---------------------------------------------------------------------------


def _is_queue(obj: Any) -> bool:
    if obj is None or isinstance(obj, (str, Device)):
        return False
    dpctl = sys.modules.get("dpctl")  # no dpctl loaded: obj cannot be one of its queues
    return dpctl is not None and isinstance(obj, getattr(dpctl, "SyclQueue", ()))


def _resolve_target(device: Any) -> tuple[Device, Any]:
    """(Device, queue or None) for anything select_device takes, or a SyclQueue."""
    if device is None:
        d = default_device()
        return d, d.sycl_queue
    if _is_queue(device):
        return select_device(device.sycl_device), device
    d = select_device(device)
    return d, d.sycl_queue


def _check_dtype(dtype: Any, dev: Device) -> None:
    if dtype is None or dev.is_host:
        return
    dt = np.dtype(dtype)
    if dt.kind == "O" or dt.kind in "SUVMm":
        raise UnsupportedDtypeError(
            f"dtype {dt} cannot be placed on {dev.filter_string}: device arrays hold booleans, integers, "
            "floating-point and complex numbers only."
        )
    if not dev.has_fp64 and dt in (np.dtype(np.float64), np.dtype(np.complex128)):
        small = "float32" if dt.kind == "f" else "complex64"
        raise UnsupportedDtypeError(
            f"{dev.filter_string} ({dev.name}) has no fp64 support, so it cannot hold {dt} data; "
            f"convert first, e.g. hetero.asarray(x, dtype='{small}', device='{dev.filter_string}')."
        )


def _to_host(obj: Any, dtype: Any, copy: bool | None) -> np.ndarray:
    if is_device_array(obj):
        if copy is False:
            raise ValueError("copy=False: a device array cannot be viewed as a host array without a copy")
        with _sycl.queue_lock(obj.sycl_queue):
            out = sys.modules["dpnp"].asnumpy(obj) if hasattr(obj, "asnumpy") else _usm_to_numpy(obj)
        return out if dtype is None else out.astype(dtype, copy=False)
    return np.asarray(obj, dtype=dtype) if copy is None else np.array(obj, dtype=dtype, copy=copy)


def _usm_to_numpy(x: Any) -> np.ndarray:
    return sys.modules["dpnp.tensor"].asnumpy(x)


def _dlpack_device_type(obj: Any) -> int | None:
    if not (hasattr(obj, "__dlpack__") and hasattr(obj, "__dlpack_device__")):
        return None
    try:
        return int(obj.__dlpack_device__()[0])
    except Exception:
        return None


def _ingest(obj: Any, dtype: Any) -> Any:
    """NumPy arrays, device arrays and scalars as they are; any other object as a NumPy
    array (sequences, ``__array__``, CPU DLPack) or a dpnp array (oneAPI DLPack)."""
    if isinstance(obj, np.ndarray) or _is_scalar(obj) or is_device_array(obj):
        return obj
    kind = _dlpack_device_type(obj)
    if kind == _DLPACK_CPU:
        return np.from_dlpack(obj)
    if kind == _DLPACK_ONEAPI:
        return _sycl.require_dpnp("Importing a oneAPI DLPack array").from_dlpack(obj)
    return np.asarray(obj, dtype=dtype)


def asarray(obj: Any, *, dtype: Any = None, device: DeviceLike = None, copy: bool | None = None):
    """Put ``obj`` on a device.

    Parameters
    ----------
    obj : array_like
        A NumPy or dpnp array, a ``dpnp.tensor.usm_ndarray``, a Python sequence or
        scalar, or an object with ``__dlpack__`` or ``__array__``.
    dtype : dtype, optional
    device : str, Device, dpctl.SyclDevice, dpctl.SyclQueue or None
        Where the result lives; anything :func:`hetero.select_device` takes.
        ``None``: a device array stays where it is (as the array API says);
        anything else goes to :func:`hetero.default_device` (so
        ``asarray(numpy_array)`` puts host data on the default device).
    copy : bool or None
        ``True`` always copies, ``False`` never does (raising when a copy is
        needed), ``None`` copies only when needed.

    Returns
    -------
    numpy.ndarray or dpnp.ndarray
        A NumPy array for the host, a dpnp array on the device's queue otherwise.
        An array already on that device is returned as is (unless copied).

    Raises
    ------
    UnsupportedDtypeError
        For a dtype the device lacks (float64 on a device without fp64).
    DeviceNotFoundError
        For a device spec that matches no device.
    """
    obj = _ingest(obj, dtype)
    if device is None and is_device_array(obj):
        dev, queue = device_of(obj), obj.sycl_queue  # an array's device is inferred from it (array API)
    else:
        dev, queue = _resolve_target(device)
    if dev.is_host:
        return _to_host(obj, dtype, copy)

    dpnp = _sycl.require_dpnp(f"Placing data on {dev.filter_string}")
    if is_device_array(obj):
        src_dev = device_of(obj)
        # A queue given explicitly must be matched exactly; a device only by device.
        same = (obj.sycl_queue == queue) if _is_queue(device) else (src_dev == dev)
        if same:
            _check_dtype(dtype if dtype is not None else obj.dtype, dev)
            if dtype is None and not copy and isinstance(obj, dpnp.ndarray):
                return obj
            return dpnp.asarray(obj, dtype=dtype, copy=copy)
        if copy is False:
            raise ValueError(
                f"copy=False: moving a {_describe(obj)} to {dev.filter_string} needs a copy"
            )
        _check_dtype(dtype if dtype is not None else obj.dtype, dev)
        moved = _move_between_queues(obj, queue)
        return moved if dtype is None else moved.astype(dtype, copy=False)

    if copy is False:
        raise ValueError(f"copy=False: placing host data on {dev.filter_string} needs a copy")
    src_dtype = np.asarray(obj).dtype
    _check_dtype(dtype if dtype is not None else src_dtype, dev)
    if isinstance(obj, np.ndarray) and not src_dtype.isnative:
        obj = obj.astype(src_dtype.newbyteorder("="))  # device arrays are native-endian; a copy is made anyway
    with _sycl.queue_lock(queue):
        return dpnp.asarray(obj, dtype=dtype, sycl_queue=queue)


def _move_between_queues(x: Any, queue: Any):
    dpnp = sys.modules["dpnp"]
    if not isinstance(x, dpnp.ndarray):
        x = dpnp.asarray(x)
    try:
        return x.to_device(queue)
    except Exception:
        # Different SYCL contexts cannot copy directly: go through the host.
        with _sycl.queue_lock(x.sycl_queue):
            host = dpnp.asnumpy(x)
        with _sycl.queue_lock(queue):
            return dpnp.asarray(host, sycl_queue=queue)


def to_device(x: Any, device: DeviceLike, /, *, stream: Any = None):
    """Return ``x`` on ``device`` (a copy unless it is already there).

    ``device`` is anything :func:`hetero.select_device` takes, or a
    ``dpctl.SyclQueue`` (``stream`` may also give the queue, as in the array API).
    """
    if stream is not None:
        if device is not None and select_device(device) != select_device(stream.sycl_device):
            raise ValueError(
                f"hetero.to_device: device={device!r} and stream (a queue of {stream.sycl_device.filter_string}) "
                "disagree; pass one of them"
            )
        device = stream
    if device is None:
        raise TypeError("hetero.to_device(x, device): device is required (use 'host' for NumPy)")
    return asarray(x, device=device)


def asnumpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (a copy for device arrays, no copy for NumPy arrays)."""
    return _to_host(_ingest(x, None), None, None)


# --- creation --------------------------------------------------------------------------------


def _check_shape(shape) -> None:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(int(d) < 0 for d in dims):
        raise ValueError(f"negative dimensions are not allowed: shape {shape!r}")


def _create(np_fn, dpnp_name: str, device: DeviceLike, dtype: Any, *args, **kwargs):
    dev, queue = _resolve_target(device)
    if dev.is_host:
        return np_fn(*args, dtype=dtype, **kwargs)
    _check_dtype(dtype, dev)
    dpnp = _sycl.require_dpnp(f"Creating arrays on {dev.filter_string}")
    return getattr(dpnp, dpnp_name)(*args, dtype=dtype, sycl_queue=queue, **kwargs)


def empty(shape, *, dtype=None, device: DeviceLike = None):
    """An uninitialised array on ``device`` (default: :func:`hetero.default_device`)."""
    _check_shape(shape)
    return _create(np.empty, "empty", device, dtype, shape)


def zeros(shape, *, dtype=None, device: DeviceLike = None):
    """An array of zeros on ``device``."""
    _check_shape(shape)
    return _create(np.zeros, "zeros", device, dtype, shape)


def ones(shape, *, dtype=None, device: DeviceLike = None):
    """An array of ones on ``device``."""
    _check_shape(shape)
    return _create(np.ones, "ones", device, dtype, shape)


def full(shape, fill_value, *, dtype=None, device: DeviceLike = None):
    """An array filled with ``fill_value`` on ``device``."""
    _check_shape(shape)
    return _create(np.full, "full", device, dtype, shape, fill_value)


def arange(start, stop=None, step=1, *, dtype=None, device: DeviceLike = None):
    """Evenly spaced values on ``device``, like :func:`numpy.arange`."""
    if stop is None:
        start, stop = 0, start
    return _create(np.arange, "arange", device, dtype, start, stop, step)


def _like(np_fn, dpnp_name: str, x, device, dtype, *args):
    if not (isinstance(x, np.ndarray) or is_device_array(x)):
        raise TypeError(
            f"hetero.{dpnp_name}_like expects a NumPy or device array as its prototype, got "
            f"{type(x).__name__}; convert it with hetero.asarray first"
        )
    if device is None:
        q = x.sycl_queue if is_device_array(x) else None
        device = q if q is not None else host
    return _create(np_fn, dpnp_name, device, dtype if dtype is not None else x.dtype, x.shape, *args)


def empty_like(x, *, dtype=None, device: DeviceLike = None):
    """An uninitialised array shaped like ``x``, on ``x``'s device unless ``device`` is given."""
    return _like(np.empty, "empty", x, device, dtype)


def zeros_like(x, *, dtype=None, device: DeviceLike = None):
    """Zeros shaped like ``x``, on ``x``'s device unless ``device`` is given."""
    return _like(np.zeros, "zeros", x, device, dtype)


def ones_like(x, *, dtype=None, device: DeviceLike = None):
    """Ones shaped like ``x``, on ``x``'s device unless ``device`` is given."""
    return _like(np.ones, "ones", x, device, dtype)


def full_like(x, fill_value, *, dtype=None, device: DeviceLike = None):
    """``fill_value`` shaped like ``x``, on ``x``'s device unless ``device`` is given."""
    return _like(np.full, "full", x, device, dtype, fill_value)
