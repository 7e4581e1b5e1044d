"""scikit-learn estimators that compute where their data lives.

``from hetero.ml import KMeans`` gives scikit-learn's ``KMeans`` (same
parameters, same fitted attributes, ``get_params``/``clone`` work), accelerated by
scikit-learn-intelex, and placed by its data:

* **Host data** (NumPy, lists, pandas, SciPy sparse) runs scikit-learn-intelex's
  accelerated host path; results are NumPy.
* **Device data** (dpnp arrays) runs on the arrays' SYCL queue (oneDAL through
  ``target_offload=<queue>`` with scikit-learn's array-API dispatch); fitted
  array attributes and outputs are dpnp arrays on that queue.
* **Mixed placement** (X and y on different devices, NumPy mixed with dpnp, or a
  method called with data on another device than the fit's) raises
  :class:`hetero.PlacementError`. hetero never copies implicitly.
* **Fall-back.** Where oneDAL cannot run an estimator or parameter combination
  on the data's device, the call runs on the host and its results (outputs and
  fitted attributes) are put back on the data's device, with a
  :class:`hetero.FallbackWarning` naming the estimator, the method and oneDAL's
  reason. ``HETERO_ML_FALLBACK=error`` raises :class:`FallbackError` instead;
  ``HETERO_ML_FALLBACK=silent`` falls back quietly.
* **dtypes.** On a device without fp64, float64 device arrays are refused
  (:class:`hetero.UnsupportedDtypeError`), integer/bool ``X`` is converted to
  float32, and float64 results of a host fall-back come back as float32.
* **SCIPY_ARRAY_API.** scikit-learn keeps device arrays on their device only
  when scipy was imported with ``SCIPY_ARRAY_API=1``; ``import hetero`` sets it
  when scipy is not loaded yet. When it is too late, the first device-data call
  raises :class:`hetero.ConfigurationError` saying what to do.

:func:`patch` makes plain ``sklearn`` imports give these classes (and
scikit-learn-intelex's accelerated functions); :func:`unpatch` undoes it.

Importing :mod:`hetero.ml` imports scikit-learn and scikit-learn-intelex;
``import hetero`` alone does not.
"""

from __future__ import annotations

import importlib
import threading

from ._dispatch import FallbackError, NotPicklableError, fallback_policy
from ._estimators import ESTIMATORS, make_estimator, sklearnex_available

__all__ = [
    "KMeans",
    "DBSCAN",
    "PCA",
    "LinearRegression",
    "Ridge",
    "LogisticRegression",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
    "NearestNeighbors",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "SVC",
    "NuSVC",
    "SVR",
    "NuSVR",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "LocalOutlierFactor",
    "EmpiricalCovariance",
    "estimators",
    "FallbackError",
    "NotPicklableError",
    "patch",
    "unpatch",
    "is_patched",
    "fallback_policy",
    "sklearnex_available",
]

KMeans = make_estimator("KMeans")
DBSCAN = make_estimator("DBSCAN")
PCA = make_estimator("PCA")
LinearRegression = make_estimator("LinearRegression")
Ridge = make_estimator("Ridge")
LogisticRegression = make_estimator("LogisticRegression")
KNeighborsClassifier = make_estimator("KNeighborsClassifier")
KNeighborsRegressor = make_estimator("KNeighborsRegressor")
NearestNeighbors = make_estimator("NearestNeighbors")
RandomForestClassifier = make_estimator("RandomForestClassifier")
RandomForestRegressor = make_estimator("RandomForestRegressor")
SVC = make_estimator("SVC")
NuSVC = make_estimator("NuSVC")
SVR = make_estimator("SVR")
NuSVR = make_estimator("NuSVR")
ExtraTreesClassifier = make_estimator("ExtraTreesClassifier")
ExtraTreesRegressor = make_estimator("ExtraTreesRegressor")
LocalOutlierFactor = make_estimator("LocalOutlierFactor")
EmpiricalCovariance = make_estimator("EmpiricalCovariance")

#: Every hetero.ml estimator class by name.
estimators = {name: globals()[name] for name in ESTIMATORS}

_patch_lock = threading.Lock()
_saved: dict[tuple[str, str], object] = {}
_patched_sklearnex = False


def patch() -> None:
    """Make ``from sklearn.<module> import <Estimator>`` give the hetero.ml classes.

    scikit-learn-intelex's ``patch_sklearn()`` is applied first (its accelerated
    estimators and functions for everything hetero.ml does not list), then each
    hetero.ml estimator replaces its scikit-learn name, so those follow their
    data to its device. Like ``patch_sklearn``, it affects imports made after
    the call. Idempotent; undone by :func:`unpatch`.

    Examples
    --------
    >>> import hetero.ml
    >>> hetero.ml.patch()
    >>> from sklearn.cluster import KMeans
    >>> KMeans is hetero.ml.KMeans
    True
    >>> hetero.ml.unpatch()
    """
    global _patched_sklearnex
    with _patch_lock:
        if _saved:
            return
        if sklearnex_available():
            import sklearnex

            if not sklearnex.sklearn_is_patched():
                sklearnex.patch_sklearn(verbose=False)
                _patched_sklearnex = True
        for name, (sk_mod, _) in ESTIMATORS.items():
            module = importlib.import_module(sk_mod)
            _saved[(sk_mod, name)] = getattr(module, name)
            setattr(module, name, estimators[name])


def unpatch() -> None:
    """Undo :func:`patch`: scikit-learn names give what they gave before it."""
    global _patched_sklearnex
    with _patch_lock:
        for (sk_mod, name), previous in _saved.items():
            setattr(importlib.import_module(sk_mod), name, previous)
        _saved.clear()
        if _patched_sklearnex:
            import sklearnex

            sklearnex.unpatch_sklearn()
            _patched_sklearnex = False


def is_patched() -> bool:
    """Whether :func:`patch` is in effect."""
    return bool(_saved)
