"""Checkpoint round trips, file format and in-place restore semantics."""

from __future__ import annotations

import json
import os
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optkern as ok
from optkern.checkpoint._crc import crc32_combine, crc32_strip_prefix


class FakeOptimizer:
    """The optimizer contract: flat state dict, load_state_dict copies in place."""

    def __init__(self, params):
        self.iterations = 0
        self.lr = 0.5
        self.slots = {f"momentum/{k}": np.zeros_like(v) for k, v in params.items()}

    def state_dict(self):
        return {"iterations": self.iterations, **self.slots}

    def load_state_dict(self, sd, strict=True):
        if set(sd) != set(self.state_dict()):
            raise ValueError("keys differ")
        for k, v in self.slots.items():
            if sd[k].shape != v.shape or sd[k].dtype != v.dtype:
                raise ValueError(k)
        for k, v in self.slots.items():
            np.copyto(v, sd[k])
        self.iterations = int(sd["iterations"])


ALL_DTYPES = [
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.clongdouble,
    "M8[ns]", "m8[s]", "S5", "U3", ">i4", ">f8", np.dtype([("a", "<i2"), ("b", ">f4", (2,))]),
]


def _sample(dtype, shape, rng):
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = rng.integers(0, 256, size=n * dtype.itemsize, dtype=np.uint8)
    return raw.view(dtype).reshape(shape).copy() if n else np.zeros(shape, dtype)


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_round_trip_every_dtype_in_place(tmp_path, dtype):
    rng = np.random.default_rng(0)
    arrays = {
        "full": _sample(dtype, (3, 5), rng),
        "scalar0d": _sample(dtype, (), rng),
        "empty": _sample(dtype, (0, 4), rng),
        "odd": _sample(dtype, (7,), rng),
    }
    saved = {k: v.copy() for k, v in arrays.items()}
    ckpt = ok.Checkpoint(model=arrays)
    path = ckpt.write(tmp_path / "a")
    assert path.endswith("a.npz")
    held = dict(arrays)
    for v in arrays.values():
        v[...] = np.zeros((), v.dtype)
    ckpt.read(path)
    for k in arrays:
        assert arrays[k] is held[k]  # in place, not replaced
        assert _same(arrays[k], saved[k]), k
    with np.load(path, allow_pickle=False) as z:  # plain NumPy reads it
        for k in arrays:
            assert _same(z[f"model/{k}"], saved[k])


def test_nan_inf_and_signed_zero_bits_survive(tmp_path):
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324], np.float64)
    x32 = np.frombuffer(np.array([0x7FC00001, 0xFF800000, 0x00000001], np.uint32).tobytes(), np.float32).copy()
    ckpt = ok.Checkpoint(x=x, x32=x32, f=float("nan"))
    path = ckpt.write(tmp_path / "n")
    bx, b32 = x.tobytes(), x32.tobytes()
    x[:] = 1
    x32[:] = 1
    ckpt.f = 0.0
    ckpt.read(path)
    assert x.tobytes() == bx and x32.tobytes() == b32
    assert np.isnan(ckpt.f)


def test_keys_with_slashes_and_nested_containers(tmp_path):
    a, b, c = np.arange(3.0), np.arange(4), np.ones((2, 2), np.float32)
    model = {"enc/layer1/W": a, "dec": {"W": b, "list": [c, 7]}, "lr": 0.25}
    ckpt = ok.Checkpoint(model=model)
    path = ckpt.write(tmp_path / "k")
    with np.load(path, allow_pickle=False) as z:
        assert {"model/enc/layer1/W", "model/dec/W", "model/dec/list/0", "model/dec/list/1",
                "model/lr"} <= set(z.files)
    a[:] = 0
    c[:] = 0
    model["dec"]["list"][1] = -1
    model["lr"] = 9.0
    ckpt.read(path)
    assert np.array_equal(a, np.arange(3.0)) and np.all(c == 1)
    assert model["dec"]["list"][1] == 7 and type(model["dec"]["list"][1]) is int
    assert model["lr"] == 0.25


def test_path_collision_is_refused(tmp_path):
    ckpt = ok.Checkpoint(m={"a/b": np.zeros(1), "a": {"b": np.ones(1)}})
    with pytest.raises(ValueError, match="same path 'm/a/b'"):
        ckpt.write(tmp_path / "c")
    assert os.listdir(tmp_path) == []


def test_numbers_restore_by_replacing_the_attribute(tmp_path):
    ckpt = ok.Checkpoint(epoch=3, loss=0.5, done=True, z=1 + 2j, s=np.float32(1.5), i8=np.int8(-3))
    path = ckpt.save(tmp_path / "ckpt")
    ckpt.epoch, ckpt.loss, ckpt.done, ckpt.z, ckpt.s, ckpt.i8 = 0, 0.0, False, 0j, np.float32(0), np.int8(0)
    status = ckpt.restore(path)
    assert (ckpt.epoch, ckpt.loss, ckpt.done, ckpt.z) == (3, 0.5, True, 1 + 2j)
    assert type(ckpt.epoch) is int and type(ckpt.loss) is float and type(ckpt.done) is bool
    assert type(ckpt.s) is np.float32 and ckpt.s == 1.5 and type(ckpt.i8) is np.int8 and ckpt.i8 == -3
    assert sorted(status.restored) == ["done", "epoch", "i8", "loss", "s", "z"]
    status.assert_consumed()


