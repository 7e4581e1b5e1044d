"""scikit-learn's own estimator checks on the hetero.ml classes, with host data.

What hetero promises for host data is that ``hetero.ml.X`` behaves like the class it wraps —
scikit-learn-intelex's own ``X`` (stock scikit-learn's where scikit-learn-intelex is absent). So each
check's expectation is decided here, at run time, from that reference class on this machine:

- the reference passes  -> hetero's class must pass;
- the reference fails   -> hetero's class must fail with the same exception type; the test is then an
  expected failure whose reason quotes the reference's error.

A list written on one CPU cannot hold on every CPU (oneDAL's float32 PCA, for instance, meets a singular
matrix in ``check_array_api_input`` on some Xeons and not on others), which is why there is no list of
inherited failures. ``MEANT_TO_DIFFER`` is only for checks where hetero deliberately behaves otherwise
than its reference; each entry says why.

The whole set (about 1100 checks, each run twice) takes about a minute on two cores.
"""

from __future__ import annotations

import re
import unittest
import warnings

import pytest

import hetero.ml as ml
from hetero.ml._estimators import _base

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

#: {estimator name: {check name: why hetero differs from its reference class}}. Empty: on host data
#: hetero.ml adds nothing to scikit-learn-intelex's behaviour.
MEANT_TO_DIFFER: dict[str, dict[str, str]] = {}


def _meant_to_differ(est):
    return MEANT_TO_DIFFER.get(type(est).__name__, {})


def _reference(estimator):
    """A fresh instance of the class hetero's estimator wraps, with the same parameters."""
    return _base(type(estimator).__name__)(**estimator.get_params(deep=False))


def _outcome(check, estimator) -> BaseException | None:
    """Run one check; its exception, or None when it passes. A skip (unittest.SkipTest) propagates."""
    with warnings.catch_warnings():
        # scikit-learn-intelex warns about its static hyperparameters and deprecated attributes.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        try:
            check(estimator)
        except unittest.SkipTest:
            raise
        except Exception as exc:  # the verdict is compared below, whatever its kind
            return exc
    return None


def _describe(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    first = re.sub(r"0x[0-9a-fA-F]+", "0x…", first)
    return f"{type(exc).__name__}: {first[:300]}"


def _verdicts(estimator, check) -> tuple[BaseException | None, BaseException | None]:
    """(reference's outcome, hetero's outcome) for one check."""
    return _outcome(check, _reference(estimator)), _outcome(check, estimator)


def _assert_same_verdict(estimator, check) -> None:
    ref, got = _verdicts(estimator, check)
    name = type(estimator).__name__
    ref_class = _base(name)
    ref_name = f"{ref_class.__module__}.{ref_class.__qualname__}"
    if ref is None:
        if got is not None:
            raise got  # the reference passes on this machine, so hetero's class must too
        return
    if got is None:
        pytest.fail(f"{ref_name} fails this check on this machine ({_describe(ref)}) but hetero.ml.{name} "
                    "passes it: hetero no longer behaves like the class it wraps")
    if type(got) is not type(ref):
        pytest.fail(f"{ref_name} and hetero.ml.{name} both fail this check, but differently:\n"
                    f"  reference: {_describe(ref)}\n  hetero:    {_describe(got)}")
    pytest.xfail(f"{ref_name} fails it the same way on this machine: {_describe(ref)}")


@parametrize_with_checks([cls() for cls in ml.estimators.values()], expected_failed_checks=_meant_to_differ)
def test_sklearn_check_estimator(estimator, check):
    _assert_same_verdict(estimator, check)


def _one_check(estimator_name: str, check_name: str):
    """The (estimator, check) pair that parametrize_with_checks generates for these names."""
    [param] = [
        p for p in parametrize_with_checks([ml.estimators[estimator_name]()]).args[1]
        if getattr(p, "values", p)[1].func.__name__ == check_name
        and not getattr(getattr(p, "values", p)[1], "keywords", None)
    ]
    return getattr(param, "values", param)


@pytest.mark.parametrize(
    "estimator_name,check_name",
    [
        ("KMeans", "check_sample_weight_equivalence_on_dense_data"),  # fails for sklearnex 2026.2's KMeans
        ("KMeans", "check_fit2d_1sample"),
        ("PCA", "check_fit_score_takes_y"),
        ("Ridge", "check_non_transformer_estimators_n_iter"),
    ],
)
def test_reference_and_hetero_get_the_same_verdict(estimator_name, check_name):
    """One check run on scikit-learn-intelex's class and on hetero's: pass/fail and the error type agree,
    whichever way the reference goes on this machine."""
    estimator, check = _one_check(estimator_name, check_name)
    ref, got = _verdicts(estimator, check)
    assert (ref is None) == (got is None), (ref, got)
    assert type(ref) is type(got), (_describe(ref) if ref else None, _describe(got) if got else None)


def test_a_hetero_regression_is_caught(monkeypatch):
    """The comparison fails when hetero's class breaks a check its reference passes."""
    estimator, check = _one_check("KMeans", "check_fit2d_1sample")
    assert _outcome(check, _reference(estimator)) is None

    def broken_fit(self, X, y=None, sample_weight=None):
        raise RuntimeError("deliberately broken for this test")

    monkeypatch.setattr(type(estimator), "fit", broken_fit)
    with pytest.raises(RuntimeError, match="deliberately broken"):
        _assert_same_verdict(estimator, check)
