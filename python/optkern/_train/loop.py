"""The training loop: minibatch steps, held-out evaluation, a checkpoint per
epoch, and a clean stop on SIGINT/SIGTERM with a checkpoint of the position
within the epoch.

Resuming reproduces an uninterrupted run bit for bit because everything a
step depends on is either in the checkpoint or derived from it: the
parameters and optimizer state (restored in place), the position
(epoch, batch within the epoch, global step), and the epoch's sample order
(``default_rng([seed, epoch]).permutation(n)``, stored in the checkpoint as
an array and restored from it). The learning rate is a function of the
global step.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from . import model
from .data import Dataset
from .errors import TrainError
from .names import LossSpec, OptimizerSpec, build_optimizer, build_schedule
from .progress import ProgressBar


@dataclass
class Config:
    """Everything that determines the trained weights (stored in each checkpoint)."""

    data: str | None
    fingerprint: int
    optimizer: str
    loss: str
    learning_rate: float
    schedule: str
    epochs: int
    batch_size: int
    hidden: list = field(default_factory=list)
    seed: int = 0

    def to_array(self) -> np.ndarray:
        text = json.dumps(asdict(self), sort_keys=True)
        return np.frombuffer(text.encode(), np.uint8).copy()

    @classmethod
    def from_array(cls, array: np.ndarray) -> Config:
        return cls(**json.loads(bytes(np.asarray(array, np.uint8)).decode()))


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of one epoch: a permutation drawn from ``default_rng([seed, epoch])``."""
    return np.random.default_rng([seed, epoch]).permutation(n).astype(np.int64)


class Interrupted(Exception):
    """Raised by the loop after it saved a checkpoint on SIGINT/SIGTERM."""

    def __init__(self, signum: int, path: str | None):
        super().__init__(signum, path)
        self.signum, self.path = signum, path


