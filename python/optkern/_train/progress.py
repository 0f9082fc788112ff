"""A one-line progress bar on stderr, redrawn at most ten times a second, shown
only when stderr is a terminal (logs get one line per epoch on stdout instead)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``update(done, **metrics)`` redraws ``epoch e/E [#####.....] done/total metrics``."""

    def __init__(
        self,
        stream: TextIO | None = None,
        width: int = 24,
        enabled: bool | None = None,
        interval: float = 0.1,
    ):
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def update(self, label: str, done: int, total: int, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{label} [{bar}] {done}/{total} {text}\033[K")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the bar (before a line is printed to stdout)."""
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
