"""Training data: the embedded spirals data set, or arrays from a ``.npz`` file.

Both are split into a training part and a held-out part by a fixed
permutation (the same for every ``--seed``), and the inputs are standardised
with the training part's mean and standard deviation. Regression targets are
standardised the same way, so losses are reported in units of the target's
standard deviation.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from .errors import TrainError

HELD_OUT_FRACTION = 1 / 6
SPLIT_SEED = 2718  # the split's permutation; fixed so every --seed meets the same held-out set
SPIRALS_SEED = 31415  # the embedded data set is the same on every machine
SPIRALS_ARMS = 5
SPIRALS_PER_ARM = 10_000  # 50 000 points: 41 667 for training, 8 333 held out
SPIRALS_TURNS = 2.0
SPIRALS_NOISE = 0.02


@dataclass
class Dataset:
    """A split, standardised data set.

    ``y`` holds int64 class labels (classification) or float32 targets of
    shape (n, outputs) (regression). ``outputs`` is the number of classes or
    of regression targets.
    """

    name: str
    task: str  # "classification" or "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    outputs: int
    fingerprint: int  # CRC-32 of the raw arrays, to recognise the data on --resume

    @property
    def features(self) -> int:
        return self.x_train.shape[1]

    def describe(self) -> str:
        kind = (
            f"{self.outputs} classes"
            if self.task == "classification"
            else f"regression, {self.outputs} target{'s' * (self.outputs > 1)}"
        )
        return (
            f"{self.name}: {len(self.x_train):,} training / {len(self.x_test):,} held-out "
            f"samples, {self.features} features, {kind}"
        )


def spirals(
    arms: int = SPIRALS_ARMS,
    per_arm: int = SPIRALS_PER_ARM,
    turns: float = SPIRALS_TURNS,
    noise: float = SPIRALS_NOISE,
    seed: int = SPIRALS_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals in the plane, one arm per class.

    Point i of arm k at position t ∈ [0, 1) (uniform) lies at radius
    r = 0.05 + t and angle θ = 2π(turns·t + k/arms), plus Gaussian noise of
    standard deviation ``noise`` on each coordinate:
    x = (r cos θ, r sin θ) + noise·N(0, I).

    Returns
    -------
    x : ndarray of float64, shape (arms·per_arm, 2)
    y : ndarray of int64, shape (arms·per_arm,)
    """
    rng = np.random.default_rng(seed)
    t = rng.random((arms, per_arm))
    k = np.arange(arms)[:, None]
    r = 0.05 + t
    theta = 2 * np.pi * (turns * t + k / arms)
    x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1).reshape(-1, 2)
    x = x + noise * rng.standard_normal(x.shape)
    y = np.repeat(np.arange(arms, dtype=np.int64), per_arm)
    return x, y


def _fail(path: str, what: str) -> TrainError:
    return TrainError(f"--data {path}: {what}")