def test_huge_int_refused(tmp_path):
    with pytest.raises(ValueError, match="'n'.*int64"):
        ok.Checkpoint(n=2**70).write(tmp_path / "x")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [np.array([object(), 1], dtype=object),
                                 np.zeros(2, dtype=[("o", object)])])
def test_object_arrays_refused_at_save(tmp_path, bad):
    with pytest.raises(ValueError, match="'m/x'.*object"):
        ok.Checkpoint(m={"x": bad, "y": np.zeros(2)}).write(tmp_path / "o")
    assert os.listdir(tmp_path) == []


def test_unsupported_types_name_the_object():
    with pytest.raises(TypeError, match="'bad'.*str"):
        ok.Checkpoint(bad="text")
    ckpt = ok.Checkpoint(m={})
    ckpt.m["x"] = "text"
    with pytest.raises(TypeError, match="'m/x'"):
        ckpt.write("unused")
    with pytest.raises(ValueError, match="reserved"):
        ok.Checkpoint(save_counter=1)
    with pytest.raises(ValueError, match="reserved"):
        ok.Checkpoint(restore=np.zeros(1))
    with pytest.raises(ValueError, match="identifier"):
        ok.Checkpoint(**{"_private": np.zeros(1)})


def test_manifest_contents_and_crc_of_array_memory(tmp_path):
    w = np.random.default_rng(1).standard_normal((300, 400)).astype(np.float32)  # > 256 KiB path
    small = np.arange(10, dtype=np.int16)
    ckpt = ok.Checkpoint(model={"W": w, "s": small}, step=np.int64(12))
    path = ckpt.save(tmp_path / "ckpt")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("__manifest__.json"))
        assert zf.testzip() is None  # zip CRCs are consistent too
    assert names[-1] == "__manifest__.json"
    assert manifest["format"] == "optkern.checkpoint" and manifest["version"] == 1
    assert manifest["save_counter"] == 1 and isinstance(manifest["time"], float)
    assert manifest["objects"] == {"model": "dict", "step": "number"}
    ew = manifest["entries"]["model/W"]
    assert ew == {"kind": "array", "dtype": "<f4", "shape": [300, 400], "nbytes": w.nbytes,
                  "crc32": zlib.crc32(w)}
    assert manifest["entries"]["model/s"]["crc32"] == zlib.crc32(small)
    assert manifest["entries"]["step"]["kind"] == "scalar"


def test_compressed_round_trip(tmp_path):
    w = np.zeros((500, 500), np.float64)
    w[::7] = 1.5
    ckpt = ok.Checkpoint(w=w, n=4)
    p1 = ckpt.write(tmp_path / "plain")
    p2 = ckpt.write(tmp_path / "small", compress=True)
    assert os.path.getsize(p2) < os.path.getsize(p1) / 10
    with zipfile.ZipFile(p2) as zf:
        assert zf.getinfo("w.npy").compress_type == zipfile.ZIP_DEFLATED
    w2 = np.empty_like(w)
    ok.Checkpoint(w=w2, n=0).read(p2)
    assert np.array_equal(w2, w)
    with np.load(p2, allow_pickle=False) as z:
        assert np.array_equal(z["w"], w)


def test_non_contiguous_and_fortran_arrays(tmp_path):
    base = np.arange(60.0).reshape(6, 10)
    f = np.asfortranarray(base)
    view = base[::2, 1::3]
    ckpt = ok.Checkpoint(f=f, v=view)
    path = ckpt.write(tmp_path / "nc")
    expect_f, expect_v = f.copy(), view.copy()
    f[:] = 0
    view[:] = -1
    ckpt.read(path)
    assert np.array_equal(f, expect_f) and np.array_equal(view, expect_v)
    assert np.all(base[1::2] == np.arange(60.0).reshape(6, 10)[1::2])  # untouched rows


def test_restore_path_without_extension_and_none(tmp_path):
    x = np.arange(4.0)
    ckpt = ok.Checkpoint(x=x)
    path = ckpt.save(str(tmp_path / "ckpt"))
    x[:] = 0
    ckpt.restore(path[:-4])  # TF-style prefix "ckpt-1"
    assert np.array_equal(x, np.arange(4.0))
    status = ckpt.restore(None)
    assert status.save_path is None and status.restored == []
    with pytest.raises(AssertionError):
        status.assert_consumed()
    with pytest.raises(FileNotFoundError):
        ckpt.restore(tmp_path / "nope.npz")


def test_save_counter_and_read_vs_restore(tmp_path):
    x = np.zeros(2)
    ckpt = ok.Checkpoint(x=x)
    assert ckpt.save(tmp_path / "c") == str(tmp_path / "c-1.npz")
    assert ckpt.save(tmp_path / "c") == str(tmp_path / "c-2.npz")
    ckpt.write(tmp_path / "w")
    assert ckpt.save_counter == 2
    fresh = ok.Checkpoint(x=np.zeros(2))
    fresh.read(tmp_path / "c-2.npz")
    assert fresh.save_counter == 0
    fresh.restore(tmp_path / "c-2.npz")
    assert fresh.save_counter == 2
    assert fresh.save(tmp_path / "c") == str(tmp_path / "c-3.npz")


