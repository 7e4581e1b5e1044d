"""``numba_dpex.core``: the parts of it numba-dpex documents for users (:mod:`.exceptions`, ``config``)."""

from .. import config
from . import exceptions

__all__ = ["config", "exceptions"]
