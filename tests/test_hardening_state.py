"""Faults a first-time user hit: hyperparameters in the state dict, replaced
parameters, overlapping parameters, strings as numbers and error wording."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((7, 5)).astype(np.float32),
            "b": rng.standard_normal(5).astype(np.float32)}


def _grads(params, step):
    rng = np.random.default_rng(500 + step)
    return {k: (0.1 * v + rng.standard_normal(v.shape)).astype(v.dtype)
            for k, v in params.items()}


def _bits(d):
    return {k: v.tobytes() for k, v in d.items()}


def _hyper(sd):
    return {k: v for k, v in sd.items() if k.startswith("param_groups/") or k == "learning_rate"}


# -- 4. hyperparameters in the state dict ---------------------------------------------

def test_torch_state_dict_holds_every_group_option():
    p = [np.ones(3, np.float32)]
    q = [np.ones(2, np.float32)]
    opt = ok.torch.Adam([{"params": p, "lr": 0.5}, {"params": q, "amsgrad": True}],
                        lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)
    sd = opt.state_dict()
    assert _hyper(sd).keys() == {f"param_groups/{i}/{name}" for i in (0, 1)
                                 for name in ("lr", "betas", "eps", "weight_decay", "amsgrad",
                                              "maximize", "decoupled_weight_decay")}
    assert sd["param_groups/0/lr"] == 0.5 and sd["param_groups/1/lr"] == 0.01
    assert sd["param_groups/1/amsgrad"] is True and sd["param_groups/0/amsgrad"] is False
    np.testing.assert_array_equal(sd["param_groups/0/betas"], [0.8, 0.99])
    assert sd["param_groups/0/betas"].dtype == np.float64
    sgd = ok.torch.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=False)
    assert {k.split("/")[-1] for k in _hyper(sgd.state_dict())} == {
        "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"}


def test_keras_state_dict_holds_a_float_learning_rate_but_not_a_schedule():
    opt = ok.Adam([np.ones(3)], learning_rate=0.25)
    opt.learning_rate = 0.125
    assert opt.state_dict()["learning_rate"] == 0.125
    sched = ok.SGD([np.ones(3)], learning_rate=lambda step: 0.1)
    assert "learning_rate" not in sched.state_dict()


def test_torch_load_restores_changed_lr_and_options():
    p = _params()
    opt = ok.torch.SGD(p, lr=0.1, momentum=0.9)
    opt.step(_grads(p, 0))
    opt.param_groups[0]["lr"] = 0.01
    opt.param_groups[0]["nesterov"] = True
    sd = opt.state_dict()
    opt2 = ok.torch.SGD(_params(), lr=0.1, momentum=0.9)
    group = opt2.param_groups[0]
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0] is group  # updated in place
    assert group["lr"] == 0.01 and group["nesterov"] is True


def test_torch_options_given_as_list_or_numpy_bool_round_trip(tmp_path):
    def make(p):
        return ok.torch.Adam(p, betas=[0.8, 0.99], amsgrad=np.True_)
    p = _params()
    opt = make(p)
    opt.step(_grads(p, 0))
    opt.param_groups[0]["betas"] = [0.7, 0.9]
    path = ok.Checkpoint(optimizer=opt).write(tmp_path / "o")
    opt2 = make(_params())
    ok.Checkpoint(optimizer=opt2).read(path)
    assert opt2.param_groups[0]["betas"] == (0.7, 0.9)
    assert opt2.param_groups[0]["amsgrad"] is True


def test_keras_load_restores_learning_rate_and_never_overwrites_a_schedule():
    opt = ok.Adam([np.ones(3)], learning_rate=0.5)
    opt.learning_rate = 0.05
    sd = opt.state_dict()
    opt2 = ok.Adam([np.ones(3)], learning_rate=0.5)
    opt2.load_state_dict(sd)
    assert opt2.learning_rate == 0.05
    def schedule(step):
        return 0.1
    opt3 = ok.Adam([np.ones(3)], learning_rate=schedule)
    opt3.load_state_dict(sd)
    assert opt3.learning_rate is schedule


def _resume_through_checkpoint(tmp_path, make, change_lr):
    total, cut = 10, 4

    ref = _params()
    ref_opt = make(ref)
    for s in range(total):
        if s == 2:
            change_lr(ref_opt)
        ref_opt.step(_grads(ref, s))

    params = _params()
    opt = make(params)
    ckpt = ok.Checkpoint(model=params, optimizer=opt)
    with ok.CheckpointManager(ckpt, tmp_path / "c", max_to_keep=2) as manager:
        for s in range(cut):
            if s == 2:
                change_lr(opt)
            opt.step(_grads(params, s))
        manager.save()

    params2 = _params(seed=9)
    opt2 = make(params2)  # constructed with the original learning rate
    ckpt2 = ok.Checkpoint(model=params2, optimizer=opt2)
    with ok.CheckpointManager(ckpt2, tmp_path / "c", max_to_keep=2) as manager2:
        assert manager2.restore_or_initialize() is not None
    for s in range(cut, total):
        opt2.step(_grads(params2, s))
    assert _bits(params2) == _bits(ref)
    return opt2


def test_torch_resume_after_lr_change_is_bit_for_bit(tmp_path):
    def change(opt):
        opt.param_groups[0]["lr"] = 0.003
        opt.param_groups[0]["betas"] = (0.5, 0.9)
    opt2 = _resume_through_checkpoint(tmp_path, lambda p: ok.torch.Adam(p, lr=0.05), change)
    assert opt2.param_groups[0]["lr"] == 0.003 and opt2.param_groups[0]["betas"] == (0.5, 0.9)


def test_keras_resume_after_lr_change_is_bit_for_bit(tmp_path):
    def change(opt):
        opt.learning_rate = 0.003
    opt2 = _resume_through_checkpoint(tmp_path, lambda p: ok.Adam(p, learning_rate=0.05), change)
    assert opt2.learning_rate == 0.003


def test_torch_resume_after_momentum_and_amsgrad_switched_on():
    """Options that decide which state slots exist are restored with their slots.

    (Through ``ok.Checkpoint`` such a file needs ``strict=False``: a fresh
    optimizer's state dict, which the restore checks the file against, has no
    slots for options switched on later.)"""
    ref = _params()
    ref_opt = ok.torch.SGD(ref, lr=0.05)
    saved = None
    for s in range(8):
        if s == 2:
            ref_opt.param_groups[0]["momentum"] = 0.9
        if s == 5:
            saved = ({k: v.copy() for k, v in ref.items()}, ref_opt.state_dict())
        ref_opt.step(_grads(ref, s))
    params, sd = saved
    opt = ok.torch.SGD(params, lr=0.05)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["momentum"] == 0.9
    for s in range(5, 8):
        opt.step(_grads(params, s))
    assert _bits(params) == _bits(ref)

    p = _params()
    opt = ok.torch.Adam(p, amsgrad=True)
    opt.step(_grads(p, 0))
    opt2 = ok.torch.Adam(_params())
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["amsgrad"] is True
    assert opt2.state_dict().keys() == opt.state_dict().keys()
    back = ok.torch.Adam(_params(), amsgrad=True)
    back.load_state_dict(ok.torch.Adam(_params()).state_dict())
    assert "max_exp_avg_sq/W" not in back.state_dict()
    back.step(_grads(p, 1))


@pytest.mark.parametrize("make", [
    lambda p: ok.Adam(p, learning_rate=0.05),
    lambda p: ok.SGD(p, momentum=0.5),
    lambda p: ok.torch.Adam(p, lr=0.05),
    lambda p: ok.torch.SGD(p, lr=0.05, momentum=0.9),
])
def test_state_dict_without_hyperparameters_still_loads_strictly(make):
    """State dicts written before hyperparameters were saved keep loading."""
    p = _params()
    opt = make(p)
    opt.step(_grads(p, 0))
    old = {k: v for k, v in opt.state_dict().items() if k not in _hyper(opt.state_dict())}
    opt2 = make(_params())
    before = _hyper(opt2.state_dict())
    opt2.load_state_dict(old)  # strict
    assert opt2.iterations == 1
    after = _hyper(opt2.state_dict())
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


def test_checkpoint_file_without_hyperparameters_still_restores(tmp_path):
    p = _params()
    opt = ok.torch.Adam(p, lr=0.05)
    opt.step(_grads(p, 0))

    class OldLayout:  # what an optimizer saved before hyperparameters were added
        def state_dict(self):
            return {k: v for k, v in opt.state_dict().items() if not k.startswith("param_groups")}

        def load_state_dict(self, sd):
            raise AssertionError("not restored into")

    path = ok.Checkpoint(model=p, optimizer=OldLayout()).write(tmp_path / "old")
    p2 = _params(seed=3)
    opt2 = ok.torch.Adam(p2, lr=0.05)
    status = ok.Checkpoint(model=p2, optimizer=opt2).read(path, strict=False)
    assert opt2.iterations == 1 and _bits(p2) == _bits(p)
    assert all(k.startswith("optimizer/param_groups/") for k in status.missing_keys)


def test_checkpoint_file_without_hyperparameters_restores_strictly(tmp_path):
    p = _params()
    opt = ok.Adam(p, learning_rate=0.05)
    opt.step(_grads(p, 0))

    class OldLayout:
        def state_dict(self):
            return {k: v for k, v in opt.state_dict().items() if k != "learning_rate"}

        def load_state_dict(self, sd):
            raise AssertionError("not restored into")

    path = ok.Checkpoint(model=p, optimizer=OldLayout()).write(tmp_path / "old")
    opt2 = ok.Adam(_params(seed=3), learning_rate=0.05)
    ok.Checkpoint(model=_params(seed=3), optimizer=opt2).read(path)  # strict
    assert opt2.iterations == 1


def test_checkpoint_file_without_a_slot_is_refused_strictly_and_nothing_modified(tmp_path):
    p = _params()
    opt = ok.Adam(p, learning_rate=0.05)
    opt.step(_grads(p, 0))

    class NoMomentum:
        def state_dict(self):
            return {k: v for k, v in opt.state_dict().items() if not k.startswith("momentum/")}

        def load_state_dict(self, sd):
            raise AssertionError("not restored into")

    path = ok.Checkpoint(model=p, optimizer=NoMomentum()).write(tmp_path / "partial")
    model = _params(seed=3)
    opt2 = ok.Adam(model, learning_rate=0.05)
    opt2.step(_grads(model, 1))
    before_model, before_opt = _bits(model), {k: np.asarray(v).tobytes()
                                              for k, v in opt2.state_dict().items()}
    with pytest.raises(ValueError, match="momentum"):
        ok.Checkpoint(model=model, optimizer=opt2).read(path)
    assert _bits(model) == before_model
    assert {k: np.asarray(v).tobytes() for k, v in opt2.state_dict().items()} == before_opt
    # the overlap is still there for the asking
    status = ok.Checkpoint(model=model, optimizer=opt2).read(path, strict=False)
    assert any(k.startswith("optimizer/momentum/") for k in status.missing_keys)


def test_bad_hyperparameters_in_state_dict_refused_and_nothing_modified():
    p, q = _params(), [np.ones(2, np.float32)]
    opt = ok.torch.Adam([{"params": p}, {"params": q}], lr=0.05)
    opt.step([_grads(p, 0), [np.ones(2, np.float32)]])
    # the slot arrays differ from the optimizer's so that a partial copy would show
    good = {k: (v + 1 if isinstance(v, np.ndarray) and not k.startswith("param_groups") else v)
            for k, v in opt.state_dict().items()}

    def edit(**changes):
        return {**good, **changes}
    cases = [
        (edit(**{"param_groups/0/lr": float("nan")}), ValueError, "lr"),
        (edit(**{"param_groups/1/lr": -0.1}), ValueError, "lr"),
        (edit(**{"param_groups/0/lr": "0.1"}), TypeError, "lr"),
        (edit(**{"param_groups/0/lr": np.array("0.1")}), TypeError, "lr"),
        (edit(**{"param_groups/0/lr": True}), TypeError, "lr"),
        (edit(**{"param_groups/2/eps": 1e-3}), ValueError, "2 param groups"),
        (edit(**{"param_groups/x/eps": 1e-3}), ValueError, "param_groups/x/eps"),
        (edit(**{"param_groups/0/betas": np.array([0.9, 1.0])}), ValueError, r"betas\[1\]"),
        (edit(**{"param_groups/0/betas": np.array([0.9])}), ValueError, "betas"),
        (edit(**{"param_groups/0/amsgrad": 1}), TypeError, "amsgrad"),
        (edit(**{"param_groups/0/bogus": 1.0}), ValueError, "unexpected"),
        ({k: v for k, v in good.items() if k != "param_groups/1/eps"}, ValueError, "missing"),
    ]
    before = opt.state_dict()
    groups_before = [dict(g) for g in opt.param_groups]
    for sd, exc, match in cases:
        with pytest.raises(exc, match=match):
            opt.load_state_dict(sd)
        after = opt.state_dict()
        assert after.keys() == before.keys()
        for k in before:
            np.testing.assert_array_equal(after[k], before[k])
        assert [dict(g) for g in opt.param_groups] == groups_before
    # a file of one group for an optimizer of two: refused even when not strict
    one = ok.torch.Adam(_params(), lr=0.05).state_dict()
    with pytest.raises(ValueError, match="param group"):
        ok.torch.Adam([{"params": [np.ones(1)]}], lr=0.05).load_state_dict(
            {**one, "param_groups/1/lr": 0.1}, strict=False)


def test_bad_keras_learning_rate_in_state_dict_refused():
    p = _params()
    opt = ok.Adam(p, learning_rate=0.05)
    opt.step(_grads(p, 0))
    sd = opt.state_dict()
    for bad, exc in ((-1.0, ValueError), (float("inf"), ValueError), ("0.1", TypeError),
                     (True, TypeError), (np.zeros(2), TypeError)):
        before = opt.state_dict()
        with pytest.raises(exc, match="learning_rate"):
            opt.load_state_dict({**{k: v + 1 if isinstance(v, np.ndarray) else v
                                    for k, v in sd.items()}, "learning_rate": bad})
        assert opt.learning_rate == 0.05
        for k, v in before.items():
            np.testing.assert_array_equal(opt.state_dict()[k], v)


# -- 5. replaced parameters ------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda p: ok.Adam(p), lambda p: ok.SGD(p, momentum=0.9),
                                  lambda p: ok.torch.Adam(p), lambda p: ok.torch.SGD(p)])
def test_replaced_parameter_in_dict_is_an_error_naming_the_key(make):
    params = _params()
    opt = make(params)
    opt.step(_grads(params, 0))
    params["W"] = params["W"]  # the same array again: fine
    opt.step(_grads(params, 1))
    old_w = params["W"]
    params["W"] = np.zeros_like(old_w)
    before, state = old_w.copy(), opt.state_dict()
    with pytest.raises(ValueError, match=r"params\['W'\].*replaced"):
        opt.step(_grads(params, 2))
    np.testing.assert_array_equal(old_w, before)
    assert opt.iterations == 2
    for k, v in state.items():
        np.testing.assert_array_equal(opt.state_dict()[k], v)


def test_replaced_parameter_inside_a_group_dict():
    inner = _params()
    opt = ok.torch.Adam([{"params": inner}, {"params": [np.ones(2)]}])
    inner["b"] = inner["b"].copy()
    with pytest.raises(ValueError, match=r"params\[0\]\['b'\].*replaced"):
        opt.step([_grads(inner, 0), [np.ones(2)]])


@pytest.mark.parametrize("make", [lambda p: ok.Adam(p), lambda p: ok.torch.SGD(p)])
def test_key_added_or_removed_after_construction_is_an_error(make):
    params = _params()
    opt = make(params)
    params["c"] = np.ones(3, np.float32)
    with pytest.raises(ValueError, match=r"'c'.*added"):
        opt.step(_grads({k: params[k] for k in ("W", "b")}, 0))
    del params["c"]
    w = params.pop("W")
    with pytest.raises(ValueError, match=r"'W'.*removed"):
        opt.step({"W": np.ones_like(w), "b": np.ones_like(params["b"])})
    params["W"] = w  # the same array again, now last in the dict's order: fine
    opt.step(_grads(params, 0))
    opt.step(_grads(params, 1))


# -- 6. smaller faults -----------------------------------------------------------------

@pytest.mark.parametrize("cls", [ok.SGD, ok.Adam, ok.torch.SGD, ok.torch.Adam])
def test_overlapping_params_refused_at_construction_naming_both(cls):
    W = np.ones((10, 3), np.float32)
    with pytest.raises(ValueError, match=r"params\['W'\].*params\['V'\]"):
        cls({"W": W, "V": W})
    with pytest.raises(ValueError, match=r"params\['W'\].*params\['head'\]"):
        cls({"W": W, "head": W[:5]})
    with pytest.raises(ValueError, match=r"params\['flat'\].*params\['W'\]"):
        cls({"flat": W.reshape(-1), "W": W})
    with pytest.raises(ValueError, match=r"params\[0\]\[0\].*params\[1\]\['x'\]"):
        cls([{"params": [W[2:4]]}, {"params": {"x": W[3:]}}])
    # adjacent, non-overlapping blocks of one buffer are fine; so are empty arrays
    cls({"a": W[:5], "b": W[5:], "e1": np.zeros(0, np.float32), "e2": W[:0]})


@pytest.mark.parametrize("build", [
    lambda p: ok.Adam(p, learning_rate="0.1"),
    lambda p: ok.Adam(p, beta_1="0.9"),
    lambda p: ok.Adam(p, epsilon=b"1"),
    lambda p: ok.Adam(p, amsgrad="yes"),
    lambda p: ok.Adam(p, learning_rate=True),
    lambda p: ok.SGD(p, momentum=True),
    lambda p: ok.SGD(p, nesterov="no", momentum=0.5),
    lambda p: ok.Adam(p, clipnorm="1.0"),
    lambda p: ok.torch.Adam(p, lr="0.1"),
    lambda p: ok.torch.Adam(p, betas=("0.9", 0.999)),
    lambda p: ok.torch.Adam(p, eps="1e-8"),
    lambda p: ok.torch.Adam(p, amsgrad="False"),
    lambda p: ok.torch.SGD(p, momentum="0.9"),
    lambda p: ok.torch.SGD(p, lr=False),
    lambda p: ok.torch.SGD(p, maximize=1),
    lambda p: ok.torch.SGD([{"params": p, "lr": "0.5"}]),
    lambda p: ok.Adam([{"params": p, "learning_rate": "0.5"}]),
])
def test_strings_and_bools_are_not_numbers(build):
    with pytest.raises(TypeError, match="must be a"):
        build([np.ones(3)])


def test_string_learning_rate_set_later_is_a_type_error():
    p = [np.ones(3)]
    opt = ok.Adam(p)
    with pytest.raises(TypeError, match="learning_rate"):
        opt.learning_rate = "0.1"
    assert opt.learning_rate == 0.001
    opt = ok.Adam(p, learning_rate=lambda step: "0.1")
    with pytest.raises(TypeError, match=r"learning_rate\(0\)"):
        opt.step([np.ones(3)])
    topt = ok.torch.Adam(p)
    topt.param_groups[0]["lr"] = "0.5"
    with pytest.raises(TypeError, match="lr"):
        topt.step([np.ones(3)])
    topt.param_groups[0]["lr"] = 0.5
    topt.param_groups[0]["amsgrad"] = "yes"
    with pytest.raises(TypeError, match="amsgrad"):
        topt.step([np.ones(3)])
    np.testing.assert_array_equal(p[0], 1.0)
    grouped = ok.torch.SGD([{"params": [np.ones(2)]}, {"params": [np.ones(2)]}])
    grouped.param_groups[1]["momentum"] = "0.9"
    with pytest.raises(TypeError, match=r"param_groups\[1\]: momentum must be a real number"):
        grouped.step([[np.ones(2)], [np.ones(2)]])


def test_error_messages_count_in_the_singular_and_plural():
    opt = ok.Adam([np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="grads has 1 entry; expected 2$"):
        opt.step([np.ones(2)])
    grouped = ok.Adam([{"params": [np.ones(2)]}, {"params": [np.ones(2), np.ones(2)]}])
    with pytest.raises(ValueError, match=r"grads\[0\] must be a list of 1 array$"):
        grouped.step([[], [np.ones(2), np.ones(2)]])
    with pytest.raises(ValueError, match=r"grads\[1\] must be a list of 2 arrays$"):
        grouped.step([[np.ones(2)], []])
    sd = opt.state_dict()
    del sd["momentum/0"]
    with pytest.raises(ValueError, match="missing 1 entry"):
        opt.load_state_dict(sd)
    with pytest.raises(ValueError, match="1 unexpected entry"):
        opt.load_state_dict({**opt.state_dict(), "momentum/9": np.ones(2)})
    d = ok.Adam({"a": np.ones(2)})
    with pytest.raises(ValueError, match=r"grads has an entry for an unknown parameter: \['c'\]"):
        d.step({"a": np.ones(2), "c": np.ones(2)})
    with pytest.raises(ValueError, match="grads has 2 entries for unknown parameters"):
        d.step({"a": np.ones(2), "c": np.ones(2), "e": np.ones(2)})
    assert repr(ok.Adam([np.ones(2)])).startswith("Adam(1 tensor,")
    assert repr(ok.torch.Adam([np.ones(2)])).startswith("optkern.torch.Adam(1 tensor,")


def test_torch_sgd_saved_before_its_first_step_resumes_bit_for_bit(tmp_path):
    """A checkpoint taken before training starts (a common first save): the
    momentum buffers are not started yet, so the first step after the restore
    still starts them with b <- g, which differs from b <- μb + (1 - τ)g when
    dampening τ > 0."""
    def make(p):
        return ok.torch.SGD(p, lr=0.05, momentum=0.9, dampening=0.5)
    ref = _params()
    ref_opt = make(ref)
    for s in range(3):
        ref_opt.step(_grads(ref, s))
    params = _params()
    opt = make(params)
    path = ok.Checkpoint(model=params, optimizer=opt).write(tmp_path / "start")
    params2 = _params(seed=4)
    opt2 = make(params2)
    ok.Checkpoint(model=params2, optimizer=opt2).read(path)
    for s in range(3):
        opt2.step(_grads(params2, s))
    assert _bits(params2) == _bits(ref)
