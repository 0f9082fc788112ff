"""Sums of squares of tensors spread over ranks, bit for bit those of
``optkern._core.sum_squares`` on the whole tensors.

The native reduction cuts a tensor into pieces of 8192 elements; element i of
a piece adds, in index order, into double lane ``i mod 8``; a tensor's lanes
add piece by piece in order; its eight lanes add in the fixed tree
``((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7))``. Each rank computes the lanes of the
pieces it owns (slices are cut on piece boundaries), the lanes of all pieces
are gathered in rank order (which is flat order), and every rank adds them per
tensor in the same order: the sums equal the single-process ones exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._comm import mpi
from ._layout import PIECE

LANES = 8


def piece_lanes(x: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """The 8 double lanes of one piece ``x`` (1-D, at most 8192 elements) into ``out``.

    A NumPy reduction over a non-innermost axis adds the rows in order, so
    each lane is the sequential sum of its squares, as in the native loop.
    """
    n = x.shape[0]
    sq = scratch[:n]
    np.copyto(sq, x)  # to double first: a casting ufunc would allocate iterator buffers
    np.multiply(sq, sq, out=sq)
    full = n - n % LANES
    if full:
        np.add.reduce(sq[:full].reshape(-1, LANES), axis=0, out=out)
    else:
        out[:] = 0.0
    for j in range(n - full):
        out[j] = out[j] + sq[full + j]


def add_lanes(l: np.ndarray) -> float:
    a = [float(v) for v in l]
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))


class GlobalSums:
    """Per-tensor sums of squares over one dtype's flat space, from its owners."""

    def __init__(self, comm: Any, layout: Any):
        self.comm = comm
        self.layout = layout
        self.mine = layout.pieces(layout.rank)
        counts = [len(layout.pieces(r)) * LANES for r in range(layout.world)]
        self.counts = counts
        self.displs = [sum(counts[:r]) for r in range(layout.world)]
        self.all_pieces = [p for r in range(layout.world) for p in layout.pieces(r)]
        self.local = np.zeros((len(self.mine), LANES))
        self.gathered = np.zeros((max(len(self.all_pieces), 1), LANES))
        self.scratch = np.empty(PIECE)
        # per tensor k: the rows [first, last) of its pieces in `gathered` (consecutive)
        self.rows: list[tuple[int, int]] = [(0, 0)] * len(layout.sizes)
        for row, (k, _, _) in enumerate(self.all_pieces):
            first = self.rows[k][0] if self.rows[k][1] else row
            self.rows[k] = (first, row + 1)
        self.acc = np.zeros(LANES)

    def sums(self, slice_of: Any) -> list[float]:
        """``slice_of(k, a, b)`` gives this rank's gradient for tensor k's range
        [a, b); returns every tensor's sum of squares (collective)."""
        MPI = mpi()
        for i, (k, a, b) in enumerate(self.mine):
            piece_lanes(slice_of(k, a, b), self.scratch, self.local[i])
        self.comm.Allgatherv(
            [self.local, MPI.DOUBLE], [self.gathered, (self.counts, self.displs), MPI.DOUBLE]
        )
        out = []
        for first, last in self.rows:
            if first == last:
                out.append(0.0)
                continue
            # rows add in order (a reduction over the outer axis), from 0.0 + row 0
            np.add.reduce(self.gathered[first:last], axis=0, out=self.acc)
            out.append(add_lanes(self.acc))
        return out
