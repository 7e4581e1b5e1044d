"""scikit-learn's own estimator checks on the hetero.ml classes, with host data.

The whole set (about 1100 checks) takes about 25 s on two cores. The checks listed in
``EXPECTED_FAILED`` fail identically on scikit-learn-intelex's own classes
(hetero.ml adds nothing on the host path); each entry says why.
"""

from __future__ import annotations

import warnings

import pytest

import hetero.ml as ml

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

_WEIGHTS_NOT_REPEATS = (
    "oneDAL's weighted fit is not numerically equivalent (rtol 1e-7) to removing/repeating samples; "
    "fails identically on scikit-learn-intelex 2026.2's own class"
)

EXPECTED_FAILED = {
    "KMeans": {
        "check_sample_weight_equivalence_on_dense_data": (
            "scikit-learn-intelex 2026.2 bug: with these sample weights fit falls back to scikit-learn, "
            "then predict dispatches to oneDAL and raises AttributeError '_onedal_estimator'"
        ),
        "check_sample_weight_equivalence_on_sparse_data": (
            "same scikit-learn-intelex 2026.2 bug as on dense data (AttributeError '_onedal_estimator')"
        ),
    },
    "LinearRegression": {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_NOT_REPEATS},
    "LogisticRegression": {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_NOT_REPEATS},
    "Ridge": {
        "check_non_transformer_estimators_n_iter": (
            "scikit-learn-intelex's oneDAL Ridge does not set n_iter_ (stock Ridge sets it for "
            "iterative solvers)"
        ),
    },
    "RandomForestClassifier": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn "
        "(random forests: sample_weight is not equivalent to removing/repeating samples)",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn",
    },
    "RandomForestRegressor": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn "
        "(random forests: sample_weight is not equivalent to removing/repeating samples)",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn",
    },
    "SVR": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn's SVR",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn's SVR",
    },
    "NuSVR": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn's NuSVR",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn's NuSVR",
    },
    "NuSVC": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn's NuSVC "
        "(here: 'specified nu is infeasible')",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn's NuSVC",
        "check_classifiers_one_label_sample_weights": "also expected to fail for stock scikit-learn's NuSVC "
        "(specified nu is infeasible for the fit)",
        "check_sample_weights_not_an_array": (
            "scikit-learn-intelex's NuSVC reshapes sample_weight through the array API, which the check's "
            "_NotAnArray wrapper forbids"
        ),
    },
    "ExtraTreesClassifier": {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_NOT_REPEATS},
    "ExtraTreesRegressor": {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_NOT_REPEATS},
    "SVC": {
        "check_sample_weight_equivalence_on_dense_data": "also expected to fail for stock scikit-learn's SVC",
        "check_sample_weight_equivalence_on_sparse_data": "also expected to fail for stock scikit-learn's SVC",
        "check_sample_weights_not_an_array": (
            "scikit-learn-intelex's SVC reshapes sample_weight through the array API, which the check's "
            "_NotAnArray wrapper forbids"
        ),
    },
}


def _expected_failed(est):
    return EXPECTED_FAILED.get(type(est).__name__, {})


@parametrize_with_checks([cls() for cls in ml.estimators.values()], expected_failed_checks=_expected_failed)
def test_sklearn_check_estimator(estimator, check):
    with warnings.catch_warnings():
        # scikit-learn-intelex warns about its static hyperparameters and deprecated attributes.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        check(estimator)


def _base_class(name):
    import importlib

    from hetero.ml._estimators import ESTIMATORS

    return getattr(importlib.import_module(ESTIMATORS[name][1]), name)


@pytest.mark.parametrize(
    "name,check_name",
    [(n, c) for n, checks in EXPECTED_FAILED.items() for c in checks],
)
def test_expected_failures_are_inherited(name, check_name):
    """Each expected failure fails the same way on scikit-learn-intelex's own class: not hetero's doing."""
    import sklearn.utils.estimator_checks as ec

    if not ml.sklearnex_available():
        pytest.skip("scikit-learn-intelex is not installed")
    check = getattr(ec, check_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((AssertionError, AttributeError, TypeError, ValueError)):
            check(name, _base_class(name)())
