"""``optkern train``: options, one-line errors (exit code 2), the run and its summary."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from typing import Any, NoReturn

from .._argtypes import non_negative_int, positive_int, positive_number
from .errors import TrainError

EXIT_USAGE = 2
DESCRIPTION = """\
Train a multilayer perceptron (NumPy, ReLU) end to end with optkern's fused
loss and optimizer, on the embedded spirals data set (5 interleaved arms of
two turns, 50 000 points, 1/6 held out) or on --data FILE.npz. A checkpoint
is written after every epoch; Ctrl-C saves the position within the epoch and
stops. Rerun with --resume to continue: the result is bit for bit that of an
uninterrupted run. At the end the same steps are timed with optkern.reference
(NumPy) for comparison."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _hidden(text: str) -> list:
    parts = [p.strip() for p in text.split(",")]
    if not all(re.fullmatch(r"[0-9]+", p) and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected layer widths such as 64,64, got {text!r}")
    return [int(p) for p in parts]


DEFAULTS: dict[str, Any] = {
    "optimizer": "adam",
    "learning_rate": None,
    "schedule": "cosine_decay",
    "epochs": 30,
    "batch_size": 128,
    "hidden": [128, 128],
    "seed": 0,
}


def build_parser(prog: str) -> argparse.ArgumentParser:
    from .names import describe_schedules

    p = _Parser(
        prog=prog,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="learning-rate schedules (n = total steps of the run, lr = "
        "--learning-rate):\n"
        + describe_schedules()
        + """

examples:
  optkern train                                   the defaults: Adam, cosine decay, 128,128
  optkern train --optimizer torch.adamw --learning-rate 3e-3
  optkern train --data points.npz --loss huber    regression when y is float
  optkern train --resume                          continue after Ctrl-C or a crash""",
    )
    add = p.add_argument
    add(
        "--data",
        metavar="FILE.npz",
        help="arrays x (samples, features) and y: integer labels (classes) or floats "
        "(regression); default: the embedded spirals",
    )
    add(
        "--optimizer",
        metavar="NAME",
        help="Keras name (adam, adamw, sgd, ...) or torch.<name> (torch.adam, torch.adamw, "
        f"...); default {DEFAULTS['optimizer']}",
    )
    add(
        "--loss",
        metavar="NAME",
        help="default sparse_categorical_crossentropy (from logits) for classes, "
        "mean_squared_error for regression",
    )
    add(
        "--learning-rate",
        "--lr",
        dest="learning_rate",
        type=positive_number,
        metavar="LR",
        help="initial learning rate; default: the optimizer's own default",
    )
    add(
        "--schedule",
        metavar="NAME",
        help=f"learning-rate schedule (below); default {DEFAULTS['schedule']}",
    )
    add("--epochs", type=positive_int, metavar="N", help=f"default {DEFAULTS['epochs']}")
    add("--batch-size", type=positive_int, metavar="N", help=f"default {DEFAULTS['batch_size']}")
    add(
        "--hidden",
        type=_hidden,
        metavar="W,W,...",
        help="hidden layer widths; default " + ",".join(map(str, DEFAULTS["hidden"])),
    )
    add(
        "--seed",
        type=non_negative_int,
        metavar="N",
        help="initial weights and the per-epoch shuffles; default 0",
    )
    add(
        "--threads",
        type=positive_int,
        metavar="N",
        help="threads for optkern's kernels (the results do not depend on it); "
        "default 1: the default model's steps are too small to gain from more",
    )
    add(
        "--checkpoint-dir",
        default="checkpoints",
        metavar="DIR",
        help="where the per-epoch checkpoints go; default ./checkpoints",
    )
    add(
        "--max-to-keep",
        type=positive_int,
        default=3,
        metavar="N",
        help="checkpoints kept (older ones are deleted); default 3",
    )
    add(
        "--resume",
        action="store_true",
        help="continue the run whose latest checkpoint is in --checkpoint-dir",
    )
    add(
        "--compare-steps",
        type=non_negative_int,
        default=200,
        metavar="N",
        help="steps timed with optkern and with the NumPy reference at the end; "
        "0 skips it; default 200",
    )
    return p


def _fail(prog: str, message: str) -> int:
    sys.stdout.flush()
    print(f"{prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _single_threaded_blas() -> None:
    """NumPy's BLAS runs the model's small matrix products on one thread,
    unless the environment says otherwise: threads cost more than they save
    at these sizes. BLAS reads its setting when NumPy loads, so this comes
    before anything imports NumPy."""
    if "numpy" not in sys.modules:
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")


def _set_threads(n: int | None) -> None:
    """optkern's kernels run on ``n`` threads (default 1)."""
    from .. import set_num_threads

    set_num_threads(1 if n is None else n)


def main(argv: list[str], prog: str = "optkern train") -> int:
    _single_threaded_blas()
    args = build_parser(prog).parse_args(argv)
    _set_threads(args.threads)
    try:
        return _train(args, prog)
    except TrainError as e:
        return _fail(prog, str(e))
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside the training loop
        print(
            f"\n{prog}: interrupted; the checkpoints already in {args.checkpoint_dir} are "
            "complete (use --resume to continue from the latest)",
            file=sys.stderr,
        )
        return 130


# ---------------------------------------------------------------- the run


def _stored_config(directory: str) -> tuple[str, Any]:
    """The latest checkpoint in ``directory`` and the configuration it holds."""
    import numpy as np

    from .. import latest_checkpoint
    from .loop import Config

    path = latest_checkpoint(directory) if os.path.isdir(directory) else None
    if path is None:
        raise TrainError(
            f"--resume: no checkpoint in {directory!r} to resume; run without "
            "--resume to start training, or point --checkpoint-dir at the run's "
            "directory"
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            return path, Config.from_array(f["config"])
    except Exception as e:  # noqa: BLE001 - any unreadable file gets the same advice
        raise TrainError(
            f"--resume: {path} cannot be read as a checkpoint of optkern train "
            f"({e}); move it out of the directory to resume from the one before, or "
            "point --checkpoint-dir at a directory written by optkern train"
        ) from None


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _resolve_config(args: argparse.Namespace):
    """(Config, Dataset, OptimizerSpec, LossSpec, resume_from or None)."""
    from . import data as data_mod
    from .loop import Config
    from .names import DEFAULT_LOSS, LOSSES, resolve_loss, resolve_optimizer, resolve_schedule

    stored = None
    resume_from = None
    if args.resume:
        resume_from, stored = _stored_config(args.checkpoint_dir)
        given = {
            "data": None if args.data is None else os.path.abspath(args.data),
            "optimizer": args.optimizer and resolve_optimizer(args.optimizer).name,
            "loss": args.loss,
            "learning_rate": args.learning_rate,
            "schedule": args.schedule and resolve_schedule(args.schedule),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "hidden": args.hidden,
            "seed": args.seed,
        }
        for key, value in given.items():
            if key == "loss" and value is not None:
                value = resolve_loss(value, LOSSES[stored.loss].task).name
            if value is not None and value != getattr(stored, key):
                option = "--" + key.replace("_", "-")
                raise TrainError(
                    f"{option} {_show(value)} differs from the run being resumed "
                    f"({option} {_show(getattr(stored, key))}); leave it out to resume that "
                    "run, or start a new run in another --checkpoint-dir"
                )
        path = stored.data
    else:
        path = None if args.data is None else os.path.abspath(args.data)
    dataset = data_mod.load(args.data if args.data is not None else path)
    if stored is not None:
        if dataset.fingerprint != stored.fingerprint:
            raise TrainError(
                f"--resume: the data in {stored.data or 'the embedded data set'} "
                "is not the data the run was trained on; restore that file, or "
                "start a new run in another --checkpoint-dir"
            )
        opt_spec = resolve_optimizer(stored.optimizer)
        loss_spec = resolve_loss(stored.loss, dataset.task)
        return stored, dataset, opt_spec, loss_spec, resume_from
    opt_spec = resolve_optimizer(args.optimizer or DEFAULTS["optimizer"])
    loss_spec = resolve_loss(args.loss or DEFAULT_LOSS[dataset.task], dataset.task)
    schedule = resolve_schedule(args.schedule or DEFAULTS["schedule"])
    lr = args.learning_rate if args.learning_rate is not None else opt_spec.default_learning_rate
    config = Config(
        data=path,
        fingerprint=dataset.fingerprint,
        optimizer=opt_spec.name,
        loss=loss_spec.name,
        learning_rate=float(lr),
        schedule=schedule,
        epochs=args.epochs or DEFAULTS["epochs"],
        batch_size=args.batch_size or DEFAULTS["batch_size"],
        hidden=list(args.hidden or DEFAULTS["hidden"]),
        seed=DEFAULTS["seed"] if args.seed is None else args.seed,
    )
    return config, dataset, opt_spec, loss_spec, None


def _open_manager(checkpoint: Any, directory: str, max_to_keep: int) -> Any:
    import tempfile

    from .. import CheckpointManager

    advice = "choose a writable --checkpoint-dir"
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".optkern-train-probe-"):
            pass
    except OSError as e:
        raise TrainError(
            f"cannot write to the checkpoint directory {directory!r} ({e.strerror or e}); {advice}"
        ) from None
    try:
        return CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep)
    except RuntimeError as e:  # another process holds the directory
        pid = re.search(r"pid (\d+)", str(e))
        who = f"another process (pid {pid.group(1)})" if pid else "another process"
        raise TrainError(
            f"the checkpoint directory {directory!r} is in use by {who}; wait for "
            "that run to end, or choose another --checkpoint-dir"
        ) from None
    except OSError as e:
        raise TrainError(
            f"cannot use the checkpoint directory {directory!r} ({e.strerror or e}); {advice}"
        ) from None


def _train(args: argparse.Namespace, prog: str) -> int:
    from .. import CorruptCheckpointError, build_info
    from .loop import Interrupted, Trainer
    from .progress import ProgressBar

    t_start = time.perf_counter()
    config, dataset, opt_spec, loss_spec, resume_from = _resolve_config(args)
    trainer = Trainer(config, dataset, opt_spec, loss_spec)
    initial = {k: v.copy() for k, v in trainer.params.items()}

    def log(line: str) -> None:
        print(line, flush=True)

    manager = _open_manager(trainer.checkpoint, args.checkpoint_dir, args.max_to_keep)
    with manager:
        if resume_from is not None:
            try:
                path = manager.restore_or_initialize()
            except CorruptCheckpointError as e:
                raise TrainError(str(e).replace("\n", " ")) from None
            except (ValueError, TypeError) as e:
                raise TrainError(
                    f"--resume: {manager.latest_checkpoint} does not match this "
                    f"run ({e}); start a new run in another --checkpoint-dir"
                ) from None
            pos = trainer.position
            log(
                f"resuming {path}: epoch {pos['epoch'] + (pos['batch'] > 0)}/{config.epochs}"
                + (
                    f", step {pos['batch']}/{trainer.steps_per_epoch} of the epoch"
                    if pos["batch"]
                    else " (at its start)"
                    if pos["epoch"] < config.epochs
                    else " (finished)"
                )
            )
        else:
            latest = manager.latest_checkpoint
            if latest is not None:
                match = re.search(r"-(\d+)\.npz$", latest)
                assert match is not None  # the manager lists only its own numbered files
                number = int(match.group(1))
                trainer.checkpoint.save_counter = number
                log(
                    f"note: {args.checkpoint_dir} holds checkpoints of an earlier run (latest "
                    f"{os.path.basename(latest)}); starting a new run, whose checkpoints "
                    "follow them and replace them in turn (--resume continues the earlier run)"
                )
        info = build_info()
        log(f"data: {dataset.describe()}")
        log(
            f"model: MLP {'-'.join(map(str, trainer.sizes))}, "
            f"{sum(p.size for p in trainer.params.values()):,} float32 parameters; "
            f"loss: {loss_spec.name}; optimizer: {opt_spec.cls.__module__.split('.')[1]}."
            f"{opt_spec.cls.__name__}, learning rate {config.learning_rate:g}, "
            f"schedule {config.schedule}; batch {config.batch_size}, "
            f"{trainer.steps_per_epoch} steps per epoch; {info['isa']}, "
            f"{info['num_threads']} thread{'s' * (info['num_threads'] != 1)}"
        )
        bar = ProgressBar()
        try:
            trainer.run(manager, bar, log)
        except Interrupted as e:
            pos = trainer.position
            name = signal.Signals(e.signum).name
            print(
                f"{prog}: stopped by {name} at epoch {pos['epoch'] + 1}/{config.epochs}, step "
                f"{pos['batch']}/{trainer.steps_per_epoch} of the epoch; saved {e.path}. "
                f"Run the same command with --resume to continue.",
                file=sys.stderr,
            )
            return 128 + e.signum
        final = manager.latest_checkpoint
    _summary(trainer, initial, args, final, time.perf_counter() - t_start, log)
    return 0


def _summary(
    trainer: Any, initial: dict, args: argparse.Namespace, final: str, wall: float, log: Any
) -> None:
    from .compare import compare

    train = trainer.evaluate(trainer.data.x_train, trainer.data.y_train)
    held = trainer.evaluate(trainer.data.x_test, trainer.data.y_test)
    log("")
    if trainer.steps_run:
        log(
            f"trained {trainer.steps_run:,} steps in {trainer.step_seconds:.1f} s: "
            f"{1e3 * trainer.step_seconds / trainer.steps_run:.3f} ms per step "
            "(forward, loss, backward, update)"
        )
    if trainer.data.task == "classification":
        log(
            f"final accuracy: training {train['accuracy']:.4f}, held-out {held['accuracy']:.4f}"
            f" (loss {train['loss']:.4f} / {held['loss']:.4f})"
        )
    else:
        log(
            f"final loss: training {train['loss']:.4f}, held-out {held['loss']:.4f} "
            f"(R² {train['r2']:.4f} / {held['r2']:.4f}; targets standardised)"
        )
    log(f"final checkpoint: {final}")
    if args.compare_steps:
        c = compare(trainer, initial, args.compare_steps)
        log(
            f"\ntime per step, {c.optkern.steps} steps from the initial weights on the same "
            f"batches (constant learning rate):"
        )
        log(f"  {'':<26}{'optkern':>10}{'NumPy reference':>18}{'speed-up':>10}")
        r = c.reference
        for label, attr in (
            ("whole step", "step_ms"),
            ("loss + optimizer update", "loss_update_ms"),
        ):
            mine = getattr(c.optkern, attr)
            if r is None:
                log(f"  {label:<26}{mine:>8.3f}ms{'(none)':>18}")
            else:
                theirs = getattr(r, attr)
                log(f"  {label:<26}{mine:>8.3f}ms{theirs:>16.3f}ms{theirs / mine:>9.1f}x")
        if r is not None:
            log(
                f"  reference: {c.reference_name} and optkern.reference.losses."
                f"{trainer.loss_spec.class_name}; largest weight difference after "
                f"{c.optkern.steps} steps: {c.max_weight_difference:.2g}"
            )
    log(f"\ntotal {wall:.1f} s")
