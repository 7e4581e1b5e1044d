"""hetero.ml estimators agree with stock scikit-learn on the host and on every SYCL device.

Each test fits a hetero.ml estimator on host data ("host") and on data on each
SYCL device, checks that outputs and fitted array attributes live where the
data lives (NumPy for the host, dpnp on the data's device otherwise), and
compares them with stock scikit-learn fitted on the same (host) data.

Tolerances (float64 data; oneDAL and scikit-learn use different algorithms, so
"the same" means the same within these bounds):

===========================  ==================================================================
KMeans                       same partition (adjusted Rand index 1), centres (matched) atol 1e-6,
                             inertia / score rtol 1e-6 (both converge on well-separated blobs)
DBSCAN                       labels and core samples identical
PCA                          explained variance rtol 1e-6; components and transform atol 1e-6 up
                             to the sign of each component; score rtol 1e-6
LinearRegression, Ridge      coef_, intercept_, predict rtol 1e-6 (atol 1e-8); R^2 rtol 1e-6
LogisticRegression           predict_proba atol 1e-3; predictions agree on >= 99% of rows
KNeighbors*, NearestNeigh.   neighbour indices identical, distances rtol 1e-6, predictions
                             identical (classifier) or rtol 1e-6 (regressor)
RandomForest*                oneDAL's forest is a different random forest: held-out accuracy /
                             R^2 within 0.05 of stock scikit-learn's; probabilities sum to 1;
                             feature_importances_ non-negative, sum 1; on a SYCL CPU device the
                             predictions equal hetero.ml's host predictions exactly
SVC                          same support vectors, decision_function atol 1e-3, predictions equal
NuSVC                        decision_function atol 1e-2, predictions agree on >= 95% of rows
SVR, NuSVR                   predict atol 1e-2 * max|y|
ExtraTrees*                  held-out accuracy within 0.05, R^2 within 0.1 of stock's (oneDAL's
                             histogram-based extra trees differ more on 120 samples); device
                             predictions equal host predictions exactly
LocalOutlierFactor           same outlier labels, negative_outlier_factor_ rtol 1e-6
EmpiricalCovariance          covariance_, location_, precision_, mahalanobis, score rtol 1e-6
===========================  ==================================================================
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import hetero
import hetero.ml as ml

from .conftest import SYCL_DEVICES

try:  # device tests need dpnp; they are parametrised only when a SYCL device exists
    import dpnp
except ImportError:  # pragma: no cover - machines without the SYCL stack
    dpnp = None

from sklearn.metrics import adjusted_rand_score  # noqa: E402

PLACES = ["host"] + [d.filter_string for d in SYCL_DEVICES]


def _stock_classes() -> dict:
    import importlib

    from hetero.ml._estimators import ESTIMATORS

    assert not ml.is_patched()
    out = {name: getattr(importlib.import_module(mod), name) for name, (mod, _) in ESTIMATORS.items()}
    for name, klass in out.items():
        assert klass.__module__.startswith("sklearn."), f"sklearn.{name} is patched: {klass.__module__}"
    return out


STOCK = _stock_classes()


def stock(name: str) -> type:
    """Stock scikit-learn's class."""
    return STOCK[name]


@pytest.fixture(params=PLACES)
def where(request):
    """'host' and the filter string of every SYCL device."""
    return request.param


def put(a, where):
    return a if where == "host" else hetero.asarray(a, device=where)


def assert_on(x, where, what="output"):
    if where == "host":
        assert isinstance(x, np.ndarray), f"{what} is a {type(x).__name__}, expected a NumPy array"
    else:
        assert isinstance(x, dpnp.ndarray), f"{what} is a {type(x).__name__}, expected a dpnp array"
        assert hetero.device_of(x) == hetero.select_device(where), f"{what} is on {hetero.device_of(x)}"


def assert_attrs_on(est, names, where):
    for n in names:
        assert_on(getattr(est, n), where, f"{type(est).__name__}.{n}")


H = hetero.asnumpy


@pytest.fixture
def allow_fallback():
    """Tests that ask for this fixture may see a hetero.FallbackWarning."""


