"""Differential fuzzing: random item-style kernels on sycl, host and interpret, against NumPy.

Each example is one generated kernel (tests/_fuzz.py: 1-3-D, 2-3 inputs and an output of mixed
int32/int64/float32/float64, + - *, comparisons, abs, min/max, math.sqrt(abs(x)), constants,
``x if c else y``, an if/else store, a ``for k in range(3)`` accumulation, a
``@hetero.device_function`` helper) written to a file and imported, then launched a few times
(new shapes, strided/offset/transposed/reversed views, new data; the compiled specialisations are
reused) on every back end. Each result must match the NumPy reference evaluated over the whole
arrays with numba's typing (every back end follows it, the interpreter included; see
tests/_fuzz.py), nothing outside the output view may change, and sycl and host must agree.

``HETERO_FUZZ_EXAMPLES`` (default 25, derandomized: the same kernels every run) sets the number of
kernels; set, the run is random (``make fuzz`` runs 2000). The end-of-run line counts the
launches where plain Python's typing (NumPy 2 promotion) would have given another answer:
the cases the interpreter's numba typing exists for.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tests._kernel_fixtures  # noqa: F401  (kernels compile into a fresh cache directory)

import hetero  # noqa: E402
from tests import _fuzz as F  # noqa: E402

EXAMPLES = int(os.environ.get("HETERO_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = "HETERO_FUZZ_EXAMPLES" not in os.environ
LAUNCHES = 4  # per kernel: new shapes, views and data for the compiled specialisations

SYCL = [d for d in hetero.devices() if not d.is_host]
BACKENDS = ([SYCL[0].filter_string] if SYCL else []) + ["host", "interpret"]

kernel_specs, launches_for = F.strategies()
CASES = kernel_specs().flatmap(lambda spec: launches_for(spec, LAUNCHES).map(lambda ls: (spec, ls)))

STATS = {"examples": 0, "kernels": {}, "launches": 0, "python_differs": 0, "specialisations": 0, "t0": None}

_SETTINGS = dict(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
if DERANDOMIZE:
    _SETTINGS["database"] = None


@pytest.fixture(scope="module")
def kernel_dir(request, tmp_path_factory):
    """Where the generated kernels are written; prints the run's numbers at the end."""
    STATS["t0"] = time.perf_counter()
    yield str(tmp_path_factory.mktemp("fuzz_kernels"))
    took = time.perf_counter() - STATS["t0"]
    STATS["specialisations"] = sum(len(k.specialisations()) for k in STATS["kernels"].values())
    line = (f"test_fuzz: {STATS['examples']} generated kernels ({len(STATS['kernels'])} distinct functions), "
            f"{STATS['launches']} launches on "
            f"{', '.join(BACKENDS)} in {took:.1f} s; {STATS['specialisations']} specialisations compiled; "
            f"plain Python's typing would have differed from numba's in {STATS['python_differs']} launches")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line("\n" + line)
        else:
            reporter.write_line(line)


def _failure(spec, launch, path, problems):
    return "\n".join([
        f"{len(problems)} disagreement(s) for this kernel ({path}):",
        "", spec.kernel_source(), "reference:", spec.reference_source(),
        F.describe_launch(spec, launch), "",
        *map(str, problems), "", "to reproduce:", F.repro(spec, launch, path),
    ])


# one timeout for the whole hypothesis run: about 0.6 s a kernel (4 launches) on two cores; 4 s
# a kernel leaves room for shrinking a failure
@pytest.mark.timeout(max(300, 4 * EXAMPLES))
@settings(**_SETTINGS)
@given(CASES)
def test_random_kernels_agree_on_every_back_end(kernel_dir, case):
    spec, launches = case
    k, ref, path = F.load(spec, kernel_dir)
    STATS["examples"] += 1
    STATS["kernels"][path] = k
    for launch in launches:
        problems, info = F.check_launch(spec, k, ref, launch, BACKENDS, path)
        STATS["launches"] += 1
        refs = info["refs"]
        STATS["python_differs"] += not np.array_equal(refs["numba"].val, refs["python"].val)
        assert not problems, _failure(spec, launch, path, problems)


if not SYCL:
    def test_random_kernels_on_sycl():
        pytest.skip("no SYCL device (hetero.devices() lists only the host): the fuzzer compared host and "
                    "interpret only")


def test_the_reference_models_one_kernel_by_hand(tmp_path):
    """The reference's typing, checked once on a known case: float32 * 0.1 accumulated three times
    is float64 work under numba (every back end) and float32 work in plain Python."""
    spec = F.KernelSpec(
        ndim=1, dtypes={"a": "float32", "b": "int32", "out": "float64"}, helper=None,
        acc_init=("const", 0), acc_op="+", acc_step=("bin", "*", ("arr", "a"), ("const", 0.1)),
        cond=None, then=("acc",), other=None)
    k, ref, path = F.load(spec, str(tmp_path))
    a = np.array([1.0, 3.3, -7.1], np.float32)
    b = np.zeros(3, np.int32)
    out = np.zeros(3)
    want = {"numba": np.zeros(3), "python": np.zeros(3, np.float32)}
    for _ in range(3):
        want["numba"] = want["numba"] + a.astype(np.float64) * 0.1
        want["python"] = want["python"] + a * np.float32(0.1)
    for m in (F.NUMBA, F.PYTHON):
        R = F.Ref(m)
        got = ref(R, R.ids((3,)), *(F.V.array(m, x) for x in (a, b, out))).val
        np.testing.assert_array_equal(got, want[m.name].astype(np.float64))
    assert not np.array_equal(want["numba"], want["python"])
    # and the back ends: each agrees with numba's
    for be in BACKENDS:
        views = {n: F.ViewSpec(steps=(1,), offsets=(0,), transpose=False, fortran=False) for n in ("a", "b", "out")}
        problems, _ = F.check_launch(spec, k, ref, F.Launch((3,), views, seed=0), [be], path)
        assert not problems, problems
