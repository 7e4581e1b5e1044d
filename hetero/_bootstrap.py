"""Process-wide set-up that must happen before the SYCL runtime loads.

Imported first by ``hetero/__init__.py``. It only edits ``os.environ`` and
imports nothing heavy, so importing hetero stays cheap and works without dpctl.

* The pip wheel ``intel-opencl-rt`` installs the OpenCL CPU driver and an ICD
  file that points at a conda path which does not exist, so the OpenCL ICD
  loader finds no platform. When ``OCL_ICD_FILENAMES`` is unset and the driver
  is in this environment, point the loader at it. A user's value is kept.
* ``SYCL_DEVICE_FILTER`` is no longer read by the SYCL runtime; translate it to
  ``ONEAPI_DEVICE_SELECTOR`` (unless that is set) with a DeprecationWarning.
* ``SCIPY_ARRAY_API=1`` is set when scipy is not imported yet (scikit-learn's
  array-API dispatch of device arrays needs it; scipy reads it once).
* ``HETERO_NUM_THREADS`` sizes numba's thread pool, which is read once when
  numba loads, so it is forwarded to ``NUMBA_NUM_THREADS`` here.

The loader reads ``OCL_ICD_FILENAMES`` at the first device query, not at
``import dpctl``; so this works even if dpctl was imported earlier, as long as
nothing has enumerated devices yet. :func:`late_import_hint` explains the case
where that already happened.
"""

from __future__ import annotations

import os
import sys
import warnings

_DRIVER_NAME = "libintelocl.so"

#: What the bootstrap did, for ``python -m hetero info`` and error messages.
actions: list[str] = []
#: True when hetero set OCL_ICD_FILENAMES itself.
icd_set_by_hetero = False
#: True when some code had imported dpctl before hetero was imported.
dpctl_imported_first = "dpctl" in sys.modules


def _prefixes() -> list[str]:
    seen: list[str] = []
    for p in (sys.prefix, sys.exec_prefix, getattr(sys, "base_prefix", sys.prefix)):
        if p and p not in seen:
            seen.append(p)
    return seen


def find_opencl_cpu_driver() -> str | None:
    """Path of the pip-installed Intel OpenCL CPU driver, or None."""
    for prefix in _prefixes():
        candidate = os.path.join(prefix, "lib", _DRIVER_NAME)
        if os.path.isfile(candidate):
            return candidate
    return None


def _point_icd_loader_at_driver() -> None:
    global icd_set_by_hetero
    if os.environ.get("OCL_ICD_FILENAMES"):
        actions.append("OCL_ICD_FILENAMES set by the user; left unchanged")
        return
    driver = find_opencl_cpu_driver()
    if driver is None:
        return
    os.environ["OCL_ICD_FILENAMES"] = driver
    icd_set_by_hetero = True
    actions.append(f"OCL_ICD_FILENAMES={driver} (pip-installed Intel OpenCL CPU driver)")


def _translate_legacy_filter() -> None:
    legacy = os.environ.get("SYCL_DEVICE_FILTER")
    if not legacy:
        return
    if os.environ.get("ONEAPI_DEVICE_SELECTOR"):
        actions.append("SYCL_DEVICE_FILTER ignored: ONEAPI_DEVICE_SELECTOR is set")
        _warn(
            f"SYCL_DEVICE_FILTER={legacy!r} is ignored: the SYCL runtime no longer reads it, and "
            f"ONEAPI_DEVICE_SELECTOR={os.environ['ONEAPI_DEVICE_SELECTOR']!r} is set. Unset SYCL_DEVICE_FILTER."
        )
        return
    selector, lost = legacy_filter_to_selector(legacy, with_losses=True)
    os.environ["ONEAPI_DEVICE_SELECTOR"] = selector
    actions.append(f"ONEAPI_DEVICE_SELECTOR={selector} (translated from SYCL_DEVICE_FILTER={legacy})")
    extra = ""
    if lost:
        extra = (f" ONEAPI_DEVICE_SELECTOR cannot express {', '.join(lost)}; to pick one device set "
                 f"HETERO_DEVICE={legacy!r} as well (hetero reads the same spelling).")
    _warn(
        f"SYCL_DEVICE_FILTER={legacy!r} is no longer read by the SYCL runtime; hetero translated it "
        f"to ONEAPI_DEVICE_SELECTOR={selector!r} for this process. Set "
        f"ONEAPI_DEVICE_SELECTOR={selector!r} instead (or HETERO_DEVICE to choose hetero's default "
        f"device).{extra}"
    )


