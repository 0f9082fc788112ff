"""The flat parameter space of one dtype and its partition between ranks.

The tensors of a dtype, in the optimizer's order, lie end to end in one flat
buffer. Rank r owns ``[bounds[r], bounds[r+1])``. A cut inside a tensor falls on
a multiple of `PIECE` elements from the tensor's start, the pieces of the
deterministic sum of squares (``optkern._core.sum_squares``), so that norms can
be summed from whole pieces in the same order whatever the number of ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core

PIECE = _core.chunk_elements  # the native reduction's piece size (8192)


class Layout:
    """Tensors ``indices`` (into the optimizer's flat list) of one dtype."""

    def __init__(
        self, dtype: np.dtype, indices: list[int], shapes: list[tuple], size: int, rank: int
    ):
        self.dtype = np.dtype(dtype)
        self.indices = indices
        self.shapes = shapes
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        self.offsets = [0] * len(self.sizes)
        for k in range(1, len(self.sizes)):
            self.offsets[k] = self.offsets[k - 1] + self.sizes[k - 1]
        self.total = sum(self.sizes)
        self.world = size
        self.rank = rank
        self.bounds = self._partition(size)
        self.counts = [self.bounds[r + 1] - self.bounds[r] for r in range(size)]
        self.begin, self.end = self.bounds[rank], self.bounds[rank + 1]

    def _partition(self, size: int) -> list[int]:
        bounds = [0]
        for r in range(1, size):
            target = (r * self.total) // size
            cut = self.total
            for off, n in zip(self.offsets, self.sizes):
                if off <= target < off + n:
                    local = min(n, round((target - off) / PIECE) * PIECE)
                    cut = off + local
                    break
            bounds.append(max(bounds[-1], cut))
        bounds.append(self.total)
        return bounds

    def owner_ranges(self, rank: int) -> list[tuple[int, int, int]]:
        """``(k, a, b)``: the part ``[a, b)`` of tensor k (its local flat range)
        owned by ``rank``. A zero-size tensor belongs to the last rank whose
        range starts at or before its offset."""
        lo, hi = self.bounds[rank], self.bounds[rank + 1]
        out = []
        for k, (off, n) in enumerate(zip(self.offsets, self.sizes)):
            if n == 0:
                owner = max(r for r in range(self.world) if self.bounds[r] <= off)
                if owner == rank:
                    out.append((k, 0, 0))
                continue
            a, b = max(lo, off), min(hi, off + n)
            if a < b:
                out.append((k, a - off, b - off))
        return out

    def pieces(self, rank: int) -> list[tuple[int, int, int]]:
        """The norm pieces ``(k, a, b)`` of ``rank``'s ranges, in flat order."""
        out = []
        for k, a, b in self.owner_ranges(rank):
            for s in range(a, b, PIECE):
                out.append((k, s, min(b, s + PIECE)))
        return out


def mirror(groups: Any, arrays: list) -> Any:
    """``arrays`` (one per parameter, flat order) in the structure of ``groups``'
    params: a list, a dict, or one list/dict per group."""
    out, start = [], 0
    for group, names in zip(groups.groups, groups._member_names):
        n = len(group["params"])
        part = arrays[start : start + n]
        start += n
        out.append(dict(zip(names, part)) if names is not None else list(part))
    return out if groups.kind == "groups" else out[0]
