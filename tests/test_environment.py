"""Process start-up behaviour, tested in fresh interpreters: the OpenCL driver bootstrap,
HETERO_DEVICE, the legacy SYCL_DEVICE_FILTER, HETERO_NUM_THREADS, the CLI and life without dpctl."""

from __future__ import annotations

import json
import sys

import pytest

import hetero
from hetero import _bootstrap

from .conftest import BLOCK_SYCL, SYCL_DEVICES

HAS_OPENCL_CPU = any(d.sycl_backend == "opencl" and d.kind == "cpu" for d in SYCL_DEVICES)
needs_opencl_cpu = pytest.mark.skipif(not HAS_OPENCL_CPU, reason="no OpenCL CPU device on this machine")
needs_driver = pytest.mark.skipif(
    _bootstrap.find_opencl_cpu_driver() is None, reason="the pip Intel OpenCL CPU driver is not installed here"
)

CLI = "import sys, hetero.__main__ as m; sys.exit(m.main(sys.argv[1:]))"


def cli(clean_env, *args, env=None):
    return clean_env(CLI.replace("sys.argv[1:]", repr(list(args))), env=env)


@needs_driver
def test_driver_found_without_any_variable(clean_env):
    r = clean_env(
        "import os, hetero; print(os.environ['OCL_ICD_FILENAMES']); "
        "print([d.filter_string for d in hetero.devices()])"
    )
    assert r.returncode == 0, r.stderr
    path, devs = r.stdout.strip().splitlines()
    assert path.endswith("libintelocl.so")
    assert "opencl:cpu:0" in devs and "host" in devs


@needs_driver
def test_cli_devices_lists_cpu_and_host(clean_env):
    r = cli(clean_env, "devices")
    assert r.returncode == 0, r.stderr
    assert "opencl:cpu:0" in r.stdout and "host" in r.stdout and "default:" in r.stdout


