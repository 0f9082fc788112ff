"""The command line's shared argparse types refuse careless values with a message."""

from __future__ import annotations

import argparse

import pytest

from optkern._argtypes import (int_at_least, non_negative_int, non_negative_number,
                               positive_int, positive_number)


@pytest.mark.parametrize("parse, text, value", [
    (positive_int, "3", 3), (non_negative_int, "0", 0), (int_at_least(-2), "-2", -2),
    (positive_number, "0.25", 0.25), (positive_number, "1e3", 1000.0),
    (non_negative_number, "0", 0.0),
])
def test_accepted(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize("parse, text, message", [
    (positive_int, "0", "expected a number >= 1, got 0"),
    (positive_int, "1.5", "expected a whole number, got '1.5'"),
    (non_negative_int, "-1", "expected a number >= 0, got -1"),
    (positive_number, "0", "expected a positive number, got 0"),
    (positive_number, "-3", "expected a positive number, got -3"),
    (positive_number, "nan", "expected a finite number, got nan"),
    (positive_number, "inf", "expected a finite number, got inf"),
    (positive_number, "fast", "expected a number, got 'fast'"),
    (non_negative_number, "-0.5", "expected a number >= 0, got -0.5"),
])
def test_refused_with_a_message(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace(".", r"\.")):
        parse(text)
