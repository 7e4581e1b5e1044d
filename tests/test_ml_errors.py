"""hetero.ml with bad input: mixed placement, NaN/inf, wrong shapes, fp64-less devices, fall-backs,
SCIPY_ARRAY_API set too late. Each is a clear hetero error or a documented conversion."""

from __future__ import annotations

import logging
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

from sklearn.exceptions import NotFittedError  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.standard_normal((60, 3))
Y_CLS = (X[:, 0] > 0).astype(np.int64)
Y_REG = X @ np.array([1.0, 2.0, -1.0])

UNSUPERVISED = {"KMeans", "DBSCAN", "PCA", "NearestNeighbors", "EmpiricalCovariance", "LocalOutlierFactor"}
CLASSIFIERS = {"LogisticRegression", "KNeighborsClassifier", "RandomForestClassifier", "SVC", "NuSVC",
               "ExtraTreesClassifier"}


def target(name):
    if name in UNSUPERVISED:
        return None
    return Y_CLS if name in CLASSIFIERS else Y_REG


def first_method(est):
    for m in ("predict", "transform", "kneighbors", "mahalanobis"):
        if hasattr(est, m):
            return m
    return None


def on(a, dev):
    return hetero.asarray(a, device=dev)


@pytest.fixture
def quiet_fallbacks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hetero.FallbackWarning)
        yield


# --- mixed placement ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(ml.estimators) - UNSUPERVISED))
def test_x_on_device_y_on_host(sycl_device, name, quiet_fallbacks):
    est = ml.estimators[name]()
    with pytest.raises(hetero.PlacementError, match=r"X is a device array on .* but y is ndarray data on the host"):
        est.fit(on(X, sycl_device), target(name))
    with pytest.raises(hetero.PlacementError, match=r"hetero.to_device\(X"):
        est.fit(X, on(target(name), sycl_device))
    assert not hasattr(est, "n_features_in_"), "a refused call must not fit anything"


def test_placement_error_is_a_value_error(sycl_device):
    with pytest.raises(ValueError):
        ml.Ridge().fit(on(X, sycl_device), Y_REG.tolist())


# DBSCAN has no method that takes new data after fit.
@pytest.mark.parametrize("name", sorted(set(ml.estimators) - {"DBSCAN"}))
def test_fit_on_device_predict_on_host_and_back(sycl_device, name, quiet_fallbacks):
    y = target(name)
    est = ml.estimators[name]()
    est.fit(on(X, sycl_device), None if y is None else on(y, sycl_device))
    m = first_method(est)
    assert m is not None
    with pytest.raises(hetero.PlacementError, match=f"fitted on data on {sycl_device.filter_string}"):
        getattr(est, m)(X)
    host = ml.estimators[name]().fit(X, y)
    with pytest.raises(hetero.PlacementError, match="fitted on host"):
        getattr(host, m)(on(X, sycl_device))


def test_two_queues_of_one_device(sycl_device):
    dpctl = pytest.importorskip("dpctl")
    q2 = dpctl.SyclQueue(sycl_device.sycl_device)
    assert q2 != sycl_device.sycl_queue
    x1 = on(X, sycl_device)
    y2 = dpnp.asarray(Y_REG, sycl_queue=q2)
    with pytest.raises(hetero.PlacementError, match="two different queues"):
        ml.LinearRegression().fit(x1, y2)
    est = ml.LinearRegression().fit(x1, on(Y_REG, sycl_device))
    with pytest.raises(hetero.PlacementError, match="another queue"):
        est.predict(dpnp.asarray(X, sycl_queue=q2))


def test_kneighbors_without_x_runs_on_fit_device(sycl_device):
    est = ml.NearestNeighbors(n_neighbors=2).fit(on(X, sycl_device))
    dist, ind = est.kneighbors()
    assert isinstance(ind, dpnp.ndarray) and hetero.device_of(ind) == sycl_device
    ref_dist, ref_ind = ml.NearestNeighbors(n_neighbors=2).fit(X).kneighbors()
    np.testing.assert_array_equal(hetero.asnumpy(ind), ref_ind)


def test_not_fitted_on_device(sycl_device):
    with pytest.raises(NotFittedError):
        ml.KMeans().predict(on(X, sycl_device))


# --- NaN / inf / shapes -------------------------------------------------------------------------


def _with(value, col=1):
    bad = X.copy()
    bad[3, col] = value
    return bad


_FORESTS = {n for n in ml.estimators if n.startswith(("RandomForest", "ExtraTrees"))}
_NAN_CASES = [(n, np.nan, "contains NaN") for n in sorted(set(ml.estimators) - _FORESTS)] + [
    (n, np.inf, "contains infinity") for n in sorted(ml.estimators)
]  # forests take NaN as a missing value by design: test_random_forest_nan_is_missing_value


