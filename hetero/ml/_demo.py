"""The scikit-learn part of ``python -m hetero demo``: a KMeans on every device, checked against stock
scikit-learn."""

from __future__ import annotations

import time
from typing import Iterable

import numpy as np

import hetero


def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 5.0, 5.0], [5.0, 0.0, 5.0]])
    return np.concatenate([c + 0.5 * rng.standard_normal((500, 3)) for c in centres]).astype(np.float32)


def _same_centres(got: np.ndarray, ref: np.ndarray, atol: float) -> bool:
    """Centres equal up to the order of clusters."""
    order = [int(np.argmin(((ref - row) ** 2).sum(1))) for row in got]
    return sorted(order) == list(range(len(ref))) and bool(np.allclose(got, ref[order], atol=atol))


def run_demo(devices: Iterable[hetero.Device]) -> bool:
    """Fit a KMeans with hetero.ml on each device and check it against stock scikit-learn.

    Parameters
    ----------
    devices : iterable of hetero.Device
        Where to run (the host included, if wanted).

    Returns
    -------
    bool
        True when every device gave stock scikit-learn's clustering (same partition, centres within
        1e-3), with its results on that device.
    """
    import hetero.ml as ml
    from sklearn.metrics import adjusted_rand_score

    X = _blobs()
    params = dict(n_clusters=4, n_init=3, random_state=0)
    stock_cls = next(k for k in ml.KMeans.__mro__ if k.__module__.startswith("sklearn.") and k.__name__ == "KMeans")
    ref = stock_cls(**params).fit(X)
    print(f"scikit-learn estimators follow the data: KMeans(n_clusters=4) on {X.shape[0]}x{X.shape[1]} float32 "
          "(a SYCL device's first run includes compiling its kernels)")
    all_ok = True
    for dev in devices:
        t0 = time.perf_counter()
        try:
            x = hetero.asarray(X, device=dev)
            km = ml.KMeans(**params).fit(x)
            labels = km.predict(x)
            elapsed = time.perf_counter() - t0
            placed = hetero.device_of(km.cluster_centers_) == dev and hetero.device_of(labels) == dev
            same = adjusted_rand_score(ref.labels_, hetero.asnumpy(labels)) == 1.0
            close = _same_centres(hetero.asnumpy(km.cluster_centers_), ref.cluster_centers_, atol=1e-3)
            ok = placed and same and close
            why = "" if ok else f"  (on its device: {placed}, same partition: {same}, same centres: {close})"
        except Exception as exc:  # a demo reports, it does not crash
            ok, elapsed, why = False, time.perf_counter() - t0, f"  ({type(exc).__name__}: {exc})"
        all_ok &= ok
        print(f"  {dev.filter_string:<16} {'ok' if ok else 'WRONG':<5} {elapsed * 1e3:8.1f} ms{why}")
    return all_ok
