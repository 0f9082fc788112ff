"""The manager's state file ``checkpoint.json``: a hint listing checkpoints and save times.

The files themselves are the truth (a manager rebuilds its list by scanning);
the state file adds the save times and the checkpoints kept for good, and
vouches that a listed file was written by a manager of that checkpoint name.
"""

from __future__ import annotations

import json
import os

from ._atomic import atomic_write
from ._errors import CorruptCheckpointError
from ._ownership import ANY_CHECKPOINT

__all__ = ["STATE_FORMAT", "STATE_NAME", "STATE_VERSION", "read_state", "vouched", "write_state"]

STATE_NAME = "checkpoint.json"
STATE_FORMAT = "optkern.checkpoint.state"
STATE_VERSION = 1


def read_state(directory):
    """The parsed state file, None if absent; CorruptCheckpointError if unreadable."""
    path = os.path.join(directory, STATE_NAME)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None

    def corrupt(reason):
        return CorruptCheckpointError(
            path,
            f"{reason}; it is only a hint: delete it and the manager rebuilds its list "
            "from the checkpoint files",
        )

    if not raw:
        return _raise(corrupt("the state file is empty (0 bytes)"))
    try:
        state = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise corrupt(f"the state file is not valid JSON ({e})") from e
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise corrupt(f"not an optkern checkpoint state file (format is not {STATE_FORMAT!r})")
    if state.get("version") != STATE_VERSION:
        raise corrupt(f"unsupported state file version {state.get('version')!r}")
    name = state.get("checkpoint_name")
    lpt = state.get("last_preserved_time")
    ok = isinstance(name, str) and isinstance(lpt, (int, float)) and not isinstance(lpt, bool)
    for key in ("checkpoints", "preserved"):
        items = state.get(key)
        ok = (
            ok
            and isinstance(items, list)
            and all(
                isinstance(i, dict)
                and isinstance(i.get("file"), str)
                and ANY_CHECKPOINT.match(i["file"])
                and isinstance(i.get("time"), (int, float))
                and not isinstance(i.get("time"), bool)
                for i in items
            )
        )
    if not ok:
        raise corrupt("malformed state file")
    return state


def _raise(exc):
    raise exc


def vouched(state, name):
    """File names the state file of checkpoint name ``name`` lists (written by a manager)."""
    if state is None or state["checkpoint_name"] != name:
        return frozenset()
    return frozenset(item["file"] for item in state["checkpoints"] + state["preserved"])


def write_state(directory, name, managed, preserved, last_kept):
    """Atomically rewrite the state file from ``(number, filename, time)`` lists."""
    state = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "checkpoint_name": name,
        "latest_checkpoint": managed[-1][1] if managed else None,
        "checkpoints": [{"file": f, "number": n, "time": t} for n, f, t in managed],
        "preserved": [{"file": f, "number": n, "time": t} for n, f, t in preserved],
        "last_preserved_time": last_kept,
    }
    data = json.dumps(state, indent=1).encode("utf-8")
    atomic_write(os.path.join(directory, STATE_NAME), lambda f: f.write(data))
