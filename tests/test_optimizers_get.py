"""ok.optimizers: the Keras-convention classes by name, as keras.optimizers.get."""

from __future__ import annotations

import numpy as np
import pytest

import optkern as ok
from optkern._registry import cases

KERAS_NAMES = sorted({c.name for c in cases("keras")})


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_optimizer_by_name_and_lower_case(name):
    cls = getattr(ok, name)
    assert getattr(ok.optimizers, name) is cls
    assert ok.optimizers.get(name) is cls
    assert ok.optimizers.get(name.lower()) is cls
    p = [np.ones(3, np.float32)]
    opt = ok.optimizers.get(name.lower(), p)
    assert type(opt) is cls and opt.params[0] is p[0]


def test_config_dict_builds_an_instance_with_its_arguments():
    p = [np.ones(3, np.float32)]
    opt = ok.optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.1,
                                                            "momentum": 0.9}}, p)
    assert isinstance(opt, ok.SGD) and opt.momentum == 0.9 and opt.learning_rate == 0.1


def test_instance_and_class_pass_through():
    opt = ok.Adam([np.ones(2)])
    assert ok.optimizers.get(opt) is opt
    assert ok.optimizers.get(ok.Adam) is ok.Adam
    with pytest.raises(TypeError, match="already has its parameters"):
        ok.optimizers.get(opt, [np.ones(2)])


@pytest.mark.parametrize("bad, error, match", [
    ("rmsprp", ValueError, "unknown optimizer 'rmsprp'; valid names: .*Adam"),
    ({"class_name": "Adam", "config": {}}, ValueError, "needs params"),
    ({"config": {}}, ValueError, "class_name"),
    ({"class_name": "Adam", "config": 3}, ValueError, "must be a dict"),
    (3, TypeError, "could not interpret"),
    (ok.torch.Adam, TypeError, "could not interpret"),
])
def test_bad_identifiers_are_named(bad, error, match):
    with pytest.raises(error, match=match):
        ok.optimizers.get(bad)


def test_unknown_config_argument_is_the_class_error():
    with pytest.raises(TypeError, match="learning_rat"):
        ok.optimizers.get({"class_name": "Adam", "config": {"learning_rat": 0.1}},
                          [np.ones(2)])
