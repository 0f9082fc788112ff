"""``python -m optkern train``: the default run learns, an interrupted run resumes to
the same bits, and mistakes get a one-line message with exit code 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import optkern as ok

# small runs for the interruption tests: 652 steps per epoch, a few ms per epoch step
SMALL = ["--epochs", "8", "--hidden", "16,16", "--batch-size", "64", "--compare-steps", "0"]


def train(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optkern", "train", *args],
                          capture_output=True, text=True, timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "optkern", "train", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def final_state(directory: Path) -> dict[str, np.ndarray]:
    """The model and optimizer arrays of the latest checkpoint in ``directory``."""
    path = ok.latest_checkpoint(str(directory))
    assert path is not None, f"no checkpoint in {directory}"
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files if k.startswith(("model/", "optimizer/", "position/"))}


def assert_same_bits(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    assert any(k.startswith("model/") for k in a)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
        assert a[key].tobytes() == b[key].tobytes(), f"{key} differs"


def wait_for(path: Path, proc: subprocess.Popen, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, f"train ended before {path.name} appeared: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        time.sleep(0.005)


# ------------------------------------------------------------------- learning

def test_default_run_learns_the_spirals(tmp_path):
    out = train("--checkpoint-dir", str(tmp_path / "ckpt"))
    assert out.returncode == 0, out.stderr[-3000:]
    m = re.search(r"final accuracy: training ([0-9.]+), held-out ([0-9.]+)", out.stdout)
    assert m, out.stdout
    train_acc, held_out = float(m.group(1)), float(m.group(2))
    assert held_out > 0.95 and train_acc > 0.95, out.stdout  # chance is 0.2 (5 classes)
    assert re.search(r"whole step +[0-9.]+ms +[0-9.]+ms", out.stdout), out.stdout
    assert "loss + optimizer update" in out.stdout
    # one checkpoint per epoch, the 3 newest kept
    names = sorted(p.name for p in (tmp_path / "ckpt").glob("ckpt-*.npz"))
    assert names == ["ckpt-28.npz", "ckpt-29.npz", "ckpt-30.npz"], names
    assert "Traceback" not in out.stderr


def test_regression_data_file(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(3000, 3))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] * x[:, 2] + 0.05 * rng.standard_normal(3000)
    path = tmp_path / "reg.npz"
    np.savez(path, x=x, y=y)
    out = train("--data", str(path), "--epochs", "25", "--learning-rate", "3e-3",
                "--hidden", "32,32", "--checkpoint-dir", str(tmp_path / "ckpt"),
                "--compare-steps", "20")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "regression, 1 target" in out.stdout and "mean_squared_error" in out.stdout
    m = re.search(r"final loss: training ([0-9.]+), held-out ([0-9.]+) \(R² ([-0-9.]+) / "
                  r"([-0-9.]+)", out.stdout)
    assert m, out.stdout
    assert float(m.group(4)) > 0.9, out.stdout   # held-out R²; a mean predictor has 0
    assert "optkern.reference.losses.MeanSquaredError" in out.stdout


def test_every_optimizer_name_resolves():
    from optkern import keras, torch
    from optkern._train.names import optimizer_names, resolve_optimizer

    names = optimizer_names()
    for n in keras.__all__:
        cls = getattr(keras, n)
        if isinstance(cls, type) and issubclass(cls, keras.Optimizer) and cls is not keras.Optimizer:
            assert n.lower() in names and resolve_optimizer(n).cls is cls
    for n in torch.__all__:
        cls = getattr(torch, n)
        if isinstance(cls, type) and issubclass(cls, torch.Optimizer) and cls is not torch.Optimizer:
            assert resolve_optimizer(f"torch.{n.lower()}").cls is cls
            assert resolve_optimizer(f"torch.{n}").cls is cls
    assert resolve_optimizer("adam").front_end == "keras"
    assert resolve_optimizer("torch.adam").front_end == "torch"


# ------------------------------------------------------------- interruption

@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """Final states of uninterrupted small runs, per optimizer."""
    cache = {}

    def get(optimizer: str) -> dict:
        if optimizer not in cache:
            d = tmp_path_factory.mktemp("uninterrupted")
            out = train(*SMALL, "--optimizer", optimizer, "--checkpoint-dir", str(d))
            assert out.returncode == 0, out.stderr[-3000:]
            cache[optimizer] = final_state(d)
        return cache[optimizer]

    return get


def test_sigkill_then_resume_gives_the_same_weights(tmp_path, uninterrupted):
    d = tmp_path / "ckpt"
    proc = start(*SMALL, "--checkpoint-dir", str(d))
    try:
        wait_for(d / "ckpt-2.npz", proc)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.kill()
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with np.load(ok.latest_checkpoint(str(d))) as f:
        assert int(f["position/epoch"]) < 8  # killed before the end
    out = train(*SMALL, "--checkpoint-dir", str(d), "--resume")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("resuming "), out.stdout
    assert_same_bits(final_state(d), uninterrupted("adam"))


@pytest.mark.parametrize("sig, optimizer", [(signal.SIGINT, "torch.adamw"),
                                            (signal.SIGTERM, "adam")])
def test_sigint_saves_the_position_and_resume_gives_the_same_weights(tmp_path, uninterrupted,
                                                                      sig, optimizer):
    d = tmp_path / "ckpt"
    args = [*SMALL, "--optimizer", optimizer, "--checkpoint-dir", str(d)]
    proc = start(*args)
    try:
        wait_for(d / "ckpt-1.npz", proc)
        time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err
    assert re.search(rf"stopped by {sig.name} at epoch \d+/8, step \d+/652 of the epoch; saved "
                     r".*ckpt-\d+\.npz\. Run the same command with --resume", err), err
    with np.load(ok.latest_checkpoint(str(d))) as f:
        epoch, batch = int(f["position/epoch"]), int(f["position/batch"])
    assert epoch < 8
    out = train(*args, "--resume")
    assert out.returncode == 0, out.stderr[-3000:]
    first = out.stdout.splitlines()[0]
    assert first.startswith("resuming ") and (f"step {batch}/652" in first or batch == 0), first
    assert_same_bits(final_state(d), uninterrupted(optimizer))


def test_resume_refuses_other_options(tmp_path):
    d = tmp_path / "ckpt"
    out = train("--epochs", "1", "--hidden", "8", "--compare-steps", "0", "--checkpoint-dir", str(d))
    assert out.returncode == 0, out.stderr
    out = train("--resume", "--hidden", "16", "--checkpoint-dir", str(d))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--hidden" in out.stderr, out.stderr
    out = train("--resume", "--checkpoint-dir", str(d), "--compare-steps", "0")  # finished run
    assert out.returncode == 0, out.stderr
    assert "(finished)" in out.stdout.splitlines()[0]


# -------------------------------------------------------------------- errors

def _npz_without_y(tmp_path: Path) -> list:
    path = tmp_path / "noy.npz"
    np.savez(path, x=np.zeros((10, 2)))
    return ["--data", str(path)]


def _not_an_npz(tmp_path: Path) -> list:
    path = tmp_path / "text.npz"
    path.write_text("x,y\n1,2\n")
    return ["--data", str(path)]


def _unwritable_dir(tmp_path: Path) -> list:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    return ["--checkpoint-dir", str(blocker / "checkpoints")]


ERRORS = {
    "missing data file": (lambda t: ["--data", str(t / "nope.npz")], ["no such file", "np.savez"]),
    "npz without y": (_npz_without_y, ["no array 'y'", "np.savez"]),
    "not an npz": (_not_an_npz, ["not a valid .npz"]),
    "unknown optimizer": (lambda t: ["--optimizer", "adamm"],
                          ["unknown optimizer 'adamm'", "adam", "torch.adamw", "sgd"]),
    "unknown loss": (lambda t: ["--loss", "crossentropy"],
                     ["unknown loss", "sparse_categorical_crossentropy"]),
    "regression loss on classes": (lambda t: ["--loss", "mse"], ["regression loss"]),
    "unknown schedule": (lambda t: ["--schedule", "cosine"], ["unknown schedule", "cosine_decay"]),
    "unwritable checkpoint dir": (_unwritable_dir, ["checkpoint directory", "--checkpoint-dir"]),
    "resume without checkpoint": (lambda t: ["--resume", "--checkpoint-dir", str(t / "empty")],
                                  ["no checkpoint", "without --resume"]),
    "bad number": (lambda t: ["--epochs", "zero"], ["--epochs", "whole number"]),
    "bad hidden": (lambda t: ["--hidden", "64,x"], ["--hidden", "64,64"]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_are_one_actionable_line(tmp_path, case):
    make_args, words = ERRORS[case]
    args = make_args(tmp_path)
    if "--checkpoint-dir" not in args:
        args += ["--checkpoint-dir", str(tmp_path / "ckpt")]
    out = train(*args, "--epochs", "1", "--compare-steps", "0") if case != "bad number" \
        else train(*args)
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert "error:" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert not list((tmp_path / "ckpt").glob("ckpt-*.npz")) if (tmp_path / "ckpt").exists() else True


def test_help_lists_the_options():
    out = train("--help")
    assert out.returncode == 0
    for option in ("--data", "--optimizer", "--loss", "--learning-rate", "--schedule", "--epochs",
                   "--batch-size", "--hidden", "--seed", "--threads", "--checkpoint-dir",
                   "--max-to-keep", "--resume", "cosine_decay"):
        assert option in out.stdout
    assert "``" not in out.stdout


def _small_classes(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((600, 4))
    path = tmp_path / "classes.npz"
    np.savez(path, x=x, y=(x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0))
    return path


@pytest.mark.parametrize("option", [
    *[("--schedule", s) for s in ("constant", "cosine_decay_restarts", "exponential_decay",
                                  "inverse_time_decay", "polynomial_decay",
                                  "piecewise_constant_decay", "CosineDecay")],
    *[("--loss", s) for s in ("categorical_crossentropy", "categorical_focal_crossentropy",
                              "categorical_hinge")],
    *[("--optimizer", s) for s in ("sgd", "adamw", "torch.sgd", "torch.adam")],
])
def test_names_train(tmp_path, option):
    out = train("--data", str(_small_classes(tmp_path)), *option, "--epochs", "3",
                "--hidden", "8", "--compare-steps", "5", "--checkpoint-dir", str(tmp_path / "c"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.search(r"final accuracy: training [0-9.]+, held-out [0-9.]+", out.stdout)
    assert "nan" not in out.stdout.lower()
