"""How a hetero.ml method call runs: placement, device configuration, fall-back.

Every public method of every hetero.ml estimator goes through :func:`call`:

1. **Placement.** The array arguments are sorted into host data and device
   (dpnp) data. Device arrays on different queues, or device arrays mixed with
   host arrays, raise :class:`hetero.PlacementError`; so does calling a method
   with data on another device than the data the estimator was fitted on.
2. **Host data** runs the scikit-learn-intelex method as it is (its accelerated
   host path), with no configuration change, so hetero adds next to nothing.
3. **Device data** runs the same method inside
   ``sklearnex.config_context(target_offload=<the data's queue>, array_api_dispatch=True)``:
   oneDAL computes on the data's SYCL queue and scikit-learn's array-API
   validation keeps the arrays where they are.
4. **Fall-back.** scikit-learn-intelex says, through its ``sklearnex`` logger,
   when oneDAL cannot run a call ("fallback to original Scikit-learn", with
   the reasons at DEBUG level). During a device call a logging filter watches
   for that message and stops the call *before* scikit-learn-intelex runs its
   own fall-back (which leaves fitted attributes on the host, and for some
   parameters fails outright); a refused call is attempted once more with DEBUG
   on to collect oneDAL's reasons. hetero then reruns the method on host
   copies and puts outputs and fitted attributes back on the data's device,
   with a :class:`hetero.FallbackWarning` naming the estimator, the method and
   oneDAL's reason. ``HETERO_ML_FALLBACK=error`` raises :class:`FallbackError`
   instead, ``HETERO_ML_FALLBACK=silent`` falls back without a warning.

Fitted attributes of a device fit are dpnp arrays on the data's queue. When an
attribute had to be computed on the host, its host copy is kept (private) so a
later host fall-back does not copy it back. An estimator whose fit fell back
holds host state inside, so its later methods run on the host too, each with a
FallbackWarning ("the fit fell back to the host: <reason>"); when scikit-learn
itself (not oneDAL's host path) made that fit, they run scikit-learn's own
methods, which scikit-learn-intelex's do not always accept (KMeans with sample
weights).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from typing import Any

import numpy as np

from .. import _bootstrap
from .._arrays import device_of, is_device_array
from .._device import Device
from ..errors import (
    ConfigurationError,
    FallbackError,
    FallbackWarning,
    NotPicklableError,
    PlacementError,
    UnsupportedDtypeError,
)

__all__ = ["FallbackError", "NotPicklableError", "call", "fallback_policy", "FIT_METHODS"]

#: Methods that (re)fit the estimator: they set the device the estimator lives on.
FIT_METHODS = frozenset({"fit", "fit_transform", "fit_predict"})

_SCALARS = (bool, int, float, complex, str, bytes, np.generic)
_FALLBACK_ENV = "HETERO_ML_FALLBACK"
_POLICIES = ("warn", "error", "silent")


class _FallbackSignal(BaseException):
    """Raised from the log filter to stop scikit-learn-intelex's own fall-back.

    A BaseException, so that no ``except Exception`` inside scikit-learn-intelex swallows it.
    """

    def __init__(self, scope: str, reasons: list[str]):
        super().__init__(scope)
        self.scope = scope
        self.reasons = reasons


# --- per-thread state -------------------------------------------------------------------------


class _State(threading.local):
    def __init__(self):
        self.depth = 0  # >0 while a hetero.ml call runs in this thread
        self.capture: _Capture | None = None


_tls = _State()


def active() -> bool:
    """True inside a hetero.ml method call of this thread (fitted-attribute properties return raw values)."""
    return _tls.depth > 0


# --- watching scikit-learn-intelex's patching log ------------------------------------------------


class _Capture:
    """Collects oneDAL's refusal reasons during one call; signals (or just notes) a fall-back."""

    __slots__ = ("reasons", "stop", "fell_back")

    def __init__(self, stop: bool = True):
        self.reasons: list[str] = []
        self.stop = stop  # raise _FallbackSignal (device attempt) or only note it (host run)
        self.fell_back = False

    def see(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        scope, sep, text = msg.partition(": ")
        if not sep:
            return
        if text.startswith("patching failed with cause - "):
            self.reasons.append(text[len("patching failed with cause - "):].strip())
        elif "fallback to original Scikit-learn" in text:
            self.fell_back = True
            if self.stop:
                raise _FallbackSignal(scope.strip(), list(self.reasons))


class _LogTap(logging.Filter):
    """A filter on the ``sklearnex`` logger.

    During device calls the logger is lowered to INFO, where scikit-learn-intelex
    says whether each call runs in oneDAL or falls back; to learn oneDAL's
    reasons (logged at DEBUG) a refused call is attempted once more at DEBUG,
    which costs nothing on the common path. Records the user's own level would
    have dropped are dropped here, so sklearnex's verbosity is unchanged.
    """

    def __init__(self, logger: logging.Logger):
        super().__init__()
        self.logger = logger
        self.lock = threading.Lock()
        self.levels: list[int] = []
        self.saved_level = logging.NOTSET
        self.pass_level = 0

    def filter(self, record: logging.LogRecord) -> bool:
        cap = _tls.capture
        if cap is not None:
            cap.see(record)  # may raise _FallbackSignal into scikit-learn-intelex's dispatcher
        return record.levelno >= self.pass_level

    def acquire(self, level: int) -> None:
        with self.lock:
            if not self.levels:
                self.saved_level = self.logger.level
                self.pass_level = self.logger.getEffectiveLevel()
            self.levels.append(level)
            want = min(min(self.levels), self.pass_level)
            if self.logger.level != want:
                self.logger.setLevel(want)

    def release(self, level: int) -> None:
        with self.lock:
            self.levels.remove(level)
            if not self.levels:
                self.logger.setLevel(self.saved_level)
                self.pass_level = 0
            elif self.logger.level != min(min(self.levels), self.pass_level):
                self.logger.setLevel(min(min(self.levels), self.pass_level))


_tap: _LogTap | None = None
_tap_lock = threading.Lock()


def _log_tap() -> _LogTap:
    global _tap
    if _tap is None:
        with _tap_lock:
            if _tap is None:
                logger = logging.getLogger("sklearnex")
                tap = _LogTap(logger)
                logger.addFilter(tap)
                _tap = tap
    return _tap


# --- configuration checks --------------------------------------------------------------------------


def fallback_policy() -> str:
    """``HETERO_ML_FALLBACK``: "warn" (default), "error" or "silent"."""
    value = os.environ.get(_FALLBACK_ENV, "").strip().lower() or "warn"
    if value not in _POLICIES:
        raise ConfigurationError(
            f"{_FALLBACK_ENV}={os.environ.get(_FALLBACK_ENV)!r} is not understood; use one of "
            f"{', '.join(_POLICIES)} (or leave it unset for 'warn')."
        )
    return value


def scipy_array_api_ready() -> bool:
    """Whether scipy (and so scikit-learn's array-API dispatch) can take device arrays."""
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        return False
    mod = sys.modules.get("scipy._lib._array_api")
    if mod is not None and not getattr(mod, "SCIPY_ARRAY_API", True):
        return False  # scipy read the variable before it was set
    return True


def _check_scipy_array_api(est_name: str, method: str) -> None:
    if scipy_array_api_ready():
        return
    if _bootstrap.scipy_array_api_too_late or "scipy" in sys.modules:
        why = (
            "scipy was imported before hetero, without SCIPY_ARRAY_API=1 in the environment, and scipy "
            "reads that variable only once, when it is first imported"
        )
    else:
        why = f"SCIPY_ARRAY_API is set to {os.environ.get('SCIPY_ARRAY_API')!r}, not '1'"
    raise ConfigurationError(
        f"{est_name}.{method}: device arrays need scikit-learn's array-API dispatch, which needs scipy's "
        f"array-API support, but {why}. Import hetero before scipy, scikit-learn and sklearnex (make "
        "`import hetero` the first import of the program), or start Python with SCIPY_ARRAY_API=1 set."
    )


# --- placement ----------------------------------------------------------------------------------


def _is_host_data(v: Any) -> bool:
    return (
        isinstance(v, (np.ndarray, list, tuple))
        or hasattr(v, "__array__")
        or hasattr(v, "__array_namespace__")
        or hasattr(v, "tocsr")  # scipy.sparse
    )


def _arg_name(func, index: int | str) -> str:
    if isinstance(index, str):
        return index
    try:
        import inspect

        params = [p for p in inspect.signature(func).parameters if p != "self"]
        return params[index] if index < len(params) else f"argument {index}"
    except (TypeError, ValueError):
        return f"argument {index}"


def _where(v: Any) -> str:
    if is_device_array(v):
        return f"a device array on {device_of(v).filter_string}"
    return f"{type(v).__name__} data on the host"


_NO_DATA = object()


def _placement(est_name: str, method: str, func, args: tuple, kwargs: dict):
    """The queue of the device arrays among the arguments, None for host data, _NO_DATA for none."""
    queue = None
    first = None
    host_key = None
    items = list(enumerate(args)) + list(kwargs.items())
    for key, v in items:
        if v is None or isinstance(v, _SCALARS) or callable(v) and not hasattr(v, "shape"):
            continue
        if is_device_array(v):
            q = v.sycl_queue
            if queue is None:
                queue, first = q, key
            elif q != queue:
                a, b = _arg_name(func, first), _arg_name(func, key)
                da, db = device_of(dict(items)[first]), device_of(v)
                where = f"{da.filter_string} and {db.filter_string}" if da != db else (
                    f"two different queues of {da.filter_string}")
                raise PlacementError(
                    f"{est_name}.{method}: {a} and {b} live on different devices ({where}). hetero.ml "
                    f"computes where the data is and never copies implicitly; put both on one device, "
                    f"e.g. `{b} = hetero.to_device({b}, hetero.device_of({a}))`."
                )
        elif host_key is None and _is_host_data(v):
            host_key = key
    if queue is None and host_key is None:
        return _NO_DATA
    if queue is not None and host_key is not None:
        a, h = _arg_name(func, first), _arg_name(func, host_key)
        dev = device_of(dict(items)[first]).filter_string
        raise PlacementError(
            f"{est_name}.{method}: {a} is a device array on {dev} but {h} is "
            f"{_where(dict(items)[host_key])}. hetero.ml never copies implicitly; move {h} to the device "
            f"with `hetero.to_device({h}, '{dev}')`, or {a} to the host with `hetero.asnumpy({a})`."
        )
    return queue


def _any_device_attr(est) -> str:
    for name, v in est.__dict__.items():
        if _public_attr(name) and is_device_array(v):
            return name
    return "<fitted attribute>"


def _fitted_where(dev: Device | None) -> str:
    return "host (NumPy) data" if dev is None or dev.is_host else f"data on {dev.filter_string}"


def _check_fitted_placement(est, est_name: str, method: str, dev: Device | None, queue=None) -> None:
    d = est.__dict__
    if "_hetero_device" not in d:
        return  # not fitted by hetero: scikit-learn raises NotFittedError as usual
    fitted = d["_hetero_device"]
    if fitted is None and dev is None:
        return
    if fitted == dev:
        fitted_queue = d.get("_hetero_queue")
        if queue is None or fitted_queue is None or fitted_queue == queue:
            return
        raise PlacementError(
            f"{est_name}.{method}: the estimator was fitted on data in one queue of {dev.filter_string} "
            f"and {method} got data in another queue of that device; dpnp cannot mix arrays of "
            f"different queues. Put X in the fit's queue, e.g. `X = hetero.to_device(X, "
            f"est.{_any_device_attr(est)}.sycl_queue)`."
        )
    if dev is None:
        fix = (f"move X to that device with `hetero.to_device(X, '{fitted.filter_string}')`, or refit "
               "on host data")
    elif fitted is None:
        fix = f"pass host data (`hetero.asnumpy(X)`), or refit on {dev.filter_string} data"
    else:
        fix = (f"move X with `hetero.to_device(X, '{fitted.filter_string}')`, or refit on "
               f"{dev.filter_string} data")
    raise PlacementError(
        f"{est_name}.{method}: the estimator was fitted on {_fitted_where(fitted)}, so its fitted "
        f"attributes live there, but {method} got {_fitted_where(dev)}. hetero.ml never copies "
        f"implicitly; {fix}."
    )


# --- dtypes --------------------------------------------------------------------------------------

_FP64 = (np.dtype(np.float64), np.dtype(np.complex128))


def _prepare_dtypes(est_name: str, method: str, func, dev: Device, args: tuple, kwargs: dict):
    """Refuse complex X (as scikit-learn does for host data; oneDAL would drop the imaginary part);
    on a device without fp64: refuse float64 arrays, convert integer/bool X to float32."""
    if args and is_device_array(args[0]) and np.dtype(args[0].dtype).kind == "c":
        raise ValueError(
            f"{est_name}.{method}: complex data is not supported (X is {np.dtype(args[0].dtype)}); scikit-learn "
            "refuses it for host data too. Pass the real part, or real and imaginary parts as separate features."
        )
    if dev.has_fp64:
        return args, kwargs
    items = list(enumerate(args)) + list(kwargs.items())
    for key, v in items:
        if is_device_array(v) and np.dtype(v.dtype) in _FP64:
            name = _arg_name(func, key)
            small = "float32" if np.dtype(v.dtype).kind == "f" else "complex64"
            raise UnsupportedDtypeError(
                f"{est_name}.{method}: {name} is {np.dtype(v.dtype)} but {dev.filter_string} ({dev.name}) "
                f"has no fp64 support. Convert it first: "
                f"`{name} = hetero.asarray({name}, dtype='{small}', device='{dev.filter_string}')`."
            )
    if args and is_device_array(args[0]) and np.dtype(args[0].dtype).kind in "biu":
        # scikit-learn would validate integer X to float64, which this device cannot hold.
        args = (args[0].astype("float32"),) + tuple(args[1:])
    return args, kwargs


# --- moving results ------------------------------------------------------------------------------


def _dpnp():
    return sys.modules["dpnp"]


def _to_device(v: Any, queue, fp64: bool):
    if type(v) is np.ndarray and v.dtype.kind in "biufc":
        if not fp64 and v.dtype in _FP64:
            v = v.astype(np.float32 if v.dtype.kind == "f" else np.complex64)
        return _dpnp().asarray(v, sycl_queue=queue)
    return v


def _outputs_to_device(out: Any, queue, fp64: bool):
    if type(out) is np.ndarray:
        return _to_device(out, queue, fp64)
    if type(out) is tuple:
        return tuple(_outputs_to_device(o, queue, fp64) for o in out)
    if type(out) is list and out and all(type(o) is np.ndarray for o in out):
        return [_to_device(o, queue, fp64) for o in out]
    if is_device_array(out) and not isinstance(out, _dpnp().ndarray):
        return _dpnp().asarray(out)
    return out


def _public_attr(name: str) -> bool:
    return name.endswith("_") and not name.startswith("_")


def _attrs_to_device(est, queue, fp64: bool) -> None:
    """Public NumPy attributes -> dpnp on ``queue``, remembering the host copies."""
    pairs = est.__dict__.setdefault("_hetero_pairs", {})
    for name, v in list(est.__dict__.items()):
        if type(v) is np.ndarray and _public_attr(name) and v.dtype.kind in "biufc":
            dv = _to_device(v, queue, fp64)
            pairs[name] = (dv, v)
            est.__dict__[name] = dv


def _attrs_to_host(est) -> dict:
    """Public dpnp attributes -> NumPy for a host run; returns what to put back."""
    pairs = est.__dict__.setdefault("_hetero_pairs", {})
    swapped = {}
    for name, v in list(est.__dict__.items()):
        if _public_attr(name) and is_device_array(v):
            pair = pairs.get(name)
            host = pair[1] if pair is not None and pair[0] is v else _dpnp().asnumpy(v)
            pairs[name] = (v, host)
            swapped[name] = (v, host)
            est.__dict__[name] = host
    return swapped


def _attrs_back(est, swapped: dict) -> None:
    for name, (dv, host) in swapped.items():
        if est.__dict__.get(name) is host:
            est.__dict__[name] = dv


def _args_to_host(args: tuple, kwargs: dict):
    conv = lambda v: _dpnp().asnumpy(v) if is_device_array(v) else v  # noqa: E731
    return tuple(conv(a) for a in args), {k: conv(v) for k, v in kwargs.items()}


# --- the call ------------------------------------------------------------------------------------


def _sklearnex_config():
    try:
        from sklearnex import config_context
    except ImportError as exc:
        from ..errors import SyclUnavailableError

        raise SyclUnavailableError(
            f"hetero.ml needs scikit-learn-intelex to compute on device arrays, but it cannot be imported "
            f"({exc}). Install it: `pip install scikit-learn-intelex scikit-learn-intelex-gpu` (x86_64 only), "
            "or pass host data."
        ) from exc
    return config_context


def call(est, method: str, func, args: tuple, kwargs: dict):
    """Run ``func(est, *args, **kwargs)`` where the data lives (see the module docstring)."""
    if method not in FIT_METHODS or _tls.depth:
        return _call(est, method, func, args, kwargs)
    d = est.__dict__
    placed = {k: d[k] for k in _PLACEMENT_KEYS if k in d}
    try:
        return _call(est, method, func, args, kwargs)
    except BaseException:
        # A fit that failed (bad input, say) leaves the previous model, and so its placement.
        if "_hetero_device" not in d:
            d.update(placed)
        raise


def _call(est, method: str, func, args: tuple, kwargs: dict):
    st = _tls
    if st.depth:
        # A method called by another method of ours (fit_predict -> fit): already placed.
        return func(est, *args, **kwargs)
    est_name = type(est).__name__
    queue = _placement(est_name, method, func, args, kwargs)
    fitting = method in FIT_METHODS
    if queue is _NO_DATA:
        # No array argument (``kneighbors()`` queries the training set): run where the fit ran.
        fitted = est.__dict__.get("_hetero_device")
        queue = None if fitted is None else (est.__dict__.get("_hetero_queue") or fitted.sycl_queue)
        if queue is not None:
            return _call_on_device(est, est_name, method, func, args, kwargs, queue, fitting, fitted)

    if queue is None:
        # Host data: scikit-learn-intelex's accelerated host path, untouched.
        if fitting:
            _forget_placement(est)
        else:
            _check_fitted_placement(est, est_name, method, None)
        st.depth += 1
        try:
            out = func(est, *args, **kwargs)
        finally:
            st.depth -= 1
        if fitting:
            est.__dict__["_hetero_device"] = None
        return out

    return _call_on_device(est, est_name, method, func, args, kwargs, queue, fitting)


def _call_on_device(est, est_name, method, func, args, kwargs, queue, fitting, dev=None):
    if dev is None:
        d = est.__dict__
        if not fitting and d.get("_hetero_queue") is not None and d["_hetero_queue"] == queue:
            dev = d["_hetero_device"]  # the usual case, and cheaper than asking dpctl
        else:
            dev = device_of(next(v for v in list(args) + list(kwargs.values()) if is_device_array(v)))
        if not fitting:
            _check_fitted_placement(est, est_name, method, dev, queue)
    _check_scipy_array_api(est_name, method)
    policy = fallback_policy()
    args, kwargs = _prepare_dtypes(est_name, method, func, dev, args, kwargs)
    dpnp = _dpnp()
    # usm_ndarray inputs become dpnp arrays (no copy) so that outputs are dpnp too.
    args = tuple(dpnp.asarray(a) if is_device_array(a) and not isinstance(a, dpnp.ndarray) else a
                 for a in args)
    fp64 = dev.has_fp64
    d = est.__dict__
    if fitting:
        _forget_placement(est)
    elif "_hetero_host_fit" in d:
        # Fitted on the host by a fall-back: its internal state is host state, so every
        # method runs there too (for the same reason).
        scope, reason = d["_hetero_host_fit"]
        _fall_back(est_name, method, dev, scope, f"the fit fell back to the host: {reason}", policy)
        return _run_on_host(est, method, func, args, kwargs, queue, fp64, False)

    # A refused device attempt may already have rewritten fitted state (sklearn's own method, run
    # by scikit-learn-intelex's fall-back before it says so, converts _fit_X to NumPy): keep a copy.
    saved = None if fitting else dict(d)
    out, signal = _attempt(est, func, args, kwargs, queue, logging.INFO)
    if signal is not None and policy != "silent":
        # Once more with oneDAL's DEBUG messages on, for its reasons (stops at the same point).
        out, signal = _attempt(est, func, args, kwargs, queue, logging.DEBUG)
    if signal is not None and saved is not None:
        d.clear()
        d.update(saved)

    if signal is None:
        _attrs_to_device(est, queue, fp64)
        if fitting:
            d["_hetero_device"], d["_hetero_queue"] = dev, queue
        return _outputs_to_device(out, queue, fp64)

    reason = "; ".join(dict.fromkeys(signal.reasons)) or "scikit-learn-intelex gave no reason"
    _fall_back(est_name, method, dev, signal.scope, reason, policy)
    out = _run_on_host(est, method, func, args, kwargs, queue, fp64, fitting)
    if fitting:
        d["_hetero_device"], d["_hetero_queue"] = dev, queue
        d["_hetero_host_fit"] = (signal.scope, reason)
    return out


_PLACEMENT_KEYS = ("_hetero_device", "_hetero_queue", "_hetero_pairs", "_hetero_host_fit", "_hetero_prop_cache",
                   "_hetero_stock_model")


def _stock_method(cls: type, method: str):
    """scikit-learn's own implementation of ``method`` for ``cls`` (None if it has none)."""
    for klass in cls.__mro__:
        if klass.__module__.startswith("sklearn.") and method in vars(klass):
            raw = vars(klass)[method]
            return getattr(raw, "fn", raw)  # unwrap available_if descriptors
    return None


def _forget_placement(est) -> None:
    """Before a fit: the estimator belongs to no device until the fit succeeds."""
    d = est.__dict__
    for key in _PLACEMENT_KEYS:
        d.pop(key, None)


def _attempt(est, func, args, kwargs, queue, level: int):
    """Run the method on ``queue``; (output, None), or (None, signal) when oneDAL refuses it."""
    st = _tls
    tap = _log_tap()
    config_context = _sklearnex_config()
    tap.acquire(level)
    st.capture = _Capture()
    st.depth += 1
    try:
        # allow_fallback_to_host=False: a GPU that cannot run a call must say so (logged fall-back),
        # not move the data to the host silently.
        with config_context(target_offload=queue, array_api_dispatch=True, allow_fallback_to_host=False):
            return func(est, *args, **kwargs), None
    except _FallbackSignal as sig:
        return None, sig
    finally:
        st.depth -= 1
        st.capture = None
        tap.release(level)


def _fall_back(est_name: str, method: str, dev: Device, scope: str, reason: str, policy: str) -> None:
    """Raise or warn (or neither) about running ``est_name.method`` on the host."""
    what = f"{est_name}.{method}"
    if policy == "error":
        raise FallbackError(
            f"{what}: oneDAL cannot run this on {dev.filter_string} ({scope}: {reason}), and "
            f"{_FALLBACK_ENV}=error forbids falling back to the host. Change the parameters that oneDAL "
            f"refuses, pass host data, or unset {_FALLBACK_ENV} to fall back with a warning."
        )
    if policy == "warn":
        warnings.warn(
            FallbackWarning(
                f"{what}: oneDAL cannot run this on {dev.filter_string} ({scope}: {reason}); "
                f"ran it on the host with scikit-learn and put the results back on {dev.filter_string}. "
                f"Set {_FALLBACK_ENV}=silent to hide this warning or {_FALLBACK_ENV}=error to raise."
            ),
            stacklevel=6,  # the user, above: method wrapper, call, _call, _call_on_device
        )


def _run_on_host(est, method, func, args, kwargs, queue, fp64, fitting):
    st = _tls
    hargs, hkwargs = _args_to_host(args, kwargs)
    owner = est
    if not fitting:
        # A method run on the host may rewrite fitted state (scikit-learn-intelex re-creates its
        # oneDAL model for host data): run it on a shallow copy, so the estimator stays a device one.
        est = object.__new__(type(owner))
        est.__dict__.update(owner.__dict__)
    swapped = {} if fitting else _attrs_to_host(est)
    if not fitting and est.__dict__.get("_hetero_stock_model"):
        # scikit-learn itself fitted this model; scikit-learn-intelex's own methods may not expect
        # that (KMeans with sample weights), scikit-learn's do.
        func = _stock_method(type(est), method) or func
    config_context = _sklearnex_config()
    tap = _log_tap()
    cap = _Capture(stop=False)
    tap.acquire(logging.INFO)
    st.capture = cap if fitting else None
    st.depth += 1
    try:
        with config_context(target_offload="auto", array_api_dispatch=False):
            out = func(est, *hargs, **hkwargs)
    finally:
        st.depth -= 1
        st.capture = None
        tap.release(logging.INFO)
        _attrs_back(est, swapped)
    if fitting and cap.fell_back:
        est.__dict__["_hetero_stock_model"] = True
    if fitting:
        _attrs_to_device(est, queue, fp64)
    if out is est:
        return owner
    return _outputs_to_device(out, queue, fp64)