# ------------------------------------------------------------- validation


def _snapshot(d):
    return {k: v.copy() for k, v in d.items()}


@pytest.mark.parametrize("change", ["shape", "dtype", "missing", "extra", "kind", "readonly"])
def test_mismatch_raises_and_changes_nothing(tmp_path, change):
    src_params = {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}
    src_opt = FakeOptimizer(src_params)
    src_opt.iterations = 5
    path = ok.Checkpoint(model=src_params, optimizer=src_opt, epoch=2).write(tmp_path / "m")

    params = {"W": np.full((2, 3), -1.0), "b": np.full(3, -1.0)}
    opt = FakeOptimizer(params)
    if change == "shape":
        params["b"] = np.full(4, -1.0)
    elif change == "dtype":
        params["b"] = np.full(3, -1.0, np.float32)
    elif change == "missing":
        params["c"] = np.full(3, -1.0)
    elif change == "extra":
        del params["b"]
    elif change == "kind":
        params["b"] = 3.0
    elif change == "readonly":
        params["b"].flags.writeable = False
    before, before_opt = _snapshot({k: v for k, v in params.items() if isinstance(v, np.ndarray)}), _snapshot(opt.slots)
    ckpt = ok.Checkpoint(model=params, optimizer=opt, epoch=0)
    with pytest.raises((ValueError, TypeError)) as info:
        ckpt.restore(path)
    assert "model/" in str(info.value)
    for k, v in before.items():
        assert np.array_equal(params[k], v)
    for k, v in before_opt.items():
        assert np.array_equal(opt.slots[k], v)
    assert opt.iterations == 0 and ckpt.epoch == 0 and ckpt.save_counter == 0


def test_non_strict_partial_restore_and_status(tmp_path):
    path = ok.Checkpoint(model={"W": np.ones(3), "old": np.ones(2)}, epoch=4).write(tmp_path / "p")
    params = {"W": np.zeros(3), "new": np.zeros(2)}
    ckpt = ok.Checkpoint(model=params, epoch=0, extra=np.zeros(1))
    with pytest.raises(ValueError, match="strict"):
        ckpt.restore(path)
    assert not params["W"].any()
    status = ckpt.restore(path, strict=False)
    assert np.all(params["W"] == 1) and not params["new"].any() and ckpt.epoch == 4
    assert status.missing_keys == ["extra", "model/new"] and status.unexpected_keys == ["model/old"]
    with pytest.raises(AssertionError, match="model/new"):
        status.assert_consumed()
    with pytest.raises(AssertionError):
        status.assert_existing_objects_matched()
    assert status.expect_partial() is status
    status.assert_nontrivial_match()


def test_failed_load_state_dict_rolls_back_earlier_objects(tmp_path):
    p1 = {"W": np.ones(3)}
    o1, o2 = FakeOptimizer(p1), FakeOptimizer(p1)
    o1.iterations, o2.iterations = 10, 20
    path = ok.Checkpoint(a=o1, b=o2, w=p1).write(tmp_path / "r")

    class Refusing(FakeOptimizer):
        def load_state_dict(self, sd, strict=True):
            raise ValueError("refused")

    t1, t2, w = FakeOptimizer(p1), Refusing(p1), {"W": np.zeros(3)}
    t1.slots["momentum/W"][:] = 7
    with pytest.raises(ValueError, match="refused"):
        ok.Checkpoint(a=t1, b=t2, w=w).restore(path)
    assert t1.iterations == 0 and np.all(t1.slots["momentum/W"] == 7) and not w["W"].any()


def test_objects_as_attributes():
    ckpt = ok.Checkpoint(x=np.zeros(1))
    ckpt.y = {"a": np.ones(2)}
    assert set(dir(ckpt)) >= {"x", "y"}
    assert "x=<array>" in repr(ckpt)
    with pytest.raises(AttributeError):
        ckpt.nothing
    with pytest.raises(ValueError):
        ckpt.save_counter = -1


# ------------------------------------------------------------------ CRC


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_crc_algebra_matches_zlib(a, b):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert crc32_strip_prefix(zlib.crc32(a + b), zlib.crc32(a), len(b)) == zlib.crc32(b)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["f4", "i2", "u1", "c16"]),
                          st.lists(st.integers(0, 5), max_size=3)), max_size=5))
def test_property_round_trip(tmp_path_factory, specs):
    rng = np.random.default_rng(len(specs))
    arrays = {f"a{i}": _sample(dt, tuple(shape), rng) for i, (dt, shape) in enumerate(specs)}
    path = ok.Checkpoint(m=arrays).write(tmp_path_factory.mktemp("h") / "x")
    targets = {k: np.zeros_like(v) for k, v in arrays.items()}
    ok.Checkpoint(m=targets).read(path)
    for k in arrays:
        assert _same(targets[k], arrays[k])
