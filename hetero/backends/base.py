"""What every kernel back end implements, and the record of which one ran a launch.

A back end (``sycl``, ``host``, ``interpret``; ``cuda`` next) is one object with four
operations — :meth:`Backend.accepts` (can it run these arguments), :meth:`Backend.prepare`
(compile or fetch the specialisation for them, without running), :meth:`Backend.launch`
(run, returning an :class:`~hetero.Event`) and :meth:`Backend.synchronize`. Which back end
runs a launch is decided in one place, :mod:`hetero.backends.select`.
"""

from __future__ import annotations

import logging

__all__ = ["Backend", "BackendChoice", "Event"]

log = logging.getLogger("hetero.kernel")


class BackendChoice:
    """The back end of one launch: ``backend`` (``"sycl"``, ``"host"``, ``"interpret"``), the
    ``device`` it runs on (a :class:`hetero.Device`, or None for a device array's own queue), and
    ``reason``, a sentence saying why."""

    __slots__ = ("backend", "device", "reason")

    def __init__(self, backend: str, device, reason: str):
        self.backend = backend
        self.device = device
        self.reason = reason

    def __repr__(self):
        where = f" on {self.device.filter_string}" if self.device is not None else ""
        return f"<{self.backend}{where}: {self.reason}>"

    def __eq__(self, other):
        if isinstance(other, str):
            return self.backend == other
        if isinstance(other, BackendChoice):
            return (self.backend, self.device, self.reason) == (other.backend, other.device, other.reason)
        return NotImplemented

    __hash__ = None  # mutable-looking value object compared with strings

    def log(self, kernel_name: str) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("kernel %r ran on the %s back end%s: %s", kernel_name, self.backend,
                      f" ({self.device.filter_string})" if self.device is not None else "", self.reason)


class Backend:
    """The interface of a kernel back end (see the module docstring).

    ``kernel`` is a :class:`hetero.kernel.Kernel`; ``rng`` a :class:`~hetero.Range` or
    :class:`~hetero.NdRange`; ``choice`` the :class:`BackendChoice` of the launch.
    """

    #: The name ``k.last_backend.backend`` and ``HETERO_KERNEL_BACKEND`` use.
    name = ""

    def accepts(self, args) -> str | None:
        """None when this back end can run a launch on ``args``; else why not, in a sentence."""
        raise NotImplementedError

    def prepare(self, kernel, rng, args, choice):
        """Compile (or fetch) what a launch of ``kernel`` over ``rng`` on ``args`` needs, without
        running it; returns the back end's specialisation object."""
        raise NotImplementedError

    def launch(self, kernel, rng, args, depends_on, choice):
        """Run the launch; returns an :class:`~hetero.Event` (complete for synchronous back ends)."""
        raise NotImplementedError

    def synchronize(self, device=None) -> None:
        """Wait for everything this back end launched (on ``device`` only, when given)."""


class Event:
    """The completion of a kernel launch.

    Returned by :meth:`Kernel.submit`. ``wait()`` blocks until the kernel has
    finished; ``is_complete`` asks without blocking. ``sycl_event`` is the
    underlying ``dpctl.SyclEvent`` (None for an empty launch).
    """

    __slots__ = ("sycl_event", "_keep", "_checker", "kernel_name")

    def __init__(self, sycl_event=None, keep=None, checker=None, kernel_name=None):
        self.sycl_event = sycl_event
        self._keep = keep
        self._checker = checker
        self.kernel_name = kernel_name

    def wait(self, timeout: float | None = None) -> None:
        """Block until the kernel has finished, or for ``timeout`` seconds at most.

        Raises
        ------
        KernelTimeoutError
            The kernel had not finished after ``timeout`` seconds (it goes on running).
        KernelIndexError, KernelAssertionError, ...
            The first failing work-item's error (bounds checks, ``assert``, ``raise``).
        """
        if self.sycl_event is not None:
            if timeout is not None:
                wait_until_complete([(self.sycl_event, self.kernel_name)], timeout)
            self.sycl_event.wait()
        self._keep = None
        if self._checker is not None:
            checker, self._checker = self._checker, None
            checker.check()

    @property
    def is_complete(self) -> bool:
        """True when the kernel has finished (never blocks)."""
        if self.sycl_event is None:
            return True
        from .. import _sycl

        return self.sycl_event.execution_status == _sycl.dpctl().event_status_type.complete

    def __repr__(self):
        return f"<hetero.Event {'complete' if self.is_complete else 'pending'}>"


def wait_until_complete(events, timeout: float) -> None:
    """Poll ``[(sycl event, kernel name)]`` until all are complete; a KernelTimeoutError naming the
    first unfinished kernel after ``timeout`` seconds. (SYCL events have no wait with a timeout.)"""
    import time

    from .. import _sycl
    from ..errors import KernelTimeoutError

    complete = _sycl.dpctl().event_status_type.complete
    deadline = time.monotonic() + max(0.0, float(timeout))
    pause = 5e-5
    pending = list(events)
    while True:
        pending = [(ev, name) for ev, name in pending if ev.execution_status != complete]
        if not pending:
            return
        if time.monotonic() >= deadline:
            name = pending[0][1]
            raise KernelTimeoutError(
                f"kernel {name!r} had not finished after {timeout} s ({len(pending)} launch(es) still running). "
                "It goes on running: a device cannot stop a kernel. A kernel that never finishes often waits "
                "for another work-item that cannot run beside it (a spin-wait across work-groups, or within a "
                "work-group on a CPU device); use barriers or atomics that do not wait."
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.01)
