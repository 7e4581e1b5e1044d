"""scikit-learn estimators that follow the data: one pipeline, run on host data and on each SYCL device.

    python examples/sklearn_follow_data.py

The pipeline code never names a device. `hetero.asarray(data, device=d)` puts the data on `d`, and every
fit / predict / transform of the hetero.ml estimators runs where its input lives; fitted attributes and
predictions come back on that device. The first call on a SYCL device includes compiling its kernels, so
each pipeline is timed twice: "first" (with compilation) and "again".
"""

import time

import numpy as np

import hetero  # first: sets SCIPY_ARRAY_API=1 and finds the OpenCL CPU device before scipy/sklearn load
import hetero.ml as ml
from sklearn.pipeline import make_pipeline


def make_data(n=4000, d=32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X[:, :4] *= 4.0                                   # the signal lives in the high-variance directions
    w = np.zeros(d, dtype=np.float32)
    w[:4] = rng.standard_normal(4)
    y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(np.int64)
    return X[: n * 3 // 4], y[: n * 3 // 4], X[n * 3 // 4:], y[n * 3 // 4:]


def run_pipeline(X_train, y_train, X_test, y_test):
    """PCA -> k-nearest neighbours, plus a k-means of the projected data: the same code for every device."""
    model = make_pipeline(ml.PCA(n_components=8), ml.KNeighborsClassifier(n_neighbors=7))
    model.fit(X_train, y_train)
    pred = model.predict(X_test)
    accuracy = float((pred == y_test).mean())
    km = ml.KMeans(n_clusters=4, n_init=3, random_state=0).fit(model[0].transform(X_train))
    return pred, accuracy, km


def main() -> None:
    X_train, y_train, X_test, y_test = make_data()
    reference = None
    print(f"{'device':<16} {'first':>10} {'again':>10}  accuracy  predictions live on")
    for device in hetero.devices():
        data = [hetero.asarray(a, device=device) for a in (X_train, y_train, X_test, y_test)]
        t0 = time.perf_counter()
        run_pipeline(*data)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred, accuracy, km = run_pipeline(*data)
        again = time.perf_counter() - t0
        where = hetero.device_of(pred)
        host_pred = hetero.asnumpy(pred)
        if reference is None:
            reference = host_pred
        agree = float((host_pred == reference).mean())
        ok = where == device and hetero.device_of(km.cluster_centers_) == device and agree >= 0.99
        print(f"{device.filter_string:<16} {first * 1e3:8.1f}ms {again * 1e3:8.1f}ms  {accuracy:8.3f}  "
              f"{where.filter_string:<14} {'ok' if ok else 'WRONG'} (agrees with the first device on "
              f"{agree:.1%} of predictions)")

    sycl = [d for d in hetero.devices() if not d.is_host]
    if sycl:
        x = hetero.asarray(X_train, device=sycl[0])
        try:
            ml.KNeighborsClassifier().fit(x, y_train)      # X on the device, y still on the host
        except hetero.PlacementError as exc:               # never an implicit copy
            print(f"\nmixing devices is refused:\n  {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
