"""Training resumed from a checkpoint continues bit for bit, with the real optimizers."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.standard_normal((17, 33)).astype(np.float32),
        "b1": np.zeros(33, np.float32),
        "W2": rng.standard_normal((33, 5)).astype(np.float32),
    }


def _grads(params, step):
    rng = np.random.default_rng(1000 + step)
    # depend on the parameters so that any state error propagates into later steps
    return {k: (0.1 * v + rng.standard_normal(v.shape)).astype(v.dtype) for k, v in params.items()}


OPTIMIZERS = {
    "keras_adam": lambda p: ok.Adam(p, learning_rate=1e-2),
    "keras_adam_amsgrad": lambda p: ok.Adam(p, learning_rate=1e-2, amsgrad=True),
    "keras_sgd_momentum": lambda p: ok.SGD(p, learning_rate=1e-2, momentum=0.9, nesterov=True),
    "torch_adam": lambda p: ok.torch.Adam(p, lr=1e-2),
    "torch_adamw": lambda p: ok.torch.AdamW(p, lr=1e-2, weight_decay=1e-2),
    "torch_sgd": lambda p: ok.torch.SGD(p, lr=1e-2, momentum=0.9),
}


def _bits(d):
    return {k: v.tobytes() for k, v in d.items()}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("blocking", [True, False])
def test_resume_is_bit_for_bit(tmp_path, name, blocking):
    make = OPTIMIZERS[name]
    total, cut = 12, 5

    # uninterrupted run
    ref_params = _params()
    ref_opt = make(ref_params)
    for s in range(total):
        ref_opt.step(_grads(ref_params, s))

    # interrupted run: train, checkpoint, keep training (this state is thrown away)
    params = _params()
    opt = make(params)
    ckpt = ok.Checkpoint(model=params, optimizer=opt, epoch=0)
    with ok.CheckpointManager(ckpt, tmp_path / "c", max_to_keep=2) as manager:
        for s in range(cut):
            opt.step(_grads(params, s))
        ckpt.epoch = cut
        manager.save(blocking=blocking)
        for s in range(cut, cut + 3):
            opt.step(_grads(params, s))
        manager.wait_until_finished()

    # a "new process": fresh objects, restore, continue
    params2 = _params(seed=77)
    opt2 = make(params2)
    held = dict(params2)
    ckpt2 = ok.Checkpoint(model=params2, optimizer=opt2, epoch=0)
    with ok.CheckpointManager(ckpt2, tmp_path / "c", max_to_keep=2) as manager2:
        assert manager2.restore_or_initialize() is not None
    assert ckpt2.epoch == cut
    assert all(params2[k] is held[k] for k in held)  # updated in place
    for s in range(ckpt2.epoch, total):
        opt2.step(_grads(params2, s))

    assert _bits(params2) == _bits(ref_params)
    sd_ref, sd2 = ref_opt.state_dict(), opt2.state_dict()
    assert sd_ref.keys() == sd2.keys()
    for k in sd_ref:
        a, b = sd_ref[k], sd2[k]
        if isinstance(a, np.ndarray):
            assert a.tobytes() == b.tobytes(), k
        else:
            assert a == b, k


def test_optimizer_state_paths_in_the_file(tmp_path):
    params = _params()
    keras, torch_opt = ok.Adam(params), ok.torch.Adam(_params())
    keras.step(_grads(params, 0))
    path = ok.Checkpoint(model=params, optimizer=keras, torch_optimizer=torch_opt).write(tmp_path / "p")
    with np.load(path, allow_pickle=False) as z:
        files = set(z.files)
    assert {"model/W1", "optimizer/iterations", "optimizer/momentum/W1", "optimizer/velocity/W1",
            "torch_optimizer/step", "torch_optimizer/exp_avg/W1", "torch_optimizer/exp_avg_sq/W1"} <= files


def test_wrong_optimizer_shape_changes_nothing(tmp_path):
    params = _params()
    opt = ok.Adam(params)
    opt.step(_grads(params, 0))
    path = ok.Checkpoint(model=params, optimizer=opt).write(tmp_path / "a")
    other = {k: np.ones_like(v) for k, v in params.items()}
    other["W2"] = np.ones((33, 6), np.float32)
    opt2 = ok.Adam(other)
    before = {k: v.copy() for k, v in opt2.state_dict().items() if isinstance(v, np.ndarray)}
    with pytest.raises(ValueError, match="W2"):
        ok.Checkpoint(model=other, optimizer=opt2).restore(path)
    assert all(np.array_equal(opt2.state_dict()[k], v) for k, v in before.items())
    assert all(np.all(v == 1) for v in other.values()) and opt2.iterations == 0
