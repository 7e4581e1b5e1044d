"""hetero's environment variables: one parser for the on/off ones.

``HETERO_BOUNDSCHECK``, ``HETERO_DISABLE_ASSERTS``, ``HETERO_DISABLE_CACHE`` and
``HETERO_INTERPRET_THREADS`` are switches. Each is read through :func:`flag`, so every layer agrees on what a value means:
``1``, ``true``, ``yes``, ``on`` turn it on; unset, empty, ``0``, ``false``, ``no``, ``off`` leave it
off (any case, surrounding spaces ignored); anything else is a
:class:`~hetero.errors.ConfigurationError` naming the variable, never a guess.
"""

from __future__ import annotations

import os

from .errors import ConfigurationError

__all__ = ["flag", "kernel_asserts", "kernel_switches", "TRUE", "FALSE"]

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"", "0", "false", "no", "off"})


def flag(name: str, environ=os.environ) -> bool:
    """Whether the switch ``name`` is on (see the module docstring)."""
    raw = environ.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigurationError(
        f"{name}={raw!r} is not an on/off value; set it to 1 (or true, yes, on) to turn it on, "
        "0 (or false, no, off) or unset it to turn it off"
    )


def kernel_asserts() -> bool:
    """Whether kernels compiled now check their ``assert`` statements: yes, unless
    ``HETERO_DISABLE_ASSERTS`` is on (``hetero/compiler/passes.py`` compiles them out)."""
    return not flag("HETERO_DISABLE_ASSERTS")


def kernel_switches() -> tuple:
    """The switches compiled into a kernel's code, ``(bounds checks, asserts)``: part of every key
    under which a back end keeps compiled code, so flipping one in a running process takes effect
    at the next launch."""
    return (flag("HETERO_BOUNDSCHECK"), kernel_asserts())