def load_npz(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``x`` (n, features) and ``y`` (n,) or (n, targets) from an ``.npz`` file.

    Integer ``y`` means class labels 0..K-1; floating ``y`` means regression.

    Raises
    ------
    TrainError
        The file is missing, unreadable, not an ``.npz`` archive, lacks ``x``
        or ``y``, needs pickle, or holds arrays of the wrong kind or shape.
    """
    hint = "give a file written by np.savez(path, x=inputs, y=targets)"
    if not os.path.exists(path):
        raise _fail(path, f"no such file; {hint}")
    if os.path.isdir(path):
        raise _fail(path, f"is a directory; {hint}")
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic == b"\x93NUMPY":
            raise _fail(path, f"holds a single array (np.save), not an .npz archive; {hint}")
        if not magic.startswith(b"PK"):
            raise _fail(path, f"is not a valid .npz file (not a zip archive); {hint}")
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in ("x", "y") if k not in archive.files]
            if missing:
                raise _fail(
                    path,
                    f"has no array {' or '.join(repr(m) for m in missing)} "
                    f"(found {', '.join(map(repr, archive.files)) or 'none'}); {hint}",
                )
            x, y = archive["x"], archive["y"]
    except TrainError:
        raise
    except PermissionError:
        raise _fail(path, "cannot be read (permission denied); make it readable") from None
    except ValueError as e:
        if "pickle" in str(e):
            raise _fail(
                path, f"holds object arrays, which need pickle; save plain numeric arrays ({hint})"
            ) from None
        raise _fail(path, f"is not a valid .npz file ({e}); {hint}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise _fail(path, f"is not a valid .npz file ({e}); {hint}") from None
    return check_arrays(path, x, y)


def check_arrays(path: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``x`` and ``y`` as `load_npz` describes; returns them as float64 and int64/float64."""
    if x.dtype.kind not in "biuf" or x.ndim != 2:
        raise _fail(
            path, f"x must be a 2-D numeric array (samples, features), got {x.ndim}-D {x.dtype}"
        )
    if y.dtype.kind not in "biuf" or y.ndim not in (1, 2):
        raise _fail(
            path,
            f"y must be a 1-D array of integer labels or a 1-D/2-D float array of "
            f"targets, got {y.ndim}-D {y.dtype}",
        )
    if len(y) != len(x):
        raise _fail(path, f"x has {len(x)} samples but y has {len(y)}; give one target per sample")
    if len(x) < 2 or x.shape[1] < 1:
        raise _fail(path, f"needs at least 2 samples and 1 feature, got x of shape {x.shape}")
    if not np.isfinite(x).all():
        raise _fail(path, "x holds NaN or infinite values; remove or impute them")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise _fail(path, "y holds NaN or infinite values; remove or impute them")
        return x.astype(np.float64), y.astype(np.float64)
    if y.ndim != 1:
        raise _fail(
            path,
            f"integer y (class labels) must be 1-D, got shape {y.shape}; "
            "for regression store y as floats",
        )
    if y.min() < 0:
        raise _fail(path, f"class labels must be 0, 1, ..., K-1, got {y.min()}")
    if y.max() >= 100_000:
        raise _fail(
            path,
            f"class labels must be 0, 1, ..., K-1, got {y.max()}; for regression store y as floats",
        )
    return x.astype(np.float64), y.astype(np.int64)


def prepare(name: str, x: np.ndarray, y: np.ndarray) -> Dataset:
    """Split by the fixed permutation, standardise, cast to float32."""
    fingerprint = zlib.crc32(
        np.ascontiguousarray(y).tobytes(), zlib.crc32(np.ascontiguousarray(x).tobytes())
    )
    n = len(x)
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_test = max(1, round(n * HELD_OUT_FRACTION))
    train, test = order[n_test:], order[:n_test]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    std[std == 0] = 1.0
    xs = ((x - mean) / std).astype(np.float32)
    if y.dtype.kind == "f":
        task = "regression"
        y2 = y.reshape(n, -1)
        ym, ysd = y2[train].mean(axis=0), y2[train].std(axis=0)
        ysd[ysd == 0] = 1.0
        ys = ((y2 - ym) / ysd).astype(np.float32)
        outputs = ys.shape[1]
    else:
        task = "classification"
        ys = y
        outputs = int(y.max()) + 1
        if outputs < 2:
            raise TrainError(
                f"--data {name}: all labels are 0; classification needs at least "
                "two classes (for regression store y as floats)"
            )
    return Dataset(
        name,
        task,
        np.ascontiguousarray(xs[train]),
        np.ascontiguousarray(ys[train]),
        np.ascontiguousarray(xs[test]),
        np.ascontiguousarray(ys[test]),
        outputs,
        fingerprint,
    )


def load(path: str | None) -> Dataset:
    """The data set of ``--data path``, or the embedded spirals when ``path`` is None."""
    if path is None:
        x, y = spirals()
        return prepare(f"spirals ({SPIRALS_ARMS} interleaved arms)", x, y)
    x, y = load_npz(path)
    return prepare(path, x, y)
