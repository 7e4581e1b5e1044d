"""The SYCL back end (``backend.py``) and how it submits to queues (``submit.py``)."""

from .backend import SyclBackend, check_device_support

__all__ = ["SyclBackend", "check_device_support"]
