"""`DataParallel`: data-parallel steps and ZeRO-1 sharded state over MPI."""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._fused import FusedStep
from .._params import check_number
from . import _describe
from ._comm import agree, allgather_bytes, check_comm, mpi, mpi_type
from ._layout import Layout, mirror
from ._norms import GlobalSums
from ._zero import ZeroMixin, param_type

_LIVE: weakref.WeakSet[DataParallel] = weakref.WeakSet()
_BLOCK = 1 << 15  # elements per block of the sum: its operands stay in the L2 cache
_HOOKED = False
_SHARED = True  # ZeRO-1 on one node: flat buffers in MPI shared memory (False: messages)
# the shared-memory windows not freed yet, by creation number: freeing one is collective
# (a barrier), so it happens in close() or at exit, in creation order, never at collection
_WINDOWS: dict[int, list] = {}
_CREATED = [0]


def _free_windows(windows: list) -> None:
    for win in windows:
        win.Unlock_all()
        win.Free()


def _close_all() -> None:
    """At exit, before mpi4py finalizes MPI: free what live instances hold, then the
    shared-memory windows left, in creation order (the same on every rank)."""
    if mpi().Is_finalized():
        return
    for dp in list(_LIVE):
        dp._release()
    for key in sorted(_WINDOWS):
        _free_windows(_WINDOWS.pop(key))


