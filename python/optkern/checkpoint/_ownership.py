"""Which files named like checkpoints are a manager's own.

A name such as ``ckpt-5.npz`` proves nothing: another program, ``np.savez`` or
a renamed checkpoint of another prefix can use it. A file is an optkern
checkpoint of the name ``name`` when its manifest says so: the manifest names
the optkern checkpoint format and records ``checkpoint_name == name``, or
records no name at all (files from ``Checkpoint.write`` and from optkern
versions before the name was recorded). Only the zip directory and the small
manifest member are read, never the arrays.
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile

from . import _format

__all__ = [
    "ANY_CHECKPOINT",
    "FOREIGN",
    "MISSING",
    "OURS",
    "UNPROVEN",
    "Claim",
    "check_name",
    "claim_checkpoints",
    "inspect",
    "name_pattern",
    "numbered_files",
]

OURS = "ours"  # the manifest proves it is a checkpoint of this name
FOREIGN = "foreign"  # readable, and provably not a checkpoint of this name
UNPROVEN = "unproven"  # unreadable: damaged, or not a zip file at all
MISSING = "missing"  # gone since it was listed

_MAX_MANIFEST = 64 << 20

# Any committed checkpoint file name: <prefix>-<number>.npz, no leading zeros.
ANY_CHECKPOINT = re.compile(r"(.+)-(0|[1-9][0-9]*)\.npz\Z")


class Claim:
    """The verdict on one file: ``verdict``, the manifest's save ``time`` and a ``reason``."""

    __slots__ = ("reason", "time", "verdict")

    def __init__(self, verdict, time=None, reason=""):
        self.verdict, self.time, self.reason = verdict, time, reason


def check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"checkpoint_name must be a str, got {type(name).__name__}")
    if not name or name.startswith(".") or "/" in name or os.sep in name or "\x00" in name:
        raise ValueError(
            f"invalid checkpoint_name {name!r}: use a plain file name prefix "
            "(no path separators, not starting with '.')"
        )


def name_pattern(name):
    """Regex of the committed checkpoint file names ``<name>-<n>.npz``."""
    return re.compile(re.escape(name) + r"-(0|[1-9][0-9]*)\.npz\Z")


def numbered_files(directory, name):
    """``{number: filename}`` of every file named ``<name>-<n>.npz``, whoever wrote it.

    Only exact names count: temporaries (``.<name>-<n>.npz.<hex>.tmp``), other
    prefixes, leading zeros and other suffixes are never listed.
    """
    pattern = name_pattern(name)
    found = {}
    try:
        entries = os.scandir(directory)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            m = pattern.match(entry.name)
            if m and entry.is_file():
                found[int(m.group(1))] = entry.name
    return found


def inspect(path, name):
    """Read only the manifest of ``path`` and say whether it is a checkpoint of ``name``.

    Returns
    -------
    Claim
    """
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        return Claim(MISSING, reason="the file is gone")
    except zipfile.BadZipFile as e:
        return Claim(UNPROVEN, reason=f"not a readable .npz/zip archive: {e}")
    except Exception as e:  # noqa: BLE001 (OSError (EIO, EACCES), or garbage the zip parser trips over
        return Claim(UNPROVEN, reason=f"could not be read ({type(e).__name__}: {e})")
    with zf:
        try:
            info = zf.getinfo(_format.MANIFEST_MEMBER)
        except KeyError:
            return Claim(
                FOREIGN,
                reason="a .npz/zip file without an optkern manifest, such as a "
                "plain np.savez file or another program's",
            )
        if info.file_size > _MAX_MANIFEST:
            return Claim(UNPROVEN, reason="its manifest is implausibly large")
        try:
            manifest = json.loads(zf.read(info).decode("utf-8"))
        except Exception as e:  # noqa: BLE001 (any failure leaves the file unproven)
            return Claim(UNPROVEN, reason=f"its manifest is unreadable ({type(e).__name__}: {e})")
    if not isinstance(manifest, dict) or manifest.get("format") != _format.FORMAT_NAME:
        return Claim(
            FOREIGN, reason=f"its manifest does not name the format {_format.FORMAT_NAME!r}"
        )
    recorded = manifest.get("checkpoint_name")
    if recorded is not None and recorded != name:
        return Claim(
            FOREIGN, reason=f"its manifest records the checkpoint name {recorded!r}, not {name!r}"
        )
    t = manifest.get("time")
    ok_time = isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)
    return Claim(OURS, float(t) if ok_time else None)


def claim_checkpoints(directory, name, vouched=frozenset()):
    """Split the files ``<name>-<n>.npz`` of ``directory`` into ours and the others.

    Parameters
    ----------
    directory : str
    name : str
        The checkpoint name (file prefix).
    vouched : set of str
        File names the manager's own state file lists: an unreadable one of
        these is ours but damaged (restoring it raises), not foreign.

    Returns
    -------
    ours : dict
        ``{number: (filename, manifest time or None)}``.
    others : dict
        ``{number: (filename, reason)}``: left alone, never listed or deleted.
    """
    ours, others = {}, {}
    for number, filename in numbered_files(directory, name).items():
        claim = inspect(os.path.join(directory, filename), name)
        if claim.verdict == OURS or (claim.verdict == UNPROVEN and filename in vouched):
            ours[number] = (filename, claim.time)
        elif claim.verdict != MISSING:
            others[number] = (filename, claim.reason)
    return ours, others
