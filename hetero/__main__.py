"""Command line: ``python -m hetero {devices,info,demo}``."""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_devices(args) -> int:
    import hetero

    devs = hetero.devices()
    default, why = hetero._device.default_device_reason()
    if args.json:
        out = {
            "devices": [dict(d.as_dict(), default=(d == default)) for d in devs],
            "default": default.filter_string,
            "default_reason": why,
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"{'':2}{'filter string':<16} {'kind':<11} {'SYCL backend':<12} {'memory':>10} {'CUs':>4} {'fp64':<5} name")
    for d in devs:
        mark = "*" if d == default else " "
        mem = hetero._device._fmt_bytes(d.global_mem_size)
        print(
            f"{mark} {d.filter_string:<16} {d.kind:<11} {d.sycl_backend:<12} {mem:>10} {d.max_compute_units:>4} "
            f"{'yes' if d.has_fp64 else 'no':<5} {d.name}"
        )
    print(f"\ndefault: {default.filter_string} — {why}")
    return 0


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("hetero", "numpy", "numba", "llvmlite", "dpctl", "dpnp", "scikit-learn",
                 "scikit-learn-intelex", "scikit-learn-intelex-gpu", "intel-sycl-rt", "intel-opencl-rt", "scipy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


_ENV_VARS = (
    "HETERO_DEVICE", "HETERO_NUM_THREADS", "HETERO_KERNEL_BACKEND", "HETERO_CACHE_DIR", "HETERO_BOUNDSCHECK",
    "HETERO_DISABLE_ASSERTS", "HETERO_DISABLE_CACHE",
    "HETERO_ML_FALLBACK", "ONEAPI_DEVICE_SELECTOR", "SYCL_DEVICE_FILTER", "OCL_ICD_FILENAMES",
    "NUMBA_NUM_THREADS", "SCIPY_ARRAY_API",
)


def _cmd_info(args) -> int:
    import os
    import platform

    import hetero
    from hetero import _bootstrap

    print(f"hetero {hetero.__version__} on Python {platform.python_version()} ({platform.machine()})")
    print("\npackages:")
    for name, ver in _versions().items():
        print(f"  {name:<26} {ver}")
    print("\nenvironment:")
    for var in _ENV_VARS:
        val = os.environ.get(var)
        print(f"  {var:<24} {val if val is not None else '(unset)'}")
    if _bootstrap.actions:
        print("\nset up by hetero at import:")
        for a in _bootstrap.actions:
            print(f"  {a}")
    return 0


def _cmd_demo(args) -> int:
    from hetero._demo import run

    return run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hetero", description="hetero: heterogeneous computing")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("devices", help="list devices and the default one")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(fn=_cmd_devices)
    p = sub.add_parser("info", help="versions and environment in effect")
    p.set_defaults(fn=_cmd_info)
    p = sub.add_parser("demo", help="run hetero's main demo on every device")
    p.set_defaults(fn=_cmd_demo)
    args = parser.parse_args(argv)

    from hetero import _bootstrap
    from hetero.errors import HeteroError

    for action in _bootstrap.actions:  # the import's DeprecationWarning is hidden under `python -m`
        if "SYCL_DEVICE_FILTER" in action:
            print(f"hetero: warning: SYCL_DEVICE_FILTER is no longer read by the SYCL runtime: {action}",
                  file=sys.stderr)
    try:
        return args.fn(args)
    except HeteroError as exc:
        print(f"hetero: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
