"""Compatibility layers: other libraries' kernel APIs mapped onto hetero.

``hetero.compat.numba_dpex`` offers numba-dpex 0.23's kernel API, so that a
numba-dpex program runs by changing ``import numba_dpex as dpex`` to
``import hetero.compat.numba_dpex as dpex``.
"""

__all__ = ["numba_dpex"]


def __getattr__(name):
    if name == "numba_dpex":
        from . import numba_dpex

        return numba_dpex
    raise AttributeError(f"module 'hetero.compat' has no attribute {name!r}")