def _warn(message: str) -> None:
    """A DeprecationWarning attributed to the code that imported hetero (so that Python's default
    filters show it when that is the main script, as they do for deprecations in one's own code)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 2
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen"):
            frame = frame.f_back  # importlib's frames: warnings.warn skips them itself
            continue
        if not os.path.abspath(name).startswith(here + os.sep):
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DeprecationWarning, stacklevel=level)


def legacy_filter_to_selector(value: str, *, with_losses: bool = False):
    """Translate a ``SYCL_DEVICE_FILTER`` value to ``ONEAPI_DEVICE_SELECTOR`` syntax.

    The old syntax is a comma-separated list of ``backend:type:index`` terms,
    any part optional (``opencl:cpu``, ``gpu``, ``level_zero:gpu:0``, ``cuda``,
    ``host``). The new one is ``backend:devices`` terms separated by ``;``, with
    ``*`` for any backend and ``devices`` a type or an index. A type with an
    index (``gpu:1``) has no spelling there: the type is kept and the index is
    reported in the losses; ``host`` is no SYCL device and is dropped.
    With ``with_losses``, returns ``(selector, losses)``.
    """
    backends = {"opencl", "level_zero", "cuda", "hip", "ext_oneapi_level_zero", "ext_oneapi_cuda",
                "ext_oneapi_hip", "native_cpu"}
    terms, lost = [], []
    for raw in value.split(","):
        parts = [p.strip() for p in raw.strip().split(":") if p.strip()]
        if not parts:
            continue
        if parts[0] == "host":
            lost.append("'host' (not a SYCL device; hetero.host is always available)")
            continue
        backend = "*"
        if parts[0] in backends:
            backend = parts.pop(0).replace("ext_oneapi_", "")
        device = "*"
        if parts and parts[0] in ("cpu", "gpu", "acc", "accelerator", "fpga", "*"):
            device = {"accelerator": "fpga", "acc": "fpga"}.get(parts[0], parts[0])
            parts.pop(0)
        if parts and parts[0].isdigit():
            if device == "*":
                device = parts[0]  # an index alone: the n-th device of the backend
            else:
                lost.append(f"the index in {raw.strip()!r}")
        terms.append(f"{backend}:{device}")
    selector = ";".join(terms) if terms else "*:*"
    return (selector, lost) if with_losses else selector


def _forward_num_threads() -> None:
    value = os.environ.get("HETERO_NUM_THREADS")
    if not value or os.environ.get("NUMBA_NUM_THREADS"):
        return
    if value.strip().isdigit() and int(value) > 0:
        os.environ["NUMBA_NUM_THREADS"] = str(int(value))
        actions.append(f"NUMBA_NUM_THREADS={int(value)} (from HETERO_NUM_THREADS)")
    # An invalid value is reported by hetero.get_num_threads()/hetero.jit, not at import.


#: True when scipy was imported before hetero without SCIPY_ARRAY_API=1 (too late to set it).
scipy_array_api_too_late = False


def _enable_scipy_array_api() -> None:
    """scikit-learn's array-API dispatch (dpnp inputs to sklearnex) needs SCIPY_ARRAY_API=1,
    which scipy reads once, at its import."""
    global scipy_array_api_too_late
    if os.environ.get("SCIPY_ARRAY_API"):
        return
    if "scipy" in sys.modules:
        scipy_array_api_too_late = True
        return
    os.environ["SCIPY_ARRAY_API"] = "1"
    actions.append("SCIPY_ARRAY_API=1 (scikit-learn array-API dispatch for device arrays)")


def _preload_driver_for_opencl_selector() -> None:
    """With ``ONEAPI_DEVICE_SELECTOR`` naming the ``opencl`` backend, the runtime's OpenCL
    adapter loads the pip driver by a path that does not resolve the driver's own
    dependencies (libsvml.so, libirng.so, ... beside it), and finds no device. Loading
    the driver once, globally, first makes those libraries resolvable (about 20 ms)."""
    selector = os.environ.get("ONEAPI_DEVICE_SELECTOR", "").lower()
    driver = find_opencl_cpu_driver()
    icd = os.environ.get("OCL_ICD_FILENAMES", "")
    if "opencl" not in selector or driver is None or os.path.realpath(icd) != os.path.realpath(driver):
        return
    import ctypes

    try:
        ctypes.CDLL(driver, mode=ctypes.RTLD_GLOBAL)
        actions.append(f"preloaded {driver} for ONEAPI_DEVICE_SELECTOR={selector}")
    except OSError:
        pass


def run() -> None:
    _translate_legacy_filter()
    _point_icd_loader_at_driver()
    _preload_driver_for_opencl_selector()
    _forward_num_threads()
    _enable_scipy_array_api()


run()
