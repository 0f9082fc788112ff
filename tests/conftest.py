"""Shared helpers: run under a chosen ISA and thread count, restoring both."""

from __future__ import annotations

import contextlib

import pytest

import optkern as ok
from optkern import _core

ISAS = list(_core.available_isas())
THREADS = (1, 2)


@contextlib.contextmanager
def running_on(isa: str, threads: int):
    """Select kernels and threads for the duration of a block."""
    old_isa, old_threads = _core.isa(), ok.get_num_threads()
    _core.set_isa(isa)
    ok.set_num_threads(threads)
    try:
        yield
    finally:
        _core.set_isa(old_isa)
        ok.set_num_threads(old_threads)


@pytest.fixture(params=ISAS)
def isa(request):
    return request.param
