"""ZeRO-1 for `DataParallel`: the shard optimizer over this rank's slices, its
clip factors from global norms, and the state dict gathered from and scattered to
the shards in the one-process format."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _describe
from ._comm import allgather_bytes, mpi, mpi_type
from ._layout import mirror


def param_type(params: list, L: Any, lo: int, hi: int) -> Any:
    """A committed MPI datatype (absolute addresses, used from ``MPI.BOTTOM``) of
    the elements ``[lo, hi)`` of flat space L in the parameters themselves, in flat
    order: a receive through it writes a rank's slice into the parameters directly.
    The parameters are C-contiguous and held by the optimizer, so their addresses
    stay valid."""
    MPI = mpi()
    lengths, displacements = [], []
    for k, i in enumerate(L.indices):
        off, n = L.offsets[k], L.sizes[k]
        a, b = max(lo, off), min(hi, off + n)
        if a < b:
            lengths.append(b - a)
            displacements.append(MPI.Get_address(params[i]) + (a - off) * L.dtype.itemsize)
    return mpi_type(L.dtype).Create_hindexed(lengths, displacements).Commit()


class ZeroMixin:
    """The ZeRO-1 half of `DataParallel` (uses its layouts, buffers and communicator)."""

    # set by DataParallel.__init__
    optimizer: Any
    rank: int
    world_size: int
    _comm: Any
    _layouts: list
    _flat: list
    _mine: list
    _peers: list

    def _build_shards(self) -> None:
        """The inner optimizer: same class and hyperparameters, over 1-D views of
        the owned ranges of the parameters (``"<key>[a:b]"``)."""
        opt = self.optimizer
        groups = opt._groups
        params = groups.params
        owned: dict[int, list] = {}  # parameter index -> [(a, b)]
        for L in self._layouts:
            for k, a, b in L.owner_ranges(self.rank):
                owned.setdefault(L.indices[k], []).append((a, b))
        self._pieces = []  # (parameter index, a, b), in the inner optimizer's order
        specs, start = [], 0
        torch_style = hasattr(opt, "defaults")
        for g, group in enumerate(groups.groups):
            members = {}
            for i in range(start, start + len(group["params"])):
                key = groups.keys[i]
                name = key.split("/", 1)[1] if groups.kind == "groups" else key
                for a, b in owned.get(i, []):
                    members[f"{name}[{a}:{b}]"] = params[i].reshape(-1)[a:b]
                    self._pieces.append((i, a, b))
            start += len(group["params"])
            options = {k: v for k, v in group.items() if k != "params"}
            specs.append(dict(options, params=members))
        args = _describe.constructor_arguments(opt)
        args["params"] = specs if (torch_style or groups.kind == "groups") else specs[0]["params"]
        inner = type(opt)(**args)
        for slot, arrays in inner._state.items():
            for a, (i, x, y) in zip(arrays, self._pieces):
                if a is not None and a.shape != (y - x,):
                    raise ValueError(
                        f"zero=True needs elementwise optimizer state; "
                        f"{type(opt).__name__} keeps {slot!r} per tensor"
                    )
        self._inner = inner
        self._inner_keys = list(inner._groups.keys)
        # the inner grads: views of this rank's averaged slice
        piece_grads = []
        where = {}
        for L, mine in zip(self._layouts, self._mine):
            for k, a, b in L.owner_ranges(self.rank):
                where[(L.indices[k], a)] = mine[
                    L.offsets[k] + a - L.begin : L.offsets[k] + b - L.begin
                ]
        piece_grads = [where[(i, a)] for i, a, _ in self._pieces]
        self._inner_grads = mirror(inner._groups, piece_grads)
        self._piece_of = [i for i, _, _ in self._pieces]
        # the owned parts of the parameters, packed into flat's slice before the
        # all-gather sends it (the others' slices arrive straight in the parameters)
        self._owned_copies = []
        for L, flat in zip(self._layouts, self._flat):
            for k, i in enumerate(L.indices):
                off, n = L.offsets[k], L.sizes[k]
                a, b = max(L.begin, off) - off, min(L.end, off + n) - off
                if a < b:
                    self._owned_copies.append((flat[off + a : off + b], params[i].reshape(-1)[a:b]))
        # with the flat buffers in shared memory: the others' slices, copied from
        # their buffers into the parameters (instead of the gather's messages)
        self._peer_copies = []
        for L, peers in zip(self._layouts, self._peers):
            for r in range(self.world_size):
                lo, hi = L.bounds[r], L.bounds[r + 1]
                for k, i in enumerate(L.indices if r != self.rank else []):
                    off, n = L.offsets[k], L.sizes[k]
                    a, b = max(lo, off), min(hi, off + n)
                    if a < b:
                        dst = params[i].reshape(-1)[a - off : b - off]
                        self._peer_copies.append((dst, peers[r][a:b]))
        # keep the hyperparameters in the wrapped optimizer, release its state
        # (in place: the optimizer's native call holds these lists)
        for arrays in opt._state.values():
            arrays[:] = [
                None if a is None else np.broadcast_to(np.zeros((), a.dtype), a.shape)
                for a in arrays
            ]
        # norms for clipnorm / global_clipnorm: scales computed globally, handed in
        self._scales: Any = None
        if (
            getattr(opt, "_clipnorm", None) is not None
            or getattr(opt, "_global_clipnorm", None) is not None
        ):
            if not getattr(inner, "_plain", True):
                raise ValueError(
                    "zero=True with clipnorm or global_clipnorm needs an optimizer "
                    "without use_ema / gradient_accumulation_steps / "
                    "exclude_from_weight_decay"
                )
            inner._grad_scales = lambda flat: self._scales

    # -- stepping -------------------------------------------------------------------
    def _keras_scales(self, sums: list[float]) -> Any:
        """The Keras clip factors from global per-tensor sums (as the base computes)."""
        from ..keras.optimizer import _norm_scale

        opt = self.optimizer
        clipnorm = opt.__dict__.get("_clipnorm")
        if clipnorm is not None:
            per_param = [_norm_scale(math.sqrt(s), clipnorm) for s in sums]
            return [per_param[i] for i in self._piece_of]
        gclip = opt.__dict__.get("_global_clipnorm")
        if gclip is None:
            return None
        norm = math.sqrt(math.fsum(sums))
        if not math.isfinite(norm):
            return math.nan
        return _norm_scale(norm, gclip)

    def _sync_inner(self) -> None:
        """Carry hyperparameters changed on the wrapped optimizer to the shard."""
        opt, inner = self.optimizer, self._inner
        inner.iterations = opt.iterations
        if hasattr(opt, "defaults"):
            for go, gi in zip(opt.param_groups, inner.param_groups):
                for k in opt.defaults:
                    if gi[k] is not go[k]:
                        gi[k] = go[k]
        elif inner._learning_rate is not opt._learning_rate:
            inner.learning_rate = opt._learning_rate

    # -- state ----------------------------------------------------------------------
    def _gather_state(self, root: int | None) -> dict | None:
        opt, inner = self.optimizer, self._inner
        self._sync_inner()
        inner_sd = inner.state_dict()
        keys = opt._groups.keys
        params = opt._groups.params
        slot_names = {f"{s}/{k}" for s in inner._state for k in self._inner_keys}
        out: dict = {}
        position = {i: k for L in self._layouts for k, i in enumerate(L.indices)}
        for slot, arrays in inner._state.items():
            # which parameters have the slot: a parameter has it if its pieces do
            flags = bytes(int(a is not None) for a in arrays)
            every = allgather_bytes(self._comm, flags)
            present = [True] * len(params)
            seen = [False] * len(params)
            for r, f in enumerate(every):
                for j, i in enumerate(self._pieces_of_rank(r)):
                    present[i] = present[i] and bool(f[j])
                    seen[i] = True
            full = [
                np.zeros(L.total, L.dtype) if (root is None or root == self.rank) else None
                for L in self._layouts
            ]
            for L, buf in zip(self._layouts, full):
                n = L.counts[self.rank]
                send = np.zeros(n, L.dtype)
                for a, (i, x, y) in zip(arrays, self._pieces):
                    if a is not None and params[i].dtype == L.dtype:
                        k = position[i]
                        s = L.offsets[k] + x - L.begin
                        send[s : s + y - x] = a
                t = mpi_type(L.dtype)
                spec = [buf, (L.counts, L.bounds[:-1]), t] if buf is not None else None
                if root is None:
                    self._comm.Allgatherv([send, t], spec)
                else:
                    self._comm.Gatherv([send, t], spec, root=root)
            if root is not None and root != self.rank:
                continue
            for L, buf in zip(self._layouts, full):
                assert buf is not None  # this rank gathers
                for k, i in enumerate(L.indices):
                    if present[i] and seen[i]:
                        off = L.offsets[k]
                        out[f"{slot}/{keys[i]}"] = buf[off : off + L.sizes[k]].reshape(L.shapes[k])
        if root is not None and root != self.rank:
            return None
        # entries in the wrapped optimizer's order: counter, slots by parameter, the rest
        ordered = {opt._counter: inner_sd[opt._counter]}
        for slot in inner._state:
            for key in keys:
                name = f"{slot}/{key}"
                if name in out:
                    ordered[name] = out[name]
        for k, v in inner_sd.items():
            if k != opt._counter and k not in slot_names:
                ordered[k] = v
        return ordered

    def _pieces_of_rank(self, r: int) -> list[int]:
        """The parameter index of each inner tensor of rank r, in its order."""
        if not hasattr(self, "_rank_pieces"):
            every = []
            for rank in range(self.world_size):
                mine: dict[int, list[int]] = {}
                for L in self._layouts:
                    for k, a, b in L.owner_ranges(rank):
                        mine.setdefault(L.indices[k], []).append(a)
                every.append([i for i in sorted(mine) for _ in mine[i]])
            self._rank_pieces = every
        return self._rank_pieces[r]

    def _to_shards(self, sd: Any) -> dict:
        """The entries for the owned slices under the shard's names."""
        from .._state import check_mapping

        check_mapping(sd)
        opt = self.optimizer
        keys, params = opt._groups.keys, opt._groups.params
        index = {k: i for i, k in enumerate(keys)}
        pieces: dict[int, list] = {}
        for j, (i, a, b) in enumerate(self._pieces):
            pieces.setdefault(i, []).append((self._inner_keys[j], a, b))
        out = {}
        for name, value in sd.items():
            slot, sep, key = name.partition("/") if isinstance(name, str) else ("", "", "")
            if sep and slot in self._inner._state and key in index:
                i = index[key]
                p = params[i]
                if not isinstance(value, np.ndarray):
                    raise TypeError(
                        f"state_dict[{name!r}] must be a numpy.ndarray, got {type(value).__name__}"
                    )
                if value.shape != p.shape:
                    raise ValueError(
                        f"state_dict[{name!r}] has shape {value.shape}; expected {p.shape}"
                    )
                if value.dtype != p.dtype:
                    raise TypeError(
                        f"state_dict[{name!r}] has dtype {value.dtype}; expected {p.dtype}"
                    )
                flat = value.reshape(-1)
                for inner_key, a, b in pieces.get(i, []):
                    out[f"{slot}/{inner_key}"] = flat[a:b]
            else:
                out[name] = value
        return out
