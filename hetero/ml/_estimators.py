"""The hetero.ml estimator classes, made by one factory.

Each class subclasses scikit-learn-intelex's accelerated estimator (stock
scikit-learn's where scikit-learn-intelex is not installed) and adds nothing but
placement: every data method is replaced by a thin wrapper that hands the call
to :func:`hetero.ml._dispatch.call`, and every public fitted-attribute property
(``feature_importances_``, ...) returns its value on the device the estimator
was fitted on. Parameters, ``get_params``/``set_params``, ``clone``, tags and
fitted attributes are the base class's own.
"""

from __future__ import annotations

import functools
import importlib

from sklearn.utils._available_if import _AvailableIfDescriptor

from . import _dispatch

__all__ = ["ESTIMATORS", "make_estimator", "sklearnex_available"]

#: Methods that take data; wrapped wherever the base class has them.
DATA_METHODS = (
    "fit",
    "fit_transform",
    "fit_predict",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "inverse_transform",
    "score",
    "score_samples",
    "kneighbors",
    "kneighbors_graph",
    "radius_neighbors",
    "radius_neighbors_graph",
    "mahalanobis",
    "error_norm",
)

#: name -> (scikit-learn module, scikit-learn-intelex module). The sklearn module is where
#: ``hetero.ml.patch()`` puts the class.
ESTIMATORS = {
    "KMeans": ("sklearn.cluster", "sklearnex.cluster"),
    "DBSCAN": ("sklearn.cluster", "sklearnex.cluster"),
    "PCA": ("sklearn.decomposition", "sklearnex.decomposition"),
    "LinearRegression": ("sklearn.linear_model", "sklearnex.linear_model"),
    "Ridge": ("sklearn.linear_model", "sklearnex.linear_model"),
    "LogisticRegression": ("sklearn.linear_model", "sklearnex.linear_model"),
    "KNeighborsClassifier": ("sklearn.neighbors", "sklearnex.neighbors"),
    "KNeighborsRegressor": ("sklearn.neighbors", "sklearnex.neighbors"),
    "NearestNeighbors": ("sklearn.neighbors", "sklearnex.neighbors"),
    "RandomForestClassifier": ("sklearn.ensemble", "sklearnex.ensemble"),
    "RandomForestRegressor": ("sklearn.ensemble", "sklearnex.ensemble"),
    "SVC": ("sklearn.svm", "sklearnex.svm"),
    "NuSVC": ("sklearn.svm", "sklearnex.svm"),
    "SVR": ("sklearn.svm", "sklearnex.svm"),
    "NuSVR": ("sklearn.svm", "sklearnex.svm"),
    "ExtraTreesClassifier": ("sklearn.ensemble", "sklearnex.ensemble"),
    "ExtraTreesRegressor": ("sklearn.ensemble", "sklearnex.ensemble"),
    "LocalOutlierFactor": ("sklearn.neighbors", "sklearnex.neighbors"),
    # scikit-learn-intelex ships its EmpiricalCovariance among the preview estimators.
    "EmpiricalCovariance": ("sklearn.covariance", "sklearnex.preview.covariance"),
}

_sklearnex_error: BaseException | None = None


def sklearnex_available() -> bool:
    """Whether scikit-learn-intelex could be imported (else hetero.ml wraps stock scikit-learn)."""
    _base("KMeans")
    return _sklearnex_error is None


def _base(name: str) -> type:
    global _sklearnex_error
    sk_mod, ex_mod = ESTIMATORS[name]
    if _sklearnex_error is None:
        try:
            return getattr(importlib.import_module(ex_mod), name)
        except Exception as exc:  # not installed, or its native library does not load here
            _sklearnex_error = exc
    return getattr(importlib.import_module(sk_mod), name)


def _static_lookup(cls: type, name: str):
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _wrap_method(base: type, name: str):
    raw = _static_lookup(base, name)
    if raw is None:
        return None
    fn = raw.fn if isinstance(raw, _AvailableIfDescriptor) else getattr(base, name, None)
    if not callable(fn):
        return None
    call = _dispatch.call

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        return call(self, name, fn, args, kwargs)

    if isinstance(raw, _AvailableIfDescriptor):
        return _AvailableIfDescriptor(method, check=raw.check, attribute_name=raw.attribute_name)
    return method


def _wrap_property(prop: property, name: str) -> property:
    fget = prop.fget

    def getter(self):
        value = fget(self)
        if _dispatch.active():
            return value
        dev = self.__dict__.get("_hetero_device")
        if dev is None or type(value).__module__ != "numpy" or not hasattr(value, "dtype"):
            return value
        cache = self.__dict__.setdefault("_hetero_prop_cache", {})
        hit = cache.get(name)
        if hit is not None and hit[0] is value:
            return hit[1]
        moved = _dispatch._to_device(value, self.__dict__.get("_hetero_queue") or dev.sycl_queue,
                                     dev.has_fp64)
        cache[name] = (value, moved)
        return moved

    functools.update_wrapper(getter, fget)
    return property(getter, prop.fset, prop.fdel, prop.__doc__)


def make_estimator(name: str) -> type:
    """The hetero.ml class for scikit-learn's estimator ``name``."""
    base = _base(name)
    ns: dict = {
        "__module__": "hetero.ml",
        "__qualname__": name,
        "__doc__": (
            f"scikit-learn's ``{name}``, accelerated by scikit-learn-intelex, computing where its data "
            f"lives.\n\nDrop-in for ``{ESTIMATORS[name][0]}.{name}``: same parameters, same fitted "
            "attributes. Host (NumPy) data runs scikit-learn-intelex's accelerated host path; dpnp data "
            "runs on the data's SYCL device and fitted attributes and outputs are dpnp arrays there. "
            "See :mod:`hetero.ml` for placement rules and fall-backs.\n\n"
            + (base.__doc__ or "")
        ),
    }
    for m in DATA_METHODS:
        wrapped = _wrap_method(base, m)
        if wrapped is not None:
            ns[m] = wrapped
    for attr in dir(base):
        if attr.endswith("_") and not attr.startswith("_"):
            raw = _static_lookup(base, attr)
            if isinstance(raw, property):
                ns[attr] = _wrap_property(raw, attr)
    cls = type(name, (base,), ns)

    def __getstate__(self, _base=base):
        dev = self.__dict__.get("_hetero_device")
        if dev is not None and not dev.is_host:
            raise _dispatch.NotPicklableError(
                f"{type(self).__name__} fitted on data on {dev.filter_string} cannot be pickled: dpnp arrays "
                "and scikit-learn-intelex's device model have no pickle support. To save a model, fit it on "
                "host data (`est.fit(hetero.asnumpy(X), ...)`) and pickle that one."
            )
        getstate = getattr(_base, "__getstate__", None)
        state = dict(getstate(self)) if getstate is not None else dict(self.__dict__)
        # A SYCL queue cannot be pickled; it is found again from the device when needed.
        state.pop("_hetero_queue", None)
        state.pop("_hetero_prop_cache", None)
        return state

    cls.__getstate__ = __getstate__
    return cls

