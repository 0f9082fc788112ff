"""The one error type the train command reports as a one-line message (exit code 2)."""


class TrainError(Exception):
    """Something the user can fix: the message says what is wrong and what to do."""
