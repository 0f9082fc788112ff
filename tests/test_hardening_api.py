"""ok.torch.clip_grad_norm_ on every grads layout step() takes, and a package
namespace that holds only public names."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import optkern as ok


def test_clip_grad_norm_takes_the_grouped_layout():
    rng = np.random.default_rng(3)
    a, b, c = (rng.standard_normal(n) for n in (4, 5, 6))
    flat = [a.copy(), b.copy(), c.copy()]
    expected = ok.torch.clip_grad_norm_(flat, 1.0)
    for layout in ([[a.copy(), b.copy()], [c.copy()]],
                   [{"x": a.copy(), "y": b.copy()}, [c.copy()]],
                   {"x": a.copy(), "y": [b.copy(), {"z": c.copy()}]}):
        norm = ok.torch.clip_grad_norm_(layout, 1.0)
        assert norm == expected
        leaves = []

        def walk(o):
            if isinstance(o, np.ndarray):
                leaves.append(o)
            elif isinstance(o, dict):
                for v in o.values():
                    walk(v)
            else:
                for v in o:
                    walk(v)
        walk(layout)
        for got, want in zip(leaves, flat):
            np.testing.assert_array_equal(got, want)


def test_clip_grad_norm_refuses_shared_grads_and_strings():
    g = np.ones(4)
    with pytest.raises(ValueError, match="share memory"):
        ok.torch.clip_grad_norm_([[g], [g]], 1.0)
    with pytest.raises(TypeError, match="max_norm"):
        ok.torch.clip_grad_norm_([g], "1.0")
    with pytest.raises(TypeError, match=r"grads\[0\]\[1\]"):
        ok.torch.clip_grad_norm_([[g, "x"]], 1.0)
    np.testing.assert_array_equal(g, 1.0)


def test_package_namespace_holds_only_public_names():
    assert not hasattr(ok, "annotations") and not hasattr(ok, "importlib")
    assert all(not n.startswith("_") or n == "__version__" for n in dir(ok))
    assert {"Adam", "SGD", "torch", "Checkpoint", "build_info"} <= set(dir(ok))


def test_bare_import_is_lazy():
    code = ("import sys, optkern; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'optkern')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)
    assert "numpy" not in loaded
    assert set(loaded) <= {"optkern", "optkern._core", "optkern._info"}


@pytest.mark.parametrize("n, word, expected", [(0, "entry", "0 entries"), (1, "entry", "1 entry"),
                                               (2, "unexpected entry", "2 unexpected entries"),
                                               (1, "array", "1 array"), (3, "array", "3 arrays")])
def test_counts_read_right(n, word, expected):
    from optkern._params import plural
    assert plural(n, word) == expected


def test_wrong_number_of_grads_reads_right():
    opt = ok.SGD([np.ones(2, np.float32)])
    with pytest.raises(ValueError, match=r"grads has 0 entries; expected 1"):
        opt.step([])
