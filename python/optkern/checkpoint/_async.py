"""One background writer per Checkpoint: at most one write in flight."""

from __future__ import annotations

import threading

__all__ = ["Writer"]


class Writer:
    """Runs write jobs on a background thread, one at a time.

    ``wait()`` joins the job in flight and re-raises its exception, if any;
    every save calls it first, so an asynchronous failure surfaces at the next
    save (which is then not performed) or at ``wait_until_finished()``.
    """

    def __init__(self):
        self._thread = None
        self._error = None
        self.lock = threading.RLock()  # serialises saves issued from several threads

    @property
    def busy(self):
        t = self._thread
        return t is not None and t.is_alive()

    def join(self):
        """Wait for the job in flight without consuming its error (restores use this)."""
        t = self._thread
        if t is not None:
            t.join()

    def wait(self):
        with self.lock:
            t = self._thread
            if t is not None:
                t.join()
                self._thread = None
            err, self._error = self._error, None
        if err is not None:
            raise err

    def submit(self, job, description):
        with self.lock:
            self.wait()

            def run():
                try:
                    job()
                except BaseException as e:  # noqa: BLE001 (surfaced by the next wait())
                    if hasattr(e, "add_note"):
                        e.add_note(f"(raised by the background save of {description})")
                    self._error = e

            # Not a daemon: the interpreter waits for a pending save at exit.
            t = threading.Thread(target=run, name="optkern-checkpoint-writer", daemon=False)
            self._thread = t
            t.start()