def test_cli_devices_json(clean_env):
    r = cli(clean_env, "devices", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    names = [d["filter_string"] for d in data["devices"]]
    assert names[-1] == "host"
    assert sum(d["default"] for d in data["devices"]) == 1
    assert data["default"] in names and data["default_reason"]


def test_user_icd_value_is_left_alone(clean_env):
    r = clean_env(
        "import os, hetero; print(os.environ['OCL_ICD_FILENAMES']); "
        "print([d.filter_string for d in hetero.devices()])",
        env={"OCL_ICD_FILENAMES": "/nonexistent/libsomething.so"},
    )
    assert r.returncode == 0, r.stderr
    path, devs = r.stdout.strip().splitlines()
    assert path == "/nonexistent/libsomething.so"
    assert "opencl:cpu:0" not in devs  # the user's (broken) choice was respected


@needs_driver
def test_dpctl_imported_first_still_finds_device(clean_env):
    r = clean_env("import dpctl, dpnp, hetero; print([d.filter_string for d in hetero.devices()])")
    assert r.returncode == 0, r.stderr
    assert "opencl:cpu:0" in r.stdout


@needs_driver
def test_devices_enumerated_before_hetero_warns(clean_env):
    r = clean_env(
        "import warnings, dpctl; dpctl.get_devices(); import hetero\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always'); hetero.devices()\n"
        "print([str(x.message) for x in w])"
    )
    assert r.returncode == 0, r.stderr
    assert "Import hetero before dpctl/dpnp" in r.stdout and "OCL_ICD_FILENAMES=" in r.stdout


@pytest.mark.parametrize(
    "value, expected",
    [("host", "host"), ("cpu", "opencl:cpu:0"), ("opencl:cpu:0", "opencl:cpu:0"), ("gpu,cpu", "opencl:cpu:0"),
     ("gpu, host", "host")],
)
def test_hetero_device_env(clean_env, value, expected):
    if expected != "host" and not HAS_OPENCL_CPU:
        pytest.skip("no OpenCL CPU device on this machine")
    if any(d.kind == "gpu" for d in SYCL_DEVICES) and value.startswith("gpu"):
        pytest.skip("this machine has a GPU, so the fall-back is not exercised")
    r = clean_env("import hetero; print(hetero.default_device().filter_string)", env={"HETERO_DEVICE": value})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == expected
    r = cli(clean_env, "devices", env={"HETERO_DEVICE": value})
    assert r.returncode == 0 and f"HETERO_DEVICE={value}" in r.stdout


@pytest.mark.parametrize("value", ["gpu", "nonsense", "level_zero:gpu:0"])
def test_hetero_device_env_unavailable_exits_with_listing(clean_env, value):
    if value != "nonsense" and any(d.kind == "gpu" for d in SYCL_DEVICES):
        pytest.skip("this machine has a GPU")
    r = cli(clean_env, "devices", env={"HETERO_DEVICE": value})
    assert r.returncode == 2
    assert f"HETERO_DEVICE={value!r}" in r.stderr and "available devices" in r.stderr and "host" in r.stderr
    assert "Traceback" not in r.stderr
    # A batch job using the default gets the same DeviceNotFoundError, not a silent fall-back.
    r = clean_env("import hetero; hetero.asarray([1.0, 2.0])", env={"HETERO_DEVICE": value})
    assert r.returncode == 1 and "DeviceNotFoundError" in r.stderr and "available devices" in r.stderr


@needs_opencl_cpu
def test_legacy_sycl_device_filter(clean_env):
    r = clean_env(
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always'); import hetero\n"
        "import os\n"
        "print(os.environ['ONEAPI_DEVICE_SELECTOR'])\n"
        "print([d.filter_string for d in hetero.devices()])\n"
        "print([(x.category.__name__, str(x.message)) for x in w])",
        env={"SYCL_DEVICE_FILTER": "opencl:cpu"},
    )
    assert r.returncode == 0, r.stderr
    selector, devs, warns = r.stdout.strip().splitlines()
    assert selector == "opencl:cpu"
    assert "opencl:cpu:0" in devs
    assert "DeprecationWarning" in warns and "ONEAPI_DEVICE_SELECTOR='opencl:cpu'" in warns
    # with Python's default warning filters, a script importing hetero shows the warning
    r = clean_env("import hetero", env={"SYCL_DEVICE_FILTER": "opencl:cpu"})
    assert "DeprecationWarning: SYCL_DEVICE_FILTER='opencl:cpu'" in r.stderr
    r = cli(clean_env, "devices", env={"SYCL_DEVICE_FILTER": "opencl:cpu"})
    assert r.returncode == 0 and "SYCL_DEVICE_FILTER is no longer read" in r.stderr


def test_legacy_filter_does_not_override_new_selector(clean_env):
    r = clean_env(
        "import os, hetero; print(os.environ['ONEAPI_DEVICE_SELECTOR'])",
        env={"SYCL_DEVICE_FILTER": "gpu", "ONEAPI_DEVICE_SELECTOR": "opencl:*"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "opencl:*"


def test_oneapi_selector_is_respected(clean_env):
    r = clean_env(
        "import hetero; print([d.filter_string for d in hetero.devices()])",
        env={"ONEAPI_DEVICE_SELECTOR": "level_zero:gpu"},
    )
    assert r.returncode == 0, r.stderr
    assert "opencl" not in r.stdout and "host" in r.stdout


def test_hetero_num_threads(clean_env):
    r = clean_env("import hetero; print(hetero.get_num_threads())", env={"HETERO_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


@pytest.mark.parametrize("value", ["zero", "0", "-2"])
def test_bad_hetero_num_threads(clean_env, value):
    r = clean_env("import hetero; hetero.get_num_threads()", env={"HETERO_NUM_THREADS": value})
    assert r.returncode == 1
    assert "ConfigurationError" in r.stderr and "HETERO_NUM_THREADS" in r.stderr


def test_cli_info(clean_env):
    r = cli(clean_env, "info")
    assert r.returncode == 0, r.stderr
    for word in ("hetero", "numba", "llvmlite", "dpctl", "dpnp", "scikit-learn", "HETERO_DEVICE",
                 "ONEAPI_DEVICE_SELECTOR"):
        assert word in r.stdout




def test_without_dpctl_hetero_is_host_only(clean_env):
    r = clean_env(
        BLOCK_SYCL
        + "import numpy as np, hetero\n"
        "assert hetero.devices() == [hetero.host], hetero.devices()\n"
        "assert hetero.default_device() is hetero.host\n"
        "x = hetero.asarray([1.0, 2.0]); assert type(x) is np.ndarray\n"
        "assert hetero.namespace(x) is np and hetero.device_of(x) is hetero.host\n"
        "try:\n"
        "    hetero.select_device('cpu')\n"
        "except hetero.DeviceNotFoundError as e:\n"
        "    assert 'dpctl is not installed' in str(e), e\n"
        "from hetero import _sycl\n"
        "try:\n"
        "    _sycl.require_dpnp('Placing data on a GPU')\n"
        "except hetero.SyclUnavailableError as e:\n"
        "    assert 'pip install' in str(e) and isinstance(e, ImportError); print('ok')\n"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_without_dpctl_cli_works(clean_env):
    r = clean_env(BLOCK_SYCL + CLI.replace("sys.argv[1:]", "['devices']"))
    assert r.returncode == 0, r.stderr
    assert "host" in r.stdout and "SYCL runtime (dpctl) not installed" in r.stdout


def test_host_placement_needs_no_sycl_runtime(clean_env):
    r = clean_env("import sys, hetero; hetero.asarray([1.0], device='host'); hetero.zeros(3, device='host'); "
                  "print('dpctl' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_import_is_light(clean_env):
    r = clean_env("import sys, hetero; print(sorted(m for m in ('dpctl', 'dpnp', 'numba', 'sklearn', 'scipy') "
                  "if m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_scipy_array_api_set_at_import(clean_env):
    r = clean_env("import os, hetero; print(os.environ.get('SCIPY_ARRAY_API'))")
    assert r.stdout.strip() == "1"
    r = clean_env("import scipy, os, hetero; from hetero import _bootstrap; "
                  "print(os.environ.get('SCIPY_ARRAY_API'), _bootstrap.scipy_array_api_too_late)")
    assert r.stdout.strip() == "None True"


def test_public_api_names_exist():
    for name in hetero.__all__:
        assert getattr(hetero, name) is not None, name
    assert hetero.prange is __import__("numba").prange


def test_error_hierarchy():
    pairs = {
        hetero.DeviceNotFoundError: LookupError,
        hetero.PlacementError: ValueError,
        hetero.LaunchError: ValueError,
        hetero.UnsupportedDtypeError: TypeError,
        hetero.KernelCompileError: RuntimeError,
        hetero.KernelTypingError: TypeError,
        hetero.ConfigurationError: ValueError,
        hetero.SyclUnavailableError: ImportError,
    }
    for cls, builtin in pairs.items():
        assert issubclass(cls, hetero.HeteroError) and issubclass(cls, builtin)
    assert issubclass(hetero.FallbackWarning, UserWarning)


def test_demo_runs(clean_env):
    r = cli(clean_env, "demo")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all results match their references" in r.stdout
    for d in hetero.devices():
        assert d.filter_string in r.stdout
    assert sys.executable  # the demo ran in this environment's interpreter
    assert "before fork" not in r.stdout + r.stderr  # numba's TBB fork warning (see the next test)


def test_host_kernel_starts_no_numba_pool_so_fork_is_quiet(clean_env, tmp_path):
    """A host kernel launch only needs a thread count: it must not start numba's threading layer, whose
    TBB fork handler warns at the next subprocess (scikit-learn's KMeans runs `lscpu`)."""
    prog = tmp_path / "prog.py"  # the host back end reads the kernel's source: a file, not `python -c`
    prog.write_text(
        "import subprocess, sys, numpy as np, hetero\n"
        "@hetero.kernel\n"
        "def inc(i, a):\n"
        "    a[i] += 1.0\n"
        "a = np.zeros(1 << 16)\n"
        "with hetero.device('host'):\n"
        "    inc[a.size](a)\n"
        "assert inc.last_backend.backend == 'host', inc.last_backend\n"
        "from numba.np.ufunc import parallel\n"
        "print(a.sum(), parallel._is_initialized, hetero.get_num_threads() >= 1)\n"
        "subprocess.run([sys.executable, '-c', 'pass'], check=True)\n"
    )
    r = clean_env(f"import runpy; runpy.run_path({str(prog)!r}, run_name='__main__')")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(float(1 << 16)), "False", "True"]
    assert "before fork" not in r.stderr


def test_jit_without_a_source_file(clean_env):
    """Code typed at a prompt, `python -c` or exec() has no file for numba's cache: hetero.jit still works."""
    r = clean_env(
        "import numpy as np, hetero\n"
        "@hetero.jit\n"
        "def add(a, b, c):\n"
        "    for i in hetero.prange(a.size):\n"
        "        c[i] = a[i] + b[i]\n"
        "a = np.ones(4); c = np.empty(4); add(a, a, c); print(c.tolist())"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[2.0, 2.0, 2.0, 2.0]"


def test_hetero_num_threads_in_every_thread(clean_env):
    r = clean_env(
        "import numba, threading, hetero\n"  # numba first: the pool is sized by the CPU count
        "out = [hetero.get_num_threads()]\n"
        "t = threading.Thread(target=lambda: out.append(hetero.get_num_threads())); t.start(); t.join()\n"
        "print(out)",
        env={"HETERO_NUM_THREADS": "1"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[1, 1]"