@pytest.mark.parametrize("name,bad,msg", _NAN_CASES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_nan_inf_rejected(sycl_device, name, bad, msg, quiet_fallbacks):
    y = target(name)
    yd = None if y is None else on(y, sycl_device)
    with pytest.raises(ValueError, match=msg):
        ml.estimators[name]().fit(on(_with(bad), sycl_device), yd)
    est = ml.estimators[name]().fit(on(X, sycl_device), yd)
    m = first_method(est)
    if m is not None:
        with pytest.raises(ValueError, match=msg):
            getattr(est, m)(on(_with(bad), sycl_device))


@pytest.mark.parametrize("name", ["RandomForestClassifier", "RandomForestRegressor"])
def test_random_forest_nan_is_missing_value(sycl_device, name, quiet_fallbacks):
    """Random forests take NaN as a missing value on the device as on the host (same predictions)."""
    y = target(name)
    Xn = _with(np.nan)
    host = ml.estimators[name](n_estimators=5, random_state=0).fit(Xn, y)
    dev = ml.estimators[name](n_estimators=5, random_state=0).fit(on(Xn, sycl_device), on(y, sycl_device))
    pred = dev.predict(on(Xn, sycl_device))
    assert isinstance(pred, dpnp.ndarray)
    assert np.isfinite(hetero.asnumpy(pred).astype(float)).all()
    assert hetero.asnumpy(pred).shape == host.predict(Xn).shape


@pytest.mark.parametrize("name", sorted(ml.estimators))
def test_wrong_shapes(sycl_device, name, quiet_fallbacks):
    y = target(name)
    yd = None if y is None else on(y, sycl_device)
    with pytest.raises(ValueError, match="2D array|number of features|dim"):
        ml.estimators[name]().fit(on(X[:, 0], sycl_device), yd)
    with pytest.raises(ValueError, match="dim 3"):
        ml.estimators[name]().fit(on(X[None], sycl_device), yd)
    est = ml.estimators[name]().fit(on(X, sycl_device), yd)
    m = first_method(est)
    if m is not None:
        with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 3 features"):
            getattr(est, m)(on(X[:, :2], sycl_device))
    if y is not None:
        with pytest.raises(ValueError, match="inconsistent numbers of samples|samples"):
            ml.estimators[name]().fit(on(X, sycl_device), on(y[:-5], sycl_device))


# --- a device without fp64 (simulated: this CPU device has fp64) ----------------------------------


@pytest.fixture
def no_fp64(monkeypatch):
    monkeypatch.setattr(hetero.Device, "has_fp64", property(lambda self: self.is_host))


def test_float64_refused_on_device_without_fp64(sycl_device, no_fp64):
    # hetero.asarray itself refuses float64 for such a device; dpnp does not know about the simulation.
    x64 = dpnp.asarray(X, sycl_queue=sycl_device.sycl_queue)
    with pytest.raises(hetero.UnsupportedDtypeError, match=r"X is float64 but .* has no fp64.*dtype='float32'"):
        ml.KMeans(n_clusters=2).fit(x64)
    with pytest.raises(TypeError):  # UnsupportedDtypeError is a TypeError too
        ml.LinearRegression().fit(on(X.astype(np.float32), sycl_device),
                                  dpnp.asarray(Y_REG, sycl_queue=sycl_device.sycl_queue))


def test_integer_x_becomes_float32_without_fp64(sycl_device, no_fp64):
    xi = on(np.round(X * 10).astype(np.int32), sycl_device)
    est = ml.KMeans(n_clusters=2, n_init=2, random_state=0).fit(xi)
    assert est.cluster_centers_.dtype == np.float32
    assert est.predict(xi).shape == (60,)


def test_fallback_results_float32_without_fp64(sycl_device, no_fp64):
    x32 = on(X.astype(np.float32), sycl_device)
    with pytest.warns(hetero.FallbackWarning):
        est = ml.LinearRegression(positive=True).fit(x32, on(Y_REG.astype(np.float32), sycl_device))
    assert isinstance(est.coef_, dpnp.ndarray)
    assert est.coef_.dtype == np.float32


# --- fall-back policy ---------------------------------------------------------------------------


def test_fallback_warns_and_returns_on_device(sycl_device, monkeypatch):
    monkeypatch.delenv("HETERO_ML_FALLBACK", raising=False)
    xd = on(X, sycl_device)
    with pytest.warns(hetero.FallbackWarning) as rec:
        est = ml.DBSCAN(eps=0.3, metric="cosine").fit(xd)
    msg = str(rec[0].message)
    assert "DBSCAN.fit" in msg and "cosine" in msg and sycl_device.filter_string in msg
    assert rec[0].filename == __file__, "the warning must point at the caller's line"
    ref = ml.DBSCAN(eps=0.3, metric="cosine").fit(X)
    assert isinstance(est.labels_, dpnp.ndarray) and hetero.device_of(est.labels_) == sycl_device
    np.testing.assert_array_equal(hetero.asnumpy(est.labels_), ref.labels_)


def test_fallback_fit_then_every_method_on_host(sycl_device, monkeypatch):
    monkeypatch.delenv("HETERO_ML_FALLBACK", raising=False)
    xd, yd = on(X, sycl_device), on(Y_REG, sycl_device)
    with pytest.warns(hetero.FallbackWarning, match=r"Ridge.fit: .*'sag' solver"):
        est = ml.Ridge(solver="sag", random_state=0, tol=1e-10, max_iter=10000).fit(xd, yd)
    with pytest.warns(hetero.FallbackWarning, match=r"Ridge.predict: .*fell back"):
        pred = est.predict(xd)
    assert isinstance(pred, dpnp.ndarray) and isinstance(est.coef_, dpnp.ndarray)
    ref = ml.Ridge(solver="sag", random_state=0, tol=1e-10, max_iter=10000).fit(X, Y_REG)
    np.testing.assert_allclose(hetero.asnumpy(pred), ref.predict(X), rtol=1e-6)


def test_fallback_error(sycl_device, monkeypatch):
    monkeypatch.setenv("HETERO_ML_FALLBACK", "error")
    est = ml.KNeighborsClassifier(weights=lambda d: 1.0 / (d + 1.0))
    with pytest.raises(ml.FallbackError, match=r"KNeighborsClassifier.fit: .*weights.*HETERO_ML_FALLBACK=error"):
        est.fit(on(X, sycl_device), on(Y_CLS, sycl_device))
    assert isinstance(ml.FallbackError("x"), hetero.HeteroError)
    # Supported parameters are unaffected, and host data never "falls back".
    ml.KNeighborsClassifier().fit(on(X, sycl_device), on(Y_CLS, sycl_device))
    ml.KNeighborsClassifier(weights=lambda d: 1.0 / (d + 1.0)).fit(X, Y_CLS)


def test_fallback_silent(sycl_device, monkeypatch):
    monkeypatch.setenv("HETERO_ML_FALLBACK", "silent")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ml.SVC(kernel=lambda a, b: a @ b.T).fit(on(X, sycl_device), on(Y_CLS, sycl_device))
        pred = est.predict(on(X, sycl_device))
    assert isinstance(pred, dpnp.ndarray) and hetero.device_of(pred) == sycl_device
    ref = ml.SVC(kernel=lambda a, b: a @ b.T).fit(X, Y_CLS)
    np.testing.assert_array_equal(hetero.asnumpy(pred), ref.predict(X))


def test_fallback_bad_policy(sycl_device, monkeypatch):
    monkeypatch.setenv("HETERO_ML_FALLBACK", "sometimes")
    with pytest.raises(hetero.ConfigurationError, match="HETERO_ML_FALLBACK='sometimes'.*warn, error, silent"):
        ml.KMeans(n_clusters=2).fit(on(X, sycl_device))


def test_sklearnex_log_level_untouched(sycl_device, capfd):
    logger = logging.getLogger("sklearnex")
    before = logger.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hetero.FallbackWarning)
        ml.KMeans(n_clusters=2, n_init=1).fit(on(X, sycl_device))
        ml.DBSCAN(metric="cosine").fit(on(X, sycl_device))
    assert logger.level == before
    out, err = capfd.readouterr()
    assert "sklearnex" not in err and "patching failed" not in err


