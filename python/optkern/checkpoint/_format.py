"""The checkpoint file format: an uncompressed ``.npz`` plus a JSON manifest.

A checkpoint is a zip archive that ``np.load(path, allow_pickle=False)`` reads:

* one ``<path>.npy`` member per array or number, named by its object path
  (``model/W1``, ``optimizer/exp_avg/W1``, ``epoch``), stored in C order;
* a last member ``__manifest__.json`` (UTF-8 JSON) holding the format name and
  version, the save time, step and save counter, the checkpoint name of a
  numbered file (``"ckpt"`` for ``ckpt-7.npz``), the top-level objects and,
  for every entry, its kind (``array`` or a number kind), dtype descriptor,
  shape, byte count and the CRC-32 of its C-order bytes (``zlib.crc32``).

Numbers are stored as 0-d arrays (int64, float64, bool, complex128 or the
NumPy scalar's own dtype); the manifest's ``kind`` says which Python type
restore gives back.

Reading verifies everything before returning a single array: the zip
structure, the manifest, that the member list equals the manifest's, each
``.npy`` header against the manifest, every byte count, the CRC-32 of each
array's bytes against the manifest, and zip's own CRC. Any inconsistency is a
:class:`~optkern.checkpoint.CorruptCheckpointError` naming the file. Nothing
is ever unpickled.
"""

from __future__ import annotations

import errno
import json
import math
import os
import struct
import time
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from ._crc import crc32_combine, crc32_strip_prefix
from ._errors import CorruptCheckpointError

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_MEMBER",
    "CheckpointReader",
    "encode_leaf",
    "write_checkpoint",
]

FORMAT_NAME = "optkern.checkpoint"
FORMAT_VERSION = 1
MANIFEST_MEMBER = "__manifest__.json"

NUMBER_KINDS = ("int", "float", "bool", "complex", "scalar")

_CHUNK = 1 << 22  # bytes per read/write call; small enough to keep the CRC pass cache-hot
_SMALL = 1 << 18  # below this, a direct zlib.crc32 is cheaper than CRC algebra
_MAX_HEADER = 1 << 20
_HEADER_SIZE_KW = np.lib.NumpyVersion(np.__version__) >= "1.24.0"  # max_header_size= exists
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\003\004"


# --------------------------------------------------------------------- leaves


def is_number(value):
    """True for the scalar values a checkpoint stores as numbers."""
    return isinstance(value, (bool, int, float, complex, np.generic)) and not isinstance(
        value, (str, bytes, np.str_, np.bytes_, np.void)
    )


def check_dtype(dtype, path):
    """Refuse dtypes that cannot be written without pickle."""
    if dtype.hasobject:
        raise ValueError(
            f"cannot checkpoint {path!r}: object arrays (dtype {dtype}) would need pickle; "
            "convert them to a numeric dtype"
        )
    if not getattr(type(dtype), "_legacy", True):
        raise ValueError(
            f"cannot checkpoint {path!r}: dtype {dtype} cannot be stored in a .npy file "
            "without pickle"
        )


def encode_leaf(path, value, copy=False):
    """Return ``(kind, array)`` for one leaf, or raise naming ``path``.

    ``array`` is C-contiguous; with ``copy=True`` it never shares memory with
    ``value`` (used by asynchronous saves to snapshot state at call time).
    """
    if isinstance(value, np.ndarray):
        if isinstance(value, np.ma.MaskedArray):
            raise TypeError(f"cannot checkpoint {path!r}: masked arrays are not supported")
        check_dtype(value.dtype, path)
        arr = np.asarray(value)
        if copy:
            arr = np.array(arr, order="C", copy=True)
        elif not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        return "array", arr
    if isinstance(value, (bool, np.bool_)) and not isinstance(value, np.generic):
        return "bool", np.array(value, dtype=np.bool_)
    if isinstance(value, np.generic):
        if isinstance(value, (np.str_, np.bytes_, np.void)):
            raise TypeError(f"cannot checkpoint {path!r}: {type(value).__name__} is not a number")
        check_dtype(value.dtype, path)
        return "scalar", np.array(value)
    if isinstance(value, int):
        try:
            return "int", np.array(value, dtype=np.int64)
        except OverflowError:
            raise ValueError(
                f"cannot checkpoint {path!r}: the int {value} does not fit in int64"
            ) from None
    if isinstance(value, float):
        return "float", np.array(value, dtype=np.float64)
    if isinstance(value, complex):
        return "complex", np.array(value, dtype=np.complex128)
    raise TypeError(
        f"cannot checkpoint {path!r}: unsupported type {type(value).__name__} "
        "(expected an ndarray, a number, a dict, a list or an object with state_dict())"
    )