class DataParallel(ZeroMixin):
    r"""Data-parallel training of an optkern optimizer over MPI ranks.

    Wraps any optkern optimizer (``optkern.Adam``, ``optkern.torch.SGD``, ...)
    built on every rank over that rank's copy of the parameters. ``step(grads)``
    takes this rank's gradients (the layout ``opt.step`` takes), averages them
    over the ranks and applies the optimizer's step:

    .. code-block:: text

        ḡ = (((g_0 + g_1) + g_2) + ... + g_{W-1}) / W     (per element, in the
                                                          parameters' dtype)
        opt.step(ḡ)

    Each rank owns a slice of the flat parameter space; every rank sends each
    owner its part of the gradients (point-to-point, on fixed buffers), the
    owner adds the W copies in rank order in NumPy and divides, and the
    averaged slices are gathered back. MPI's ``Allreduce`` adds in an
    unspecified order that may change with the message size, the algorithm or
    the number of ranks, so it could leave ranks, or runs, a rounding apart.
    Here the result is a fixed function of the gradients, and the parameters
    are bit-identical on every rank after every step. ``/ W`` is a true
    division (correctly rounded), not a product with ``1/W``.

    Parameters
    ----------
    opt : optkern optimizer
        Either front-end. Built on every rank with the same class,
        hyperparameters, parameter shapes and dtypes; checked at construction,
        where a mismatch is a ValueError on every rank naming what differs.
        Rank 0's parameters and optimizer state are then broadcast to all.
    comm : mpi4py intracommunicator, optional
        Default ``MPI.COMM_WORLD``.
    zero : bool, default False
        ZeRO-1: each rank keeps the optimizer state of, and steps, only its
        slice of the flat parameter space (about 1/W of it; slices may cut
        tensors, at multiples of 8192 elements from a tensor's start), then
        the parameters are all-gathered. The gradients are reduced to the
        owner of each slice in the same fixed order, and norms for
        ``clipnorm`` / ``global_clipnorm`` / ``clip_grad_norm`` are summed from
        the same fixed pieces as on one process: the results equal
        ``zero=False`` bit for bit. The wrapped optimizer's own state arrays
        are released (it keeps its hyperparameters); use this object to step,
        save and load. When all ranks share one node (and its /dev/shm has
        room), the flat gradient buffers lie in MPI shared memory: each owner
        reads the others' gradients for its slice, and each rank the others'
        updated slices, directly (two synchronizations per step, no messages);
        the arithmetic is the same.

    Notes
    -----
    All methods are collective: every rank calls them, in the same order.
    Buffers are allocated at construction; a step allocates none.
    ``optkern.Checkpoint(model=params, optimizer=dp)`` saves from every rank
    (rank 0 writes one file in the one-process format) and restores on any
    number of ranks. docs/distributed.md has the details.

    Examples
    --------
    Run with ``mpiexec -n 2 python -m mpi4py train.py``:

    >>> from optkern.distributed import DataParallel
    >>> params = {"W": np.zeros((3, 4), np.float32)}
    >>> dp = DataParallel(ok.Adam(params, learning_rate=1e-3), zero=True)
    >>> dp.step({"W": local_gradient})   # doctest: +SKIP
    """

    def __init__(self, opt: Any, comm: Any = None, zero: bool = False):
        if not isinstance(opt, FusedStep) or not hasattr(opt, "_groups"):
            raise TypeError(f"opt must be an optkern optimizer, got {type(opt).__name__}")
        if not isinstance(zero, (bool, np.bool_)):
            raise TypeError(f"zero must be a bool, got {zero!r}")
        self.comm = comm = check_comm(comm)
        self._comm = comm.Dup()  # its own context: no clash with the caller's messages
        self._exchange: list = []
        self._gather: list = []
        self._types: list = []  # MPI datatypes the requests use
        global _HOOKED
        if not _HOOKED:
            atexit.register(_close_all)  # registered after mpi4py's own exit hook: runs first
            _HOOKED = True
        _LIVE.add(self)
        self.optimizer = opt
        self.zero = bool(zero)
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()
        self._check_same(opt)
        groups = opt._groups
        params = groups.params
        by_dtype: dict = {}
        for i, p in enumerate(params):
            by_dtype.setdefault(p.dtype, []).append(i)
        self._layouts = [
            Layout(dt, idx, [params[i].shape for i in idx], self.world_size, self.rank)
            for dt, idx in by_dtype.items()
        ]
        # flat[d]: the gradients (then their average, then the parameters) of dtype d,
        # end to end
        self._shared = self.zero and self.world_size > 1 and _SHARED and self._one_node()
        self._peers: list = []  # with _shared, per dtype: every rank's flat, by rank
        if self._shared:
            self._flat = self._shared_flats()
        else:
            self._flat = [np.zeros(L.total, L.dtype) for L in self._layouts]
        # recv[d]: the other ranks' gradients for this rank's slice, in rank order
        # (this rank's own stay in place in flat, where their average is formed);
        # with _shared they are read in the other ranks' flat buffers
        self._recv = [
            np.zeros(0 if self._shared else L.counts[self.rank] * (self.world_size - 1), L.dtype)
            for L in self._layouts
        ]
        self._views: list[Any] = [None] * len(params)  # per parameter: its part of flat, shaped
        for L, flat in zip(self._layouts, self._flat):
            for k, i in enumerate(L.indices):
                off, n = L.offsets[k], L.sizes[k]
                self._views[i] = flat[off : off + n].reshape(L.shapes[k])
        self._mine = [flat[L.begin : L.end] for L, flat in zip(self._layouts, self._flat)]
        # the gradients to send (the parts other ranks own) and this rank's own
        # parts, which are read in place: (parameter, a, b, buffer view)
        self._send_parts: list = []
        self._own_parts: list = []
        for L, flat in zip(self._layouts, self._flat):
            own = []
            for k, i in enumerate(L.indices):
                off, n = L.offsets[k], L.sizes[k]
                a, b = max(L.begin, off) - off, min(L.end, off + n) - off
                others = [(0, n)]
                if a < b:
                    own.append((i, a, b, off + a - L.begin, off + b - L.begin))
                    others = [(0, a), (b, n)]
                self._send_parts += [
                    (i, lo, hi, flat[off + lo : off + hi]) for lo, hi in others if lo < hi
                ]
            self._own_parts.append(own)
        # each rank's verdict on its gradients travels with the exchange (no extra round trip)
        self._status = np.zeros(1, np.int32)
        self._status_all = np.zeros(self.world_size, np.int32)
        self._make_requests()
        self._blocks = self._make_blocks()
        self._broadcast_from_root()
        self._grads = mirror(groups, self._views)
        self._sums: list[GlobalSums] | None = (
            None  # GlobalSums per layout, made when a norm is first needed
        )
        if self.zero:
            error = None
            try:
                self._build_shards()
            except Exception as e:  # noqa: BLE001 - a rank without pieces would not see it
                error = e
            agree(self._comm, error, "DataParallel(zero=True)")

    # -- construction ---------------------------------------------------------------
    def _one_node(self) -> bool:
        """Whether every rank shares this node's memory, and its shared-memory file
        system (where MPICH maps the windows) has twice the room the flat buffers
        of all ranks need (collective, the same answer on every rank; else the
        messages: touching a full tmpfs mapping would kill the process)."""
        MPI = mpi()
        node = self._comm.Split_type(MPI.COMM_TYPE_SHARED)
        size = node.Get_size()
        node.Free()
        need = self.world_size * sum(max(L.total, 1) * L.dtype.itemsize for L in self._layouts)
        try:
            st = os.statvfs("/dev/shm")
            room = st.f_bavail * st.f_frsize
        except OSError:
            room = 0
        fits = np.array([size == self.world_size and room >= 2 * need], np.int32)
        every = np.zeros(1, np.int32)
        self._comm.Allreduce([fits, MPI.INT], [every, MPI.INT], op=MPI.MIN)
        return bool(every[0])

    def _shared_flats(self) -> list:
        """The flat buffers in MPI shared-memory windows (collective): every rank
        reads the others' directly, so ZeRO-1 sums the gradients and takes the
        parameters from them with no message (every access between two
        synchronizations of the step, see `step`)."""
        MPI = mpi()
        windows, flats = [], []
        for L in self._layouts:
            size = max(L.total, 1) * L.dtype.itemsize
            win = MPI.Win.Allocate_shared(size, L.dtype.itemsize, comm=self._comm)
            win.Lock_all(MPI.MODE_NOCHECK)
            windows.append(win)
            peers = []
            for r in range(self.world_size):
                buf, _ = win.Shared_query(r)
                peers.append(np.frombuffer(buf, L.dtype, count=L.total))
            self._peers.append(peers)
            flats.append(peers[self.rank])
        self._windows_key = _CREATED[0]
        _CREATED[0] += 1
        _WINDOWS[self._windows_key] = windows
        return flats

    def _sync_shared(self, status: bool = False) -> None:
        """A memory barrier of every rank (collective): what any rank wrote to its
        flat buffers before is visible to all after. With ``status``, the ranks'
        verdicts on their gradients are all-gathered on the way (that is the
        barrier)."""
        windows = _WINDOWS[self._windows_key]
        for win in windows:
            win.Sync()
        if status:
            self._comm.Allgather([self._status, mpi().INT], [self._status_all, mpi().INT])
        else:
            self._comm.Barrier()
        for win in windows:
            win.Sync()

    def _check_same(self, opt: Any) -> None:
        error = None
        try:
            mine = _describe.describe(opt, self.zero)
        except Exception as e:  # noqa: BLE001 - reported on every rank
            error, mine = e, {}
        descs = allgather_bytes(self._comm, _describe.encode(mine))
        agree(self._comm, error, "describing the optimizer")
        ref = _describe.decode(descs[0])
        for r, d in enumerate(descs):
            if d != descs[0]:
                diffs = _describe.differences(ref, _describe.decode(d))
                raise ValueError(
                    f"DataParallel: rank {r} is configured differently from rank 0 "
                    f"(rank {r}'s value vs rank 0's): " + "; ".join(diffs)
                )

    def _pack(self, arrays: list) -> None:
        for i, a in enumerate(arrays):
            if a is not None:
                np.copyto(self._views[i], a)

    def _unpack(self, arrays: list) -> None:
        for i, a in enumerate(arrays):
            if a is not None:
                np.copyto(a, self._views[i])

    def _bcast_arrays(self, arrays: list) -> None:
        self._pack(arrays)
        for L, flat in zip(self._layouts, self._flat):
            if L.total:
                self._comm.Bcast([flat, mpi_type(L.dtype)], root=0)
        if self.rank != 0:
            self._unpack(arrays)

    def _broadcast_from_root(self) -> None:
        opt = self.optimizer
        self._bcast_arrays(opt._groups.params)
        for slot in opt._state:
            self._bcast_arrays(opt._state[slot])

    def _flatten_checked(self, grads: Any) -> tuple[list | None, BaseException | None]:
        """The grads as a flat list, checked here only (the verdicts of all ranks
        are compared after the exchange)."""
        try:
            flat = self.optimizer._groups.flatten(grads)
            for g, p, label in zip(
                flat, self.optimizer._groups.params, self.optimizer._groups.labels
            ):
                if not isinstance(g, np.ndarray):
                    raise TypeError(
                        f"grads[{label}] must be a numpy.ndarray, got {type(g).__name__}"
                    )
                if g.shape != p.shape or g.dtype != p.dtype:
                    raise ValueError(
                        f"grads[{label}] has shape {g.shape} and dtype {g.dtype}; "
                        f"expected {p.shape} and {p.dtype}"
                    )
        except (TypeError, ValueError) as e:
            return None, e
        return flat, None

    def _make_blocks(self) -> list:
        """The sum's plan, per block of this rank's slice (cut at tensor ends and
        every _BLOCK elements): (parameter, a, b, the first addend's view, the
        views added before this rank's gradients, those added after, the output
        view)."""
        W, me = self.world_size, self.rank
        out: list[tuple] = []
        if W == 1:
            return out
        for d, (L, recv, own) in enumerate(zip(self._layouts, self._recv, self._own_parts)):
            n, mine = L.counts[me], self._mine[d]
            # with _shared: rank s's gradients for this slice, in its own flat buffer
            peers = [p[L.begin : L.end] for p in self._peers[d]] if self._shared else None

            def slot(
                s: int, lo: int, hi: int, recv: np.ndarray = recv, n: int = n, peers: Any = peers
            ) -> np.ndarray:
                if peers is not None:
                    return peers[s][lo:hi]
                j = s if s < me else s - 1
                return recv[j * n + lo : j * n + hi]

            for i, a, b, lo, hi in own:
                for x in range(lo, hi, _BLOCK):
                    y = min(hi, x + _BLOCK)
                    first = slot(1 if me == 0 else 0, x, y)
                    middle = [slot(s, x, y) for s in range(1, me)]
                    tail = [slot(s, x, y) for s in range(2 if me == 0 else me + 1, W)]
                    out.append((i, a + x - lo, a + y - lo, first, middle, tail, mine[x:y]))
        return out

    def _make_requests(self) -> None:
        """Persistent point-to-point requests over the fixed buffers (no allocation
        per step): ``exchange`` sends each rank the part of this rank's gradients
        it owns and receives the others' parts of this rank's slice; ``gather``
        sends this rank's slice to every rank and receives theirs in place (in
        flat; with ZeRO-1 straight into the parameters, through an MPI datatype
        of their addresses: as fast as a contiguous receive here, and no copy).
        MPICH's Alltoallv/Allgatherv measured 2-6x slower than this here."""
        W, me, comm = self.world_size, self.rank, self._comm
        params = self.optimizer._groups.params
        self._exchange, self._gather, self._types = [], [], []
        if self._shared:
            return  # no messages: the flat buffers are read in shared memory
        for k in range(1, W):
            src, dst = (me - k) % W, (me + k) % W
            self._exchange.append(
                comm.Recv_init([self._status_all[src : src + 1], mpi().INT], source=src, tag=9)
            )
            self._exchange.append(comm.Send_init([self._status, mpi().INT], dest=dst, tag=9))
        for d, (L, flat, recv) in enumerate(zip(self._layouts, self._flat, self._recv)):
            t = mpi_type(L.dtype)
            n = L.counts[me]
            tx, tg = 10 + 2 * d, 11 + 2 * d  # tags: exchange, gather
            for k in range(1, W):
                src, dst = (me - k) % W, (me + k) % W
                slot = src if src < me else src - 1
                lo, hi = L.bounds[dst], L.bounds[dst + 1]
                if n:
                    self._exchange.append(
                        comm.Recv_init([recv[slot * n : (slot + 1) * n], t], source=src, tag=tx)
                    )
                    self._gather.append(
                        comm.Send_init([flat[L.begin : L.end], t], dest=dst, tag=tg)
                    )
                if hi > lo:
                    self._exchange.append(comm.Send_init([flat[lo:hi], t], dest=dst, tag=tx))
                slo, shi = L.bounds[src], L.bounds[src + 1]
                if shi > slo and self.zero:
                    # ZeRO-1: straight into the parameters (no copy out of flat)
                    into = param_type(params, L, slo, shi)
                    self._types.append(into)
                    self._gather.append(comm.Recv_init([mpi().BOTTOM, 1, into], source=src, tag=tg))
                elif shi > slo:
                    self._gather.append(comm.Recv_init([flat[slo:shi], t], source=src, tag=tg))

    def close(self) -> None:
        """Free the persistent requests, the shared memory and the private
        communicator (collective; idempotent; also done at exit). The object
        cannot step afterwards."""
        MPI = mpi()
        if MPI.Is_finalized():
            return
        windows = _WINDOWS.pop(getattr(self, "_windows_key", -1), None)
        if windows is not None:
            self._peers, self._peer_copies, self._blocks = [], [], []
            self._flat, self._mine, self._views = [], [], []
            _free_windows(windows)
        self._release()

    def _release(self) -> None:
        """`close` but for the shared memory, which is freed at exit when it was
        not by `close` (freeing it is collective, so a collected object must not)."""
        MPI = mpi()
        if MPI.Is_finalized():
            return
        for r in self._exchange + self._gather:
            if r != MPI.REQUEST_NULL:
                r.Free()
        for t in self._types:
            t.Free()
        self._exchange, self._gather, self._types = [], [], []
        if self._comm != MPI.COMM_NULL:
            self._comm.Free()
        self._closed = True

    _closed = False

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # nothing to report at collection time
            self._release()

    @staticmethod
    def _run(requests: list) -> None:
        if requests:
            MPI = mpi()
            MPI.Prequest.Startall(requests)
            MPI.Request.Waitall(requests)

    def _reduce(self, grads: list | None, error: BaseException | None) -> None:
        """Sum all ranks' gradients slice by slice in rank order, / W, into flat's
        slice of this rank (this rank's own gradients are read where they are).

        A rank whose gradients were refused still takes part in the exchange
        (with stale data) and says so in its status message; then every rank
        raises, before anything is modified. With ZeRO-1 on one node the other
        ranks' gradients are read in their flat buffers after a synchronization
        (that carries the statuses) instead of being sent."""
        W = self.world_size
        self._status[0] = 0 if error is None else 1
        if W == 1:
            if error is not None:
                raise error
            assert grads is not None  # refused grads come with an error
            self._pack(grads)
            return
        if error is None:
            assert grads is not None
            for i, lo, hi, dst in self._send_parts:
                np.copyto(dst, grads[i].reshape(-1)[lo:hi])
        if self._shared:
            self._sync_shared(status=True)
        else:
            self._run(self._exchange)
            self._status_all[self.rank] = self._status[0]
        if self._status_all.any():
            agree(self._comm, error, "DataParallel.step")
        assert grads is not None  # else agree raised on every rank
        flat_grads: dict[int, np.ndarray] = {}
        for i, a, b, first, middle, tail, out in self._blocks:
            g = flat_grads.get(i)
            if g is None:
                g = flat_grads[i] = grads[i].reshape(-1)
            # out = ((g_0 + g_1) + ...) + g_me + ...; on rank 0, out = g_1 + g_0
            # (addition commutes exactly); one block of at most _BLOCK elements at a
            # time, so that the chain stays in cache; the addends are only read
            if middle:
                np.add(first, middle[0], out=out)
                for x in middle[1:]:
                    np.add(out, x, out=out)
                np.add(out, g[a:b], out=out)
            else:
                np.add(first, g[a:b], out=out)
            for x in tail:
                np.add(out, x, out=out)
            np.divide(out, W, out=out)

    def _allgather(self) -> None:
        """Every rank's slice of flat to every rank (in place; with ZeRO-1 into the
        parameters; on one node read in the owners' flat buffers after a
        synchronization)."""
        if self._shared:
            self._sync_shared()
            for dst, src in self._peer_copies:
                np.copyto(dst, src)
        else:
            self._run(self._gather)

    def _global_sums(self) -> list[float]:
        """Every parameter's sum of squares of the averaged gradient (collective),
        bit for bit ``_core.sum_squares`` of the whole averaged tensors."""
        sums = self._sums
        if sums is None:
            sums = self._sums = [GlobalSums(self._comm, L) for L in self._layouts]
        out = [0.0] * len(self.optimizer._groups.params)
        for L, S, mine in zip(self._layouts, sums, self._mine):

            def slice_of(k: int, a: int, b: int, L: Layout = L, mine: np.ndarray = mine) -> Any:
                s = L.offsets[k] + a - L.begin
                return mine[s : s + b - a]

            for k, s in enumerate(S.sums(slice_of)):
                out[L.indices[k]] = s
        return out

    def step(self, grads: Any, clip_grad_norm: float | None = None) -> float | None:
        """Average ``grads`` over the ranks and apply one step (collective).

        Parameters
        ----------
        grads : like ``opt.step``'s
            This rank's gradients; not modified.
        clip_grad_norm : float >= 0, optional
            Before the step, scale the averaged gradients as
            ``optkern.torch.clip_grad_norm_`` does (L2 norm N over all of them,
            ``ḡ <- ḡ * min(1, c / (N + 1e-6))``).

        Returns
        -------
        float or None
            N when ``clip_grad_norm`` is given, else None.

        A gradient of the wrong layout, shape or dtype on any rank is an error
        on every rank, raised before anything is modified.
        """
        if clip_grad_norm is not None:
            clip_grad_norm = check_number("clip_grad_norm", clip_grad_norm)
        if self._closed:
            raise RuntimeError("this DataParallel was closed")
        flat, error = self._flatten_checked(grads)
        self._reduce(flat, error)
        norm = None
        if self.zero:
            opt, inner = self.optimizer, self._inner
            if (
                clip_grad_norm is not None
                or opt.__dict__.get("_clipnorm") is not None
                or opt.__dict__.get("_global_clipnorm") is not None
            ):
                sums = self._global_sums()
                if clip_grad_norm is not None:
                    norm = math.sqrt(math.fsum(sums))
                    coef = clip_grad_norm / (norm + 1e-6)
                    if not coef >= 1.0:
                        for mine in self._mine:
                            np.multiply(mine, coef, out=mine)
                        if (
                            opt.__dict__.get("_clipnorm") is not None
                            or opt.__dict__.get("_global_clipnorm") is not None
                        ):
                            sums = self._global_sums()
                self._scales = self._keras_scales(sums)
            self._sync_inner()
            inner.step(self._inner_grads)
            opt.iterations = inner.iterations
            for dst, src in self._owned_copies:
                np.copyto(dst, src)
            self._allgather()
        else:
            self._allgather()
            if clip_grad_norm is not None:
                from ..torch.clip import clip_grad_norm_

                norm = clip_grad_norm_(self._views, clip_grad_norm)
            self.optimizer.step(self._grads)
        return norm

    @property
    def params(self) -> list[np.ndarray]:
        """The wrapped optimizer's parameters (identical on every rank)."""
        return self.optimizer.params

    @property
    def iterations(self) -> int:
        return self.optimizer.iterations

    @property
    def _checkpoint_comm(self) -> Any:
        return self.comm

    def state_dict(self, root: int | None = None) -> dict | None:
        """The wrapped optimizer's state dict as on one process (collective).

        The same flat format, entry names and values as ``opt.state_dict()``
        of the same optimizer trained on one process: a checkpoint written by
        any number of ranks loads anywhere. With ``zero=True`` the shards are
        gathered. ``root=None`` returns it on every rank; ``root=r`` only on
        rank r (others get None), which spares the others the memory.
        """
        if not self.zero:
            sd = self.optimizer.state_dict()
            return sd if root is None or root == self.rank else None
        return self._gather_state(root)

    def load_state_dict(self, state_dict: Mapping, strict: bool = True) -> None:
        """Load a state dict of the wrapped optimizer's format (collective).

        Every rank must pass the same state dict (as ``Checkpoint.restore``
        does, each rank reading the same file). With ``zero=True`` each rank
        keeps its slices. An error on any rank raises on every rank, and then
        no rank's state is modified.
        """
        target = self._inner if self.zero else self.optimizer
        error = None
        backup = target.state_dict()
        try:
            sd = self._to_shards(state_dict) if self.zero else state_dict
            target.load_state_dict(sd, strict=strict)
        except (TypeError, ValueError) as e:
            error = e
        try:
            agree(self._comm, error, "DataParallel.load_state_dict")
        except BaseException:
            if error is None:
                target.load_state_dict(backup, strict=False)
            raise
        if self.zero:
            self.optimizer.iterations = self._inner.iterations
            if hasattr(self.optimizer, "defaults"):
                for go, gi in zip(self.optimizer.param_groups, self._inner.param_groups):
                    for k in self.optimizer.defaults:
                        go[k] = gi[k]
            elif not callable(self.optimizer._learning_rate):
                self.optimizer.learning_rate = self._inner._learning_rate

    def __repr__(self) -> str:
        return (
            f"DataParallel({self.optimizer!r}, rank {self.rank} of {self.world_size}"
            f"{', zero=True' if self.zero else ''})"
        )