@pytest.fixture(autouse=True)
def _no_fallback_warning_expected(request):
    """Default parameters must run on the device: a FallbackWarning fails these tests."""
    if "allow_fallback" in request.fixturenames:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error", hetero.FallbackWarning)
        yield


# --- data (small: the suite must stay fast on two cores) ---------------------------------------

RNG = np.random.default_rng(42)
CENTRES = np.array([[0.0, 0.0, 0.0, 0.0], [6.0, 6.0, 0.0, 0.0], [0.0, 6.0, 6.0, 6.0]])
BLOBS = np.concatenate([c + RNG.standard_normal((50, 4)) * 0.6 for c in CENTRES])
X_CLS = RNG.standard_normal((160, 5))
Y_CLS = (X_CLS[:, 0] + 0.5 * X_CLS[:, 1] - 0.25 * X_CLS[:, 2] + 0.3 * RNG.standard_normal(160) > 0).astype(np.int64)
X_REG = RNG.standard_normal((160, 5))
Y_REG = X_REG @ np.array([1.5, -2.0, 0.5, 0.0, 3.0]) + 0.7 + 0.1 * RNG.standard_normal(160)
X_TEST = RNG.standard_normal((40, 5))
SPLIT = 120


def _match_centres(a, b):
    """Permutation of rows of b closest to rows of a."""
    order = [int(np.argmin(((b - row) ** 2).sum(1))) for row in a]
    assert sorted(order) == list(range(len(a)))
    return b[order]


# --- clustering --------------------------------------------------------------------------------


def test_kmeans(where):
    params = dict(n_clusters=3, n_init=3, random_state=0, tol=1e-8)
    ref = stock("KMeans")(**params).fit(BLOBS)
    est = ml.KMeans(**params).fit(put(BLOBS, where))
    assert_attrs_on(est, ["cluster_centers_", "labels_"], where)
    np.testing.assert_allclose(_match_centres(H(est.cluster_centers_), ref.cluster_centers_),
                               H(est.cluster_centers_), atol=1e-6)
    assert adjusted_rand_score(ref.labels_, H(est.labels_)) == 1.0
    np.testing.assert_allclose(float(est.inertia_), ref.inertia_, rtol=1e-6)
    pred = est.predict(put(BLOBS, where))
    assert_on(pred, where)
    assert adjusted_rand_score(ref.predict(BLOBS), H(pred)) == 1.0
    dist = est.transform(put(BLOBS, where))
    assert_on(dist, where)
    np.testing.assert_allclose(np.sort(H(dist), axis=1), np.sort(ref.transform(BLOBS), axis=1), atol=1e-6)
    np.testing.assert_allclose(float(est.score(put(BLOBS, where))), ref.score(BLOBS), rtol=1e-6)
    fp = est.fit_predict(put(BLOBS, where))
    assert_on(fp, where)
    assert adjusted_rand_score(ref.labels_, H(fp)) == 1.0


def test_dbscan(where):
    params = dict(eps=1.2, min_samples=5)
    ref = stock("DBSCAN")(**params).fit(BLOBS)
    est = ml.DBSCAN(**params).fit(put(BLOBS, where))
    assert_attrs_on(est, ["labels_", "core_sample_indices_", "components_"], where)
    np.testing.assert_array_equal(H(est.labels_), ref.labels_)
    np.testing.assert_array_equal(np.sort(H(est.core_sample_indices_)), ref.core_sample_indices_)
    np.testing.assert_allclose(H(est.components_)[np.argsort(H(est.core_sample_indices_))],
                               ref.components_, rtol=1e-12)
    labels = ml.DBSCAN(**params).fit_predict(put(BLOBS, where))
    assert_on(labels, where)
    np.testing.assert_array_equal(H(labels), ref.labels_)


# --- decomposition / covariance ----------------------------------------------------------------


def _sign_align(a, ref, axis):
    """Flip the sign of each component of ``a`` (rows if axis=1, columns if axis=0) to match ``ref``."""
    s = np.sign((a * ref).sum(axis=axis, keepdims=True))
    s[s == 0] = 1
    return a * s