def decode_number(kind, arr):
    """The Python value a number entry restores to."""
    if kind == "int":
        return int(arr)
    if kind == "float":
        return float(arr)
    if kind == "bool":
        return bool(arr)
    if kind == "complex":
        return complex(arr)
    return arr[()]  # "scalar": the NumPy scalar of the stored dtype


def _descr_json(dtype):
    """The dtype descriptor as the JSON value the manifest stores."""
    return json.loads(json.dumps(npy_format.dtype_to_descr(dtype)))


def _byte_view(arr):
    """A flat uint8 view of a C-contiguous array's memory."""
    if arr.dtype.itemsize == 0 or arr.size == 0:
        return np.empty(0, np.uint8)
    return arr.reshape(-1).view(np.uint8)


def _npy_header(arr):
    import io

    buf = io.BytesIO()
    d = {"descr": npy_format.dtype_to_descr(arr.dtype), "fortran_order": False, "shape": arr.shape}
    try:
        npy_format.write_array_header_1_0(buf, d)
    except ValueError:
        buf = io.BytesIO()
        try:
            npy_format.write_array_header_2_0(buf, d)
        except UnicodeEncodeError:  # field names outside latin-1 need format 3.0
            buf = io.BytesIO()
            npy_format._write_array_header(buf, d, (3, 0))
    return buf.getvalue()


# --------------------------------------------------------------------- writing


def write_checkpoint(fileobj, entries, objects, meta, compress=False):
    """Write a checkpoint archive to ``fileobj``.

    Parameters
    ----------
    fileobj : seekable binary writer
    entries : dict
        ``{path: (kind, C-contiguous ndarray)}`` in write order.
    objects : dict
        ``{top-level name: object kind}`` recorded in the manifest.
    meta : dict
        ``time``, ``step`` and ``save_counter`` for the manifest, and
        optionally ``checkpoint_name`` (the prefix of a numbered series).
    compress : bool
        Deflate the members (like ``np.savez_compressed``).

    Returns
    -------
    dict
        The manifest written.
    """
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    manifest_entries = {}
    with zipfile.ZipFile(fileobj, "w", compression=method, allowZip64=True) as zf:
        for path, (kind, arr) in entries.items():
            header = _npy_header(arr)
            data = _byte_view(arr)
            info = zipfile.ZipInfo(path + ".npy", date_time=_ZIP_EPOCH)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                member.write(header)
                n = data.nbytes
                if n <= _SMALL:
                    if n:
                        member.write(data)
                    crc = zlib.crc32(data)
                else:
                    for start in range(0, n, _CHUNK):
                        member.write(data[start : start + _CHUNK])
            if n > _SMALL:
                crc = crc32_strip_prefix(info.CRC, zlib.crc32(header), n)
            manifest_entries[path] = {
                "kind": kind,
                "dtype": _descr_json(arr.dtype),
                "shape": list(arr.shape),
                "nbytes": int(n),
                "crc32": int(crc),
            }
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "time": float(meta.get("time", time.time())),
            "step": meta.get("step"),
            "save_counter": meta.get("save_counter"),
            "objects": dict(objects),
            "entries": manifest_entries,
        }
        if meta.get("checkpoint_name") is not None:  # whose numbered series this file belongs to
            manifest["checkpoint_name"] = meta["checkpoint_name"]
        info = zipfile.ZipInfo(MANIFEST_MEMBER, date_time=_ZIP_EPOCH)
        info.compress_type = method
        info.external_attr = 0o644 << 16
        zf.writestr(info, json.dumps(manifest, indent=1).encode("utf-8"))
    return manifest


# --------------------------------------------------------------------- reading


class _Entry:
    __slots__ = (
        "crc32",
        "data_offset",
        "dtype",
        "header_crc",
        "info",
        "kind",
        "nbytes",
        "path",
        "shape",
    )

    def __init__(self, path, meta, info):
        self.path = path
        self.kind = meta["kind"]
        self.shape = tuple(meta["shape"])
        self.nbytes = meta["nbytes"]
        self.crc32 = meta["crc32"]
        self.info = info
        self.dtype = None
        self.data_offset = None
        self.header_crc = None