class _Signals:
    """Turn the first SIGINT/SIGTERM into a flag the loop checks between steps;
    a second one interrupts at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._old: dict = {}

    def _handler(self, signum: int, frame: Any) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum

    def __enter__(self) -> _Signals:  # noqa: PYI034 (typing.Self needs Python 3.11)
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handler)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


class Trainer:
    """The model, optimizer, loss and position of one training run."""

    def __init__(self, config: Config, data: Dataset, opt_spec: OptimizerSpec, loss_spec: LossSpec):
        self.config, self.data = config, data
        self.opt_spec, self.loss_spec = opt_spec, loss_spec
        self.sizes = model.layer_sizes(data.features, tuple(config.hidden), data.outputs)
        self.params = model.init_params(self.sizes, config.seed)
        n = len(data.x_train)
        self.steps_per_epoch = -(-n // config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.schedule = build_schedule(config.schedule, config.learning_rate, self.total_steps)
        keras_lr = self.schedule if opt_spec.front_end == "keras" else config.learning_rate
        self.optimizer = build_optimizer(opt_spec, self.params, keras_lr)
        self.loss = loss_spec.build()
        self.position = {"epoch": 0, "batch": 0, "step": 0}
        # running sums over the current epoch (for the progress bar and the epoch line)
        self.metrics = {"loss_sum": 0.0, "correct": 0, "seen": 0, "batches": 0}
        self.order = epoch_order(config.seed, 0, n)
        self.step_seconds = 0.0
        self.steps_run = 0
        from .. import Checkpoint

        self.checkpoint = Checkpoint(
            model=self.params,
            optimizer=self.optimizer,
            position=self.position,
            metrics=self.metrics,
            order=self.order,
            config=config.to_array(),
        )

    # ------------------------------------------------------------------ steps
    def targets(self, yb: np.ndarray) -> np.ndarray:
        if self.loss_spec.targets == "onehot":
            return np.eye(self.data.outputs, dtype=np.float32)[yb]
        return yb

    def step(
        self,
        xb: np.ndarray,
        yb: np.ndarray,
        loss_fn: Callable | None = None,
        update: Callable | None = None,
        lr_now: Callable | None = None,
    ) -> tuple[float, int]:
        """One minibatch step; returns (loss, correct predictions)."""
        params = self.params
        out, acts = model.forward(params, xb)
        correct = int((out.argmax(axis=1) == yb).sum()) if self.data.task == "classification" else 0
        if loss_fn is None:
            value, dout = self.loss.value_and_grad(self.targets(yb), out, grad_out=out)
        else:
            value, dout = loss_fn(self.targets(yb), out)
        grads = model.backward(params, acts, dout)
        if update is None:
            if self.opt_spec.front_end == "torch":
                lr = (
                    float(self.schedule(self.position["step"]))
                    if callable(self.schedule)
                    else self.schedule
                )
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
            self.optimizer.step(grads)
        else:
            update(grads)
        return float(value), correct

    # --------------------------------------------------------------- evaluate
    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Loss and accuracy (classification) or R² (regression) over a whole set."""
        out = model.predict(self.params, x)
        loss = float(self.loss(self.targets(y), out)) if len(x) else float("nan")
        if self.data.task == "classification":
            return {"loss": loss, "accuracy": float((out.argmax(axis=1) == y).mean())}
        ss_res = float(((out.astype(np.float64) - y) ** 2).sum())
        ss_tot = float(((y - y.mean(axis=0)) ** 2).sum())
        return {"loss": loss, "r2": 1.0 - ss_res / ss_tot if ss_tot else float("nan")}

    # ------------------------------------------------------------------- loop
    def run(self, manager: Any, bar: ProgressBar, log: Callable[[str], None]) -> None:
        """Train from the current position to the last epoch, saving each epoch.

        Raises `Interrupted` after saving a checkpoint if SIGINT or SIGTERM
        arrives (the step in progress completes first).
        """
        cfg, data = self.config, self.data
        pos, met = self.position, self.metrics
        bs, n = cfg.batch_size, len(data.x_train)
        classify = data.task == "classification"
        with _Signals() as signals:
            while pos["epoch"] < cfg.epochs:
                epoch = pos["epoch"]
                label = f"epoch {epoch + 1}/{cfg.epochs}"
                t_epoch = time.perf_counter()
                first_batch = pos["batch"]
                for b in range(pos["batch"], self.steps_per_epoch):
                    idx = self.order[b * bs : (b + 1) * bs]
                    t0 = time.perf_counter()
                    value, correct = self.step(data.x_train[idx], data.y_train[idx])
                    self.step_seconds += time.perf_counter() - t0
                    self.steps_run += 1
                    pos["batch"], pos["step"] = b + 1, pos["step"] + 1
                    met["loss_sum"] += value
                    met["correct"] += correct
                    met["seen"] += len(idx)
                    met["batches"] += 1
                    if signals.received is not None:
                        bar.clear()
                        raise Interrupted(signals.received, self._save(manager))
                    rate = (pos["batch"] - first_batch) / max(time.perf_counter() - t_epoch, 1e-9)
                    text = f"loss {met['loss_sum'] / met['batches']:.4f}"
                    if classify:
                        text += f"  acc {met['correct'] / met['seen']:.3f}"
                    bar.update(label, b + 1, self.steps_per_epoch, f"{text}  {rate:,.0f} steps/s")
                held_out = self.evaluate(data.x_test, data.y_test)
                line = f"{label:<13} loss {met['loss_sum'] / max(met['batches'], 1):.4f}"
                if classify:
                    line += (
                        f"  acc {met['correct'] / max(met['seen'], 1):.4f}"
                        f"  held-out acc {held_out['accuracy']:.4f}"
                    )
                else:
                    line += f"  held-out loss {held_out['loss']:.4f}  R² {held_out['r2']:.4f}"
                line += f"  {time.perf_counter() - t_epoch:.1f} s"
                pos["epoch"], pos["batch"] = epoch + 1, 0
                self.order[...] = epoch_order(cfg.seed, epoch + 1, n)
                met.update(loss_sum=0.0, correct=0, seen=0, batches=0)
                path = self._save(manager)
                bar.clear()
                log(f"{line}  -> {path}")
                if signals.received is not None:
                    raise Interrupted(signals.received, path)

    def _save(self, manager: Any) -> str:
        try:
            return manager.save()
        except OSError as e:
            raise TrainError(
                f"cannot write a checkpoint to {manager.directory!r} ({e.strerror or e}); "
                "free space or choose another --checkpoint-dir"
            ) from None
