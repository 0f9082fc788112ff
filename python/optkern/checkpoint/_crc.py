"""CRC-32 algebra: strip a known prefix from the CRC of a concatenation.

zipfile already computes the CRC-32 of every member it writes (the .npy header
followed by the array bytes). The manifest stores the CRC-32 of the array bytes
alone, so that anyone can check it with ``zlib.crc32(array)``. CRC-32 is
linear over GF(2), so::

    crc(A + B) == shift(crc(A), len(B)) ^ crc(B)

where ``shift`` multiplies by x**(8*len(B)) modulo the CRC polynomial. That
lets us derive ``crc(B)`` from zipfile's member CRC without a second pass over
the data. These are the same operations zlib's ``crc32_combine`` performs,
written here in Python (a few dozen integer operations per call).
"""

from __future__ import annotations

import functools

__all__ = ["crc32_combine", "crc32_strip_prefix"]

_POLY = 0xEDB88320  # reflected CRC-32 polynomial


def _multmodp(a: int, b: int) -> int:
    """Multiply two polynomials modulo the CRC polynomial (reflected bits)."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if (a & (m - 1)) == 0:
                break
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


def _powers():
    table = []
    p = 1 << 30  # the polynomial x**1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _powers()  # _X2N[k] == x**(2**k) mod P


@functools.lru_cache(maxsize=256)
def _x8nmodp(n: int) -> int:
    """x**(8*n) modulo the CRC polynomial."""
    p = 1 << 31  # x**0
    k = 3
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)``."""
    return _multmodp(_x8nmodp(len2), crc1) ^ crc2


def crc32_strip_prefix(crc_ab: int, crc_a: int, len_b: int) -> int:
    """CRC-32 of ``B`` from ``crc32(A + B)``, ``crc32(A)`` and ``len(B)``."""
    return _multmodp(_x8nmodp(len_b), crc_a) ^ crc_ab
