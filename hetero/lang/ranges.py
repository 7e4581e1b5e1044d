"""Launch ranges: :class:`Range`, :class:`NdRange`, and what ``k[...]`` means.

Dimension ``d`` always means dimension ``d`` of the launch range as written by
the user: in ``k[(n, m)]`` dimension 0 has ``n`` work-items, dimension 1 has ``m``.
"""

from __future__ import annotations

from ..errors import LaunchError

__all__ = ["Range", "NdRange", "parse_range"]


def _as_dims(value, what: str) -> tuple[int, ...]:
    if isinstance(value, Range):
        return value.dims
    if isinstance(value, (list, tuple)):
        dims = tuple(value)
    else:
        dims = (value,)
    out = []
    for d in dims:
        if isinstance(d, bool) or not hasattr(d, "__index__"):
            raise LaunchError(
                f"{what} must be integers, got {type(d).__name__} {d!r}; write e.g. Range(1024) or Range(64, 64)"
            )
        d = int(d.__index__())
        if d < 0:
            raise LaunchError(f"{what} must not be negative, got {dims}")
        out.append(d)
    if not 1 <= len(out) <= 3:
        raise LaunchError(f"{what} must have 1, 2 or 3 dimensions, got {len(out)} ({dims})")
    return tuple(out)


class Range:
    """The work-items of a launch: 1, 2 or 3 non-negative extents.

    ``k[Range(n, m)](...)`` runs ``n * m`` work-items; an item-style kernel gets
    an :class:`Item` whose ``get_id(0)`` runs over ``range(n)`` and ``get_id(1)``
    over ``range(m)``.
    """

    __slots__ = ("dims", "_glist", "_small")

    def __init__(self, *dims: int):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list, Range)):
            dims = tuple(dims[0].dims if isinstance(dims[0], Range) else dims[0])
        self.dims = _as_dims(dims, "Range extents")
        self._glist = list(self.dims)  # what dpctl's submit takes, made once
        self._small = self.size < 2**31  # ids fit in 31 bits: the compiler may use 32-bit math

    @property
    def ndim(self) -> int:
        return len(self.dims)

    @property
    def size(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n

    def __len__(self) -> int:
        return len(self.dims)

    def __getitem__(self, i):
        return self.dims[i]

    def __iter__(self):
        return iter(self.dims)

    def __eq__(self, other):
        if isinstance(other, Range):
            return self.dims == other.dims
        return NotImplemented

    def __hash__(self):
        return hash(("Range", self.dims))

    def __repr__(self):
        return f"Range{self.dims}" if len(self.dims) > 1 else f"Range({self.dims[0]})"


class NdRange:
    """A global range split into work-groups of a local range.

    Each local extent must divide the matching global extent. An item-style
    kernel launched on an ``NdRange`` receives an :class:`NdItem`.
    """

    __slots__ = ("global_range", "local_range", "_glist", "_llist", "_small")

    def __init__(self, global_range, local_range):
        g = Range(_as_dims(global_range, "NdRange global extents"))
        loc = Range(_as_dims(local_range, "NdRange local extents"))
        if g.ndim != loc.ndim:
            raise LaunchError(
                f"NdRange global range {g.dims} and local range {loc.dims} have different numbers of dimensions"
            )
        for d, (gd, ld) in enumerate(zip(g.dims, loc.dims)):
            if ld == 0 and gd != 0:
                raise LaunchError(f"NdRange local extent {d} is 0 but the global extent is {gd}")
            if ld and gd % ld:
                raise LaunchError(
                    f"NdRange local extent {ld} does not divide global extent {gd} in dimension {d} "
                    f"(global {g.dims}, local {loc.dims}); round the global range up to a multiple of "
                    "the local range and guard the extra work-items with an `if`"
                )
        self.global_range = g
        self.local_range = loc
        self._glist = list(g.dims)
        self._llist = list(loc.dims)
        self._small = g._small

    @property
    def ndim(self) -> int:
        return self.global_range.ndim

    def __eq__(self, other):
        if isinstance(other, NdRange):
            return (self.global_range, self.local_range) == (other.global_range, other.local_range)
        return NotImplemented

    def __hash__(self):
        return hash(("NdRange", self.global_range.dims, self.local_range.dims))

    def __repr__(self):
        return f"NdRange({self.global_range.dims}, {self.local_range.dims})"


def _is_seq(x) -> bool:
    return isinstance(x, (tuple, list, Range))


def parse_range(key) -> Range | NdRange:
    """What ``k[key]`` means: ``n``, ``(n, m)``, ``Range``, ``NdRange``, or ``global, local``."""
    if isinstance(key, (Range, NdRange)):
        return key
    if isinstance(key, tuple) and len(key) == 2 and any(_is_seq(k) for k in key):
        glob, loc = key
        if isinstance(glob, NdRange) or isinstance(loc, NdRange):
            raise LaunchError(f"k[global, local] takes two ranges, got {key!r}")
        if isinstance(loc, list) and not loc:  # numba-dpex's DEFAULT_LOCAL_SIZE: the runtime chooses
            return Range(glob) if not isinstance(glob, Range) else glob
        return NdRange(glob, loc)
    if isinstance(key, (list, tuple)):
        if len(key) == 0:
            raise LaunchError("a launch range needs 1, 2 or 3 dimensions, got ()")
        return Range(*key)
    if hasattr(key, "__index__") and not isinstance(key, bool):
        return Range(key)
    raise LaunchError(
        f"cannot launch a kernel over {type(key).__name__} {key!r}: use k[n], k[(n, m)], k[global, local], "
        "k[hetero.Range(...)] or k[hetero.NdRange(global, local)]"
    )