# --- SCIPY_ARRAY_API set too late --------------------------------------------------------------


def test_scipy_imported_before_hetero(clean_env):
    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")
    code = f"""
import scipy  # before hetero, without SCIPY_ARRAY_API
import numpy as np
import hetero, hetero.ml
assert hetero._bootstrap.scipy_array_api_too_late
x = np.random.default_rng(0).standard_normal((30, 2))
hetero.ml.KMeans(n_clusters=2, n_init=1).fit(x)  # host data still works
try:
    hetero.ml.KMeans(n_clusters=2, n_init=1).fit(hetero.asarray(x, device={SYCL_DEVICES[0].filter_string!r}))
except hetero.ConfigurationError as e:
    print("ERROR:", e)
else:
    print("NO ERROR")
"""
    r = clean_env(code, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "ERROR: KMeans.fit" in r.stdout, r.stdout
    assert "import hetero before scipy" in r.stdout.lower() or "Import hetero before scipy" in r.stdout
    assert "SCIPY_ARRAY_API=1" in r.stdout


def test_scipy_array_api_set_by_user_env_works(clean_env):
    if not SYCL_DEVICES:
        pytest.skip("no SYCL device on this machine")
    code = f"""
import scipy
import numpy as np
import hetero, hetero.ml
x = hetero.asarray(np.random.default_rng(0).standard_normal((30, 2)), device={SYCL_DEVICES[0].filter_string!r})
km = hetero.ml.KMeans(n_clusters=2, n_init=1).fit(x)
print(type(km.cluster_centers_).__module__)
"""
    r = clean_env(code, env={"SCIPY_ARRAY_API": "1"}, timeout=180)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("dpnp"), r.stdout


def test_failed_fit_leaves_estimator_unplaced(sycl_device):
    """A fit that raises does not tie the estimator to a device."""
    est = ml.KMeans(n_clusters=2)
    with pytest.raises(ValueError):
        est.fit(on(_with(np.nan), sycl_device))
    # scikit-learn-intelex's half-validated KMeans raises NotFittedError or AttributeError here;
    # what matters is that hetero does not claim the model lives on the device.
    with pytest.raises((NotFittedError, AttributeError)) as info:
        est.predict(X)
    assert not isinstance(info.value, hetero.PlacementError)
    est.fit(on(X, sycl_device))
    assert hetero.device_of(est.cluster_centers_) == sycl_device


def test_kmeans_sample_weight_on_device(sycl_device, monkeypatch):
    """oneDAL has no weighted k-means: fit falls back to scikit-learn, and later methods use scikit-learn's
    own code (scikit-learn-intelex 2026.2's KMeans.predict fails on such a model, even with host data)."""
    monkeypatch.delenv("HETERO_ML_FALLBACK", raising=False)
    from sklearn.cluster import _kmeans

    w = np.random.default_rng(3).integers(0, 3, len(X)).astype(float)
    with pytest.warns(hetero.FallbackWarning, match="sample_weight"):
        est = ml.KMeans(n_clusters=3, n_init=1, random_state=0).fit(on(X, sycl_device),
                                                                   sample_weight=on(w, sycl_device))
    with pytest.warns(hetero.FallbackWarning, match="KMeans.predict: .*fell back"):
        pred = est.predict(on(X, sycl_device))
    assert isinstance(pred, dpnp.ndarray) and hetero.device_of(pred) == sycl_device
    ref = _kmeans.KMeans(n_clusters=3, n_init=1, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_allclose(hetero.asnumpy(est.cluster_centers_), ref.cluster_centers_, rtol=1e-6)
    np.testing.assert_array_equal(hetero.asnumpy(pred), ref.predict(X))


def test_host_fallback_of_a_method_keeps_the_estimator_on_its_device(sycl_device):
    """radius_neighbors falls back to the host on the CPU device; the device-fitted model must stay usable."""
    import warnings

    Xh = np.random.default_rng(0).normal(size=(30, 3))
    Xd = on(Xh, sycl_device)
    nn = ml.NearestNeighbors(n_neighbors=3).fit(Xd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hetero.FallbackWarning)
        nn.radius_neighbors(Xd[:3], radius=1.0)
    dist, ind = nn.kneighbors(Xd[:3])
    assert isinstance(ind, dpnp.ndarray) and hetero.device_of(ind) == sycl_device
    ref = ml.NearestNeighbors(n_neighbors=3).fit(Xh).kneighbors(Xh[:3])[1]
    np.testing.assert_array_equal(hetero.asnumpy(ind), ref)


def test_complex_device_data_is_refused(sycl_device):
    Xc = np.random.default_rng(0).normal(size=(20, 2)) + 1j
    with pytest.raises(ValueError, match="complex data is not supported"):
        ml.KMeans(2, n_init=1).fit(on(Xc, sycl_device))


def test_failed_refit_keeps_the_previous_placement(sycl_device):
    Xh = np.random.default_rng(0).normal(size=(40, 3))
    km = ml.KMeans(2, n_init=1, random_state=0).fit(on(Xh, sycl_device))
    bad = Xh.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        km.fit(bad)
    with pytest.raises(hetero.PlacementError, match="fitted on data on"):
        km.predict(Xh)  # the model is still the device one: host data is refused, not mixed in
    assert hetero.device_of(km.predict(on(Xh, sycl_device))) == sycl_device
