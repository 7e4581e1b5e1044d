"""Device functions on the SPIR-V target: inlined into each kernel that calls them.

numba's InlineInlinables pass inlines a called object whose ``targetoptions`` carry an
``inline`` cost model; :data:`inline_budget` is that model, installed on
:class:`hetero.lang.DeviceFunction` when this target loads. Inlining (rather than
separate functions) is what lets ids and ranges inside a device function lower against
the launch that calls it.
"""

from __future__ import annotations

import threading

from ....lang import DeviceFunction

__all__ = ["inline_budget"]


class _InlineBudget:
    """numba inline cost model: always inline, except a call that closes a cycle (recursion).

    numba inlines a callee and then runs its pipeline (and this model) on the
    callee's own IR, so a caller→callee edge is recorded before the callee's
    calls are looked at; a call whose callee already reaches its caller is
    recursive and is left alone (typing then reports it). Edges are per thread
    and reset for each kernel compile.
    """

    def __init__(self):
        self._local = threading.local()

    def reset(self):
        self._local.edges = {}
        self._local.recursive = set()

    def _reaches(self, edges, start, goal):
        seen, todo = set(), [start]
        while todo:
            f = todo.pop()
            if f is goal:
                return True
            if f in seen:
                continue
            seen.add(f)
            todo.extend(edges.get(f, ()))
        return False

    def __call__(self, expr, caller_ir, callee_ir):
        if getattr(self._local, "edges", None) is None:
            self.reset()
        edges, recursive = self._local.edges, self._local.recursive
        caller = caller_ir.func_id.func
        callee = callee_ir.func_id.func
        if callee in recursive:
            return False
        if callee is caller or self._reaches(edges, callee, caller):
            recursive.add(callee)
            return False
        edges.setdefault(caller, set()).add(callee)
        return True


inline_budget = _InlineBudget()
DeviceFunction.targetoptions = {"inline": inline_budget}