def test_pca(where):
    params = dict(n_components=3)
    ref = stock("PCA")(**params).fit(X_REG)
    est = ml.PCA(**params).fit(put(X_REG, where))
    assert_attrs_on(est, ["components_", "explained_variance_", "explained_variance_ratio_",
                          "singular_values_", "mean_"], where)
    np.testing.assert_allclose(H(est.explained_variance_), ref.explained_variance_, rtol=1e-6)
    np.testing.assert_allclose(H(est.explained_variance_ratio_), ref.explained_variance_ratio_, rtol=1e-6)
    np.testing.assert_allclose(H(est.mean_), ref.mean_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(_sign_align(H(est.components_), ref.components_, 1), ref.components_, atol=1e-6)
    t = est.transform(put(X_TEST, where))
    assert_on(t, where)
    np.testing.assert_allclose(_sign_align(H(t), ref.transform(X_TEST), 0), ref.transform(X_TEST), atol=1e-6)
    np.testing.assert_allclose(float(est.score(put(X_TEST, where))), ref.score(X_TEST), rtol=1e-6)
    ft = ml.PCA(**params).fit_transform(put(X_REG, where))
    assert_on(ft, where)
    np.testing.assert_allclose(_sign_align(H(ft), ref.transform(X_REG), 0), ref.transform(X_REG), atol=1e-6)


def test_empirical_covariance(where):
    ref = stock("EmpiricalCovariance")().fit(X_REG)
    est = ml.EmpiricalCovariance().fit(put(X_REG, where))
    assert_attrs_on(est, ["covariance_", "location_", "precision_"], where)
    np.testing.assert_allclose(H(est.covariance_), ref.covariance_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(H(est.location_), ref.location_, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(H(est.precision_), ref.precision_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(float(est.score(put(X_TEST, where))), ref.score(X_TEST), rtol=1e-6)


def test_empirical_covariance_mahalanobis(where, allow_fallback):
    # oneDAL has no Mahalanobis distance: on a device this is a documented host fall-back.
    ref = stock("EmpiricalCovariance")().fit(X_REG)
    est = ml.EmpiricalCovariance().fit(put(X_REG, where))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        d = est.mahalanobis(put(X_TEST, where))
    assert_on(d, where)
    np.testing.assert_allclose(H(d), ref.mahalanobis(X_TEST), rtol=1e-6)
    fallbacks = [w for w in rec if issubclass(w.category, hetero.FallbackWarning)]
    assert (len(fallbacks) == 1) == (where != "host")


# --- linear models ----------------------------------------------------------------------------


@pytest.mark.parametrize("name,params", [("LinearRegression", {}), ("Ridge", {"alpha": 2.0}),
                                         ("LinearRegression", {"fit_intercept": False})])
def test_linear_regressors(where, name, params):
    ref = stock(name)(**params).fit(X_REG, Y_REG)
    est = ml.estimators[name](**params).fit(put(X_REG, where), put(Y_REG, where))
    assert_attrs_on(est, ["coef_"], where)
    np.testing.assert_allclose(H(est.coef_), ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.asarray(H(est.intercept_)), ref.intercept_, rtol=1e-6, atol=1e-8)
    pred = est.predict(put(X_TEST, where))
    assert_on(pred, where)
    np.testing.assert_allclose(H(pred), ref.predict(X_TEST), rtol=1e-6, atol=1e-8)
    y_test = X_TEST @ np.array([1.5, -2.0, 0.5, 0.0, 3.0]) + 0.7
    np.testing.assert_allclose(float(est.score(put(X_TEST, where), put(y_test, where))),
                               ref.score(X_TEST, y_test), rtol=1e-6)


def test_logistic_regression(where, allow_fallback):
    # scikit-learn-intelex 2026.2 runs LogisticRegression on SYCL CPU devices only through its host
    # path: on such a device this is a documented fall-back (checked in test_ml_errors.py).
    ref = stock("LogisticRegression")().fit(X_CLS, Y_CLS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hetero.FallbackWarning)
        est = ml.LogisticRegression().fit(put(X_CLS, where), put(Y_CLS, where))
        assert_attrs_on(est, ["coef_", "intercept_", "classes_"], where)
        proba = est.predict_proba(put(X_TEST, where))
        pred = est.predict(put(X_TEST, where))
        dec = est.decision_function(put(X_TEST, where))
    assert_on(proba, where)
    assert_on(pred, where)
    assert_on(dec, where)
    np.testing.assert_allclose(H(proba), ref.predict_proba(X_TEST), atol=1e-3)
    assert np.mean(H(pred) == ref.predict(X_TEST)) >= 0.99
    np.testing.assert_array_equal(H(est.classes_), ref.classes_)


# --- neighbours -------------------------------------------------------------------------------


def test_kneighbors_classifier(where):
    params = dict(n_neighbors=5)
    ref = stock("KNeighborsClassifier")(**params).fit(X_CLS, Y_CLS)
    est = ml.KNeighborsClassifier(**params).fit(put(X_CLS, where), put(Y_CLS, where))
    assert_attrs_on(est, ["classes_"], where)
    pred = est.predict(put(X_TEST, where))
    assert_on(pred, where)
    np.testing.assert_array_equal(H(pred), ref.predict(X_TEST))
    proba = est.predict_proba(put(X_TEST, where))
    assert_on(proba, where)
    np.testing.assert_allclose(H(proba), ref.predict_proba(X_TEST), atol=1e-12)
    dist, ind = est.kneighbors(put(X_TEST, where))
    assert_on(dist, where)
    assert_on(ind, where)
    rdist, rind = ref.kneighbors(X_TEST)
    np.testing.assert_array_equal(H(ind), rind)
    np.testing.assert_allclose(H(dist), rdist, rtol=1e-6)
    y_test = (X_TEST[:, 0] > 0).astype(np.int64)
    np.testing.assert_allclose(float(est.score(put(X_TEST, where), put(y_test, where))),
                               ref.score(X_TEST, y_test), rtol=1e-12)


def test_kneighbors_regressor(where):
    params = dict(n_neighbors=4, weights="distance")
    ref = stock("KNeighborsRegressor")(**params).fit(X_REG, Y_REG)
    est = ml.KNeighborsRegressor(**params).fit(put(X_REG, where), put(Y_REG, where))
    pred = est.predict(put(X_TEST, where))
    assert_on(pred, where)
    np.testing.assert_allclose(H(pred), ref.predict(X_TEST), rtol=1e-6)
    dist, ind = est.kneighbors(put(X_TEST, where), n_neighbors=2)
    assert_on(ind, where)
    rdist, rind = ref.kneighbors(X_TEST, n_neighbors=2)
    np.testing.assert_array_equal(H(ind), rind)
    np.testing.assert_allclose(H(dist), rdist, rtol=1e-6)


def test_nearest_neighbors(where):
    ref = stock("NearestNeighbors")(n_neighbors=3).fit(X_REG)
    est = ml.NearestNeighbors(n_neighbors=3).fit(put(X_REG, where))
    dist, ind = est.kneighbors(put(X_TEST, where))
    assert_on(dist, where)
    assert_on(ind, where)
    rdist, rind = ref.kneighbors(X_TEST)
    np.testing.assert_array_equal(H(ind), rind)
    np.testing.assert_allclose(H(dist), rdist, rtol=1e-6)
    ind_only = est.kneighbors(put(X_TEST, where), return_distance=False)
    assert_on(ind_only, where)
    np.testing.assert_array_equal(H(ind_only), rind)


# --- ensembles / SVM --------------------------------------------------------------------------


def test_random_forest_classifier(where):
    params = dict(n_estimators=20, random_state=0, max_depth=6)
    Xtr, ytr, Xte, yte = X_CLS[:SPLIT], Y_CLS[:SPLIT], X_CLS[SPLIT:], Y_CLS[SPLIT:]
    ref = stock("RandomForestClassifier")(**params).fit(Xtr, ytr)
    est = ml.RandomForestClassifier(**params).fit(put(Xtr, where), put(ytr, where))
    assert_attrs_on(est, ["classes_", "feature_importances_"], where)
    imp = H(est.feature_importances_)
    assert np.all(imp >= 0) and abs(imp.sum() - 1) < 1e-6
    proba = est.predict_proba(put(Xte, where))
    assert_on(proba, where)
    np.testing.assert_allclose(H(proba).sum(1), 1.0, rtol=1e-6)
    pred = est.predict(put(Xte, where))
    assert_on(pred, where)
    acc = float(est.score(put(Xte, where), put(yte, where)))
    assert acc == pytest.approx(np.mean(H(pred) == yte))
    assert acc >= ref.score(Xte, yte) - 0.05
    _same_forest_as_host("RandomForestClassifier", params, X_CLS, Y_CLS, where, pred)


def test_random_forest_regressor(where):
    params = dict(n_estimators=20, random_state=0)
    Xtr, ytr, Xte, yte = X_REG[:SPLIT], Y_REG[:SPLIT], X_REG[SPLIT:], Y_REG[SPLIT:]
    ref = stock("RandomForestRegressor")(**params).fit(Xtr, ytr)
    est = ml.RandomForestRegressor(**params).fit(put(Xtr, where), put(ytr, where))
    assert_attrs_on(est, ["feature_importances_"], where)
    pred = est.predict(put(Xte, where))
    assert_on(pred, where)
    r2 = float(est.score(put(Xte, where), put(yte, where)))
    assert r2 >= ref.score(Xte, yte) - 0.05
    _same_forest_as_host("RandomForestRegressor", params, X_REG, Y_REG, where, pred)


def test_svc(where):
    params = dict(kernel="rbf", C=1.0)
    ref = stock("SVC")(**params).fit(X_CLS, Y_CLS)
    est = ml.SVC(**params).fit(put(X_CLS, where), put(Y_CLS, where))
    assert_attrs_on(est, ["support_", "support_vectors_", "dual_coef_", "intercept_", "classes_"], where)
    np.testing.assert_array_equal(np.sort(H(est.support_)), np.sort(ref.support_))
    dec = est.decision_function(put(X_TEST, where))
    assert_on(dec, where)
    np.testing.assert_allclose(H(dec), ref.decision_function(X_TEST), atol=1e-3)
    pred = est.predict(put(X_TEST, where))
    assert_on(pred, where)
    np.testing.assert_array_equal(H(pred), ref.predict(X_TEST))


@pytest.mark.parametrize("name", ["SVR", "NuSVR"])
def test_support_vector_regressors(where, name):
    params = dict(C=10.0, epsilon=0.1) if name == "SVR" else dict(C=10.0, nu=0.5)
    ref = stock(name)(**params).fit(X_REG, Y_REG)
    est = ml.estimators[name](**params).fit(put(X_REG, where), put(Y_REG, where))
    assert_attrs_on(est, ["support_", "support_vectors_", "dual_coef_", "intercept_"], where)
    pred = est.predict(put(X_TEST, where))
    assert_on(pred, where)
    np.testing.assert_allclose(H(pred), ref.predict(X_TEST), atol=1e-2 * np.abs(Y_REG).max())


def test_nu_svc(where):
    ref = stock("NuSVC")(nu=0.3).fit(X_CLS, Y_CLS)
    est = ml.NuSVC(nu=0.3).fit(put(X_CLS, where), put(Y_CLS, where))
    assert_attrs_on(est, ["support_", "dual_coef_", "classes_"], where)
    dec = est.decision_function(put(X_TEST, where))
    assert_on(dec, where)
    np.testing.assert_allclose(H(dec), ref.decision_function(X_TEST), atol=1e-2)
    pred = est.predict(put(X_TEST, where))
    assert np.mean(H(pred) == ref.predict(X_TEST)) >= 0.95


@pytest.mark.parametrize("name", ["ExtraTreesClassifier", "ExtraTreesRegressor"])
def test_extra_trees(where, name):
    X, y = (X_CLS, Y_CLS) if name.endswith("Classifier") else (X_REG, Y_REG)
    params = dict(n_estimators=20, random_state=0)
    ref = stock(name)(**params).fit(X[:SPLIT], y[:SPLIT])
    est = ml.estimators[name](**params).fit(put(X[:SPLIT], where), put(y[:SPLIT], where))
    assert_attrs_on(est, ["feature_importances_"], where)
    pred = est.predict(put(X[SPLIT:], where))
    assert_on(pred, where)
    slack = 0.05 if name.endswith("Classifier") else 0.1
    assert float(est.score(put(X[SPLIT:], where), put(y[SPLIT:], where))) >= ref.score(X[SPLIT:], y[SPLIT:]) - slack
    _same_forest_as_host(name, params, X, y, where, pred)


def _same_forest_as_host(name, params, X, y, where, pred):
    """oneDAL grows the same forest on a SYCL CPU device as on the host (same engine and seed)."""
    if where == "host" or hetero.select_device(where).kind != "cpu":
        return
    host = ml.estimators[name](**params).fit(X[:SPLIT], y[:SPLIT])
    np.testing.assert_array_equal(H(pred), host.predict(X[SPLIT:]))


def test_local_outlier_factor(where):
    Xo = np.concatenate([BLOBS, [[20.0, 20.0, 20.0, 20.0], [-15.0, 3.0, 0.0, 9.0]]])
    ref = stock("LocalOutlierFactor")(n_neighbors=10)
    ref_labels = ref.fit_predict(Xo)
    est = ml.LocalOutlierFactor(n_neighbors=10)
    labels = est.fit_predict(put(Xo, where))
    assert_on(labels, where)
    np.testing.assert_array_equal(H(labels), ref_labels)
    assert_attrs_on(est, ["negative_outlier_factor_"], where)
    np.testing.assert_allclose(H(est.negative_outlier_factor_), ref.negative_outlier_factor_, rtol=1e-6)
    novel = ml.LocalOutlierFactor(n_neighbors=10, novelty=True).fit(put(BLOBS, where))
    p = novel.predict(put(Xo[-2:], where))
    assert_on(p, where)
    np.testing.assert_array_equal(H(p), [-1, -1])


# --- generic behaviour ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ml.estimators))
def test_drop_in(name):
    """Same parameters as scikit-learn's class; get_params/set_params/clone/repr work."""
    import inspect

    from sklearn.base import clone

    cls = ml.estimators[name]
    ref = stock(name)
    # scikit-learn-intelex's forests derive from scikit-learn's ForestClassifier/ForestRegressor,
    # not from RandomForest*: isinstance(est, sklearn.ensemble.RandomForestClassifier) is False.
    assert issubclass(cls, ref) or name.startswith("RandomForest")
    assert cls.__name__ == name and cls.__module__ == "hetero.ml"
    ours, theirs = set(inspect.signature(cls).parameters), set(inspect.signature(ref).parameters)
    # scikit-learn-intelex adds n_jobs to some estimators and oneDAL's histogram settings
    # (max_bins, min_bin_size) to the forests; nothing else may differ.
    assert theirs <= ours and ours - theirs <= {"n_jobs", "max_bins", "min_bin_size"}
    est = cls()
    assert set(ref().get_params()) <= set(est.get_params())
    c = clone(est.set_params(**{next(iter(theirs)): est.get_params()[next(iter(theirs))]}))
    assert type(c) is cls and c.get_params() == est.get_params()
    assert repr(est).startswith(f"{name}(")
    for method in ("fit", "predict", "predict_proba", "transform", "score", "kneighbors"):
        if hasattr(ref, method):
            assert hasattr(cls, method), method
            mine = set(inspect.signature(getattr(cls, method)).parameters)
            assert set(inspect.signature(getattr(ref, method)).parameters) <= mine, method


def test_float32_stays_float32(where):
    X = put(BLOBS.astype(np.float32), where)
    est = ml.KMeans(n_clusters=3, n_init=2, random_state=0).fit(X)
    assert est.cluster_centers_.dtype == np.float32
    assert_on(est.cluster_centers_, where)


def test_usm_ndarray_input():
    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")
    tensor = pytest.importorskip("dpnp.tensor")
    x = hetero.asarray(BLOBS, device=SYCL_DEVICES[0])
    usm = x.get_array() if hasattr(x, "get_array") else tensor.asarray(x)
    assert isinstance(usm, tensor.usm_ndarray)
    est = ml.KMeans(n_clusters=3, n_init=2, random_state=0).fit(usm)
    assert_on(est.cluster_centers_, SYCL_DEVICES[0].filter_string)
    assert_on(est.predict(usm), SYCL_DEVICES[0].filter_string)


def test_host_fit_pickles():
    import pickle

    est = ml.KMeans(n_clusters=3, n_init=2, random_state=0).fit(BLOBS)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(BLOBS), est.predict(BLOBS))


def test_device_fit_refuses_pickle_clearly():
    import pickle

    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")
    est = ml.KMeans(n_clusters=3, n_init=2, random_state=0).fit(hetero.asarray(BLOBS, device=SYCL_DEVICES[0]))
    with pytest.raises(ml.NotPicklableError, match="fit it on host data"):
        pickle.dumps(est)


def test_import_hetero_does_not_import_sklearn(clean_env):
    r = clean_env("import sys, hetero; print('sklearn' in sys.modules, 'scipy' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False"]


def test_run_demo(capsys):
    from hetero.ml._demo import run_demo

    assert run_demo(hetero.devices()) is True
    out = capsys.readouterr().out
    for d in hetero.devices():
        assert d.filter_string in out
    assert "WRONG" not in out


def test_run_demo_catches_wrong_placement(monkeypatch, capsys):
    """A KMeans that leaves results on the host must be reported for a SYCL device."""
    from hetero.ml._demo import run_demo

    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")

    class HostOnly(stock("KMeans")):
        def fit(self, X, y=None, sample_weight=None):
            return super().fit(hetero.asnumpy(X))

        def predict(self, X):
            return super().predict(hetero.asnumpy(X))

    monkeypatch.setattr(ml, "KMeans", HostOnly)
    assert run_demo(SYCL_DEVICES) is False
    assert "WRONG" in capsys.readouterr().out


def test_patch_unpatch():
    import sklearn.cluster
    import sklearn.linear_model

    before = sklearn.cluster.KMeans
    assert not ml.is_patched()
    ml.patch()
    try:
        assert ml.is_patched()
        from sklearn.cluster import KMeans
        from sklearn.linear_model import Ridge

        assert KMeans is ml.KMeans and Ridge is ml.Ridge
        ml.patch()  # idempotent
        if SYCL_DEVICES:
            x = hetero.asarray(BLOBS, device=SYCL_DEVICES[0])
            km = KMeans(n_clusters=3, n_init=2, random_state=0).fit(x)
            assert_on(km.cluster_centers_, SYCL_DEVICES[0].filter_string)
    finally:
        ml.unpatch()
    assert not ml.is_patched()
    assert sklearn.cluster.KMeans is before
    assert sklearn.linear_model.Ridge is stock("Ridge")


def test_pipeline_follows_the_data(where):
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(ml.PCA(n_components=3), ml.KNeighborsClassifier(n_neighbors=5))
    model.fit(put(X_CLS, where), put(Y_CLS, where))
    pred = model.predict(put(X_TEST, where))
    assert_on(pred, where)
    ref = make_pipeline(stock("PCA")(n_components=3), stock("KNeighborsClassifier")(n_neighbors=5))
    ref.fit(X_CLS, Y_CLS)
    # Sign flips of PCA components do not change Euclidean neighbours.
    np.testing.assert_array_equal(H(pred), ref.predict(X_TEST))


def test_threads_share_the_log_filter_safely():
    """Device and host calls from several threads at once: right results, sklearnex logger restored."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")
    logger = logging.getLogger("sklearnex")
    level = logger.level
    ref = stock("KMeans")(n_clusters=3, n_init=2, random_state=0).fit(BLOBS)

    def job(i):
        where = "host" if i % 2 else SYCL_DEVICES[0].filter_string
        if i % 3 == 0:  # some calls fall back, some do not
            ml.DBSCAN(eps=0.3, metric="cosine").fit(put(BLOBS, where))
        km = ml.KMeans(n_clusters=3, n_init=2, random_state=0).fit(put(BLOBS, where))
        assert_on(km.labels_, where)
        return adjusted_rand_score(ref.labels_, H(km.labels_))

    with warnings.catch_warnings():  # (process-wide: set once, outside the threads)
        # FallbackWarning from the cosine DBSCAN; daal4py warns that it ignores joblib's threading backend.
        warnings.simplefilter("ignore", UserWarning)
        with ThreadPoolExecutor(4) as pool:
            scores = list(pool.map(job, range(8)))
    assert scores == [1.0] * 8
    assert logger.level == level


def test_public_names_exist():
    for name in ml.__all__:
        assert hasattr(ml, name), name
    assert set(ml.estimators) <= set(ml.__all__)