def _read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        got = "1 byte" if len(data) == 1 else f"{len(data)} bytes"
        raise EOFError(f"expected {n} bytes, got {got} (file truncated?)")
    return data


def _parse_npy_header(f):
    """Parse a .npy header from ``f``; return (shape, fortran_order, dtype)."""
    version = npy_format.read_magic(f)
    if version == (1, 0):
        reader, args = npy_format.read_array_header_1_0, ()
    elif version == (2, 0):
        reader, args = npy_format.read_array_header_2_0, ()
    elif version == (3, 0):
        reader, args = npy_format._read_array_header, (version,)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if _HEADER_SIZE_KW:
        return reader(f, *args, max_header_size=_MAX_HEADER)
    return reader(f, *args)  # NumPy < 1.24 has no max_header_size


class CheckpointReader:
    """Open and verify a checkpoint file.

    Opening parses the zip directory, the manifest and every ``.npy`` header
    (cheap: no array data is read). :meth:`read_arrays` then reads and
    verifies the data. Use as a context manager.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._f = open(self.path, "rb", buffering=0)  # noqa: SIM115 (closed by close())
        try:
            self._open()
        except BaseException:
            self._f.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        zf = getattr(self, "_zf", None)
        if zf is not None:
            zf.close()
        self._f.close()

    def corrupt(self, reason):
        return CorruptCheckpointError(self.path, reason)

    def _open(self):
        f = self._f
        self.size = os.fstat(f.fileno()).st_size
        if self.size == 0:
            raise self.corrupt("the file is empty (0 bytes)")
        try:
            self._zf = zipfile.ZipFile(f)
        except zipfile.BadZipFile as e:
            raise self.corrupt(
                f"not a readable .npz/zip archive ({e}); truncated, damaged, "
                "or not an optkern checkpoint"
            ) from e
        except Exception as e:
            raise self._wrap(e, "damaged zip structure") from e
        try:
            self._load_manifest()
            self._load_headers()
        except CorruptCheckpointError:
            raise
        except Exception as e:
            raise self._wrap(e, "damaged file") from e

    def _wrap(self, e, what):
        # An OSError is a real I/O problem (EIO, ...), except EINVAL, which comes from
        # seeking to an offset read from damaged bytes.
        if isinstance(e, OSError) and e.errno != errno.EINVAL:
            return e
        return self.corrupt(f"{what} ({type(e).__name__}: {e})")

    def _load_manifest(self):
        zf = self._zf
        try:
            info = zf.getinfo(MANIFEST_MEMBER)
        except KeyError:
            raise self.corrupt(
                f"no {MANIFEST_MEMBER} member: not an optkern checkpoint "
                "(a plain np.savez file or another program's file)"
            ) from None
        if info.file_size > 64 << 20:
            raise self.corrupt("manifest is implausibly large")
        try:
            raw = zf.read(info)
        except zipfile.BadZipFile as e:
            raise self.corrupt(f"manifest damaged ({e})") from e
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise self.corrupt(f"manifest is not valid JSON ({e})") from e
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise self.corrupt(
                f"manifest does not name the format {FORMAT_NAME!r}: not an optkern checkpoint"
            )
        version = manifest.get("version")
        if version != FORMAT_VERSION:
            raise self.corrupt(
                f"unsupported checkpoint format version {version!r} "
                f"(this optkern reads version {FORMAT_VERSION})"
            )
        entries = manifest.get("entries")
        objects = manifest.get("objects")
        if not isinstance(entries, dict) or not isinstance(objects, dict):
            raise self.corrupt("manifest lacks its entries/objects tables")
        names = {i.filename for i in zf.infolist()}
        names.discard(MANIFEST_MEMBER)
        expected = {p + ".npy" for p in entries}
        if len(zf.infolist()) != len(expected) + 1 or names != expected:
            extra = sorted(names - expected)[:5]
            missing = sorted(expected - names)[:5]
            raise self.corrupt(
                f"archive members do not match the manifest (unlisted: {extra}, absent: {missing})"
            )
        self.manifest = manifest
        self.entries = {}
        for path, meta in entries.items():
            if not isinstance(meta, dict) or meta.get("kind") not in ("array",) + NUMBER_KINDS:
                raise self.corrupt(f"bad manifest entry for {path!r}")
            entry = _Entry(path, meta, zf.getinfo(path + ".npy"))
            if not all(isinstance(s, int) and s >= 0 for s in entry.shape):
                raise self.corrupt(f"bad shape for {path!r} in the manifest")
            self.entries[path] = entry
        self._meta_entries = entries

    def _load_headers(self):
        f = self._f
        for path, e in self.entries.items():
            info = e.info
            if info.compress_type == zipfile.ZIP_STORED:
                f.seek(info.header_offset)
                fields = _LOCAL_HEADER.unpack(_read_exact(f, _LOCAL_HEADER.size))
                if fields[0] != _LOCAL_SIGNATURE:
                    raise self.corrupt(f"bad local header for {path!r}")
                name_len, extra_len = fields[-2], fields[-1]
                name = _read_exact(f, name_len)
                if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437") != info.filename:
                    raise self.corrupt(f"local header name does not match {path!r}")
                start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
                f.seek(start)
                shape, fortran, dtype = _parse_npy_header(f)
                header_len = f.tell() - start
                f.seek(start)
                header = _read_exact(f, header_len)
                if info.file_size != header_len + e.nbytes or info.compress_size != info.file_size:
                    raise self.corrupt(f"member size of {path!r} does not match the manifest")
                if start + info.file_size > self.size:
                    raise self.corrupt(f"array {path!r} runs past the end of the file (truncated)")
                e.data_offset = start + header_len
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                with self._zf.open(info) as m:
                    shape, fortran, dtype = _parse_npy_header(m)
                    header_len = m.tell()
                with self._zf.open(info) as m:
                    header = _read_exact(m, header_len)
                if info.file_size != header_len + e.nbytes:
                    raise self.corrupt(f"member size of {path!r} does not match the manifest")
            else:
                raise self.corrupt(
                    f"unsupported zip compression method {info.compress_type} for {path!r}"
                )
            if fortran or tuple(shape) != e.shape:
                raise self.corrupt(f".npy header of {path!r} does not match the manifest")
            check_dtype(dtype, path)
            if _descr_json(dtype) != self._meta_entries[path]["dtype"]:
                raise self.corrupt(f"dtype of {path!r} does not match the manifest")
            if math.prod(shape) * dtype.itemsize != e.nbytes:
                raise self.corrupt(f"byte count of {path!r} does not match its shape and dtype")
            e.dtype = dtype
            e.header_crc = zlib.crc32(header)

    # ---------------------------------------------------------------- data

    def read_arrays(self, paths=None):
        """Read and verify the arrays at ``paths`` (default: all).

        Returns
        -------
        dict
            ``{path: ndarray}``; every array has passed its CRC-32 check.
        """
        out = {}
        for path in self.entries if paths is None else paths:
            out[path] = self._read_one(self.entries[path])
        return out

    def _read_into(self, stream, buf, n, path):
        """Fill ``buf[:n]`` from ``stream`` in chunks; return the CRC-32 of what was read."""
        crc = pos = 0
        while pos < n:
            chunk = buf[pos : pos + _CHUNK]
            got = stream.readinto(chunk)
            if not got:
                raise self.corrupt(f"array {path!r} is truncated")
            crc = zlib.crc32(chunk[:got], crc)
            pos += got
        return crc

    def _read_one(self, e):
        arr = np.ndarray(e.shape, dtype=e.dtype)
        buf = _byte_view(arr)
        n = e.nbytes
        try:
            if e.info.compress_type == zipfile.ZIP_STORED:
                self._f.seek(e.data_offset)
                crc = self._read_into(self._f, buf, n, e.path)
            else:
                with self._zf.open(e.info) as m:
                    _read_exact(m, e.info.file_size - n)
                    crc = self._read_into(m, buf, n, e.path)
        except CorruptCheckpointError:
            raise
        except Exception as exc:  # zlib.error, BadZipFile from a damaged deflate stream
            raise self._wrap(exc, f"array {e.path!r}") from exc
        if crc != e.crc32:
            raise self.corrupt(
                f"CRC-32 mismatch in array {e.path!r} "
                f"(stored {e.crc32:#010x}, computed {crc:#010x})"
            )
        if crc32_combine(e.header_crc, crc, n) != e.info.CRC:
            raise self.corrupt(
                f"zip CRC-32 of member {e.info.filename!r} does not match its content"
            )
        return arr
