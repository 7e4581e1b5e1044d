"""Kernel back ends: ``sycl/``, ``host.py``, ``interpret.py``, each a :class:`~hetero.backends.base.Backend`;
``select.py`` is the one place that chooses which runs a launch."""
