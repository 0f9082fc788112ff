"""A plain NumPy model of the training controls (Keras 3 semantics) around
the optkern.reference optimizers, for the tests/test_controls_*.py files.

Per call, in this order: skip the call if asked and a grad is not finite;
with k = gradient_accumulation_steps, u = calls // k (else u = calls):
on an update call the grads are (g + a)/k, clipped, then the reference
optimizer runs with iterations = u (decay of the tensors not excluded, the
rule); other calls add g into a; then the EMA s = μs + (1 − μ)p with μ = 0
when u = 0, and p = s when (u + 1) % freq == 0; calls += 1.

clipnorm / global_clipnorm are applied here, not by the reference: the norm
comes from optkern's deterministic native sum (``_core.sum_squares``, the
same reduction the optimizers use, so the factor has the same bits), and the
grads are multiplied by the factor cast to their dtype, as the kernels do.
"""

from __future__ import annotations

import math

import numpy as np

from optkern import _core

CLIPS = ("clipnorm", "global_clipnorm")


def _scale(norm: float, clip: float) -> float:
    if norm != norm:
        return math.nan
    return clip / max(norm, clip)


class ControlsModel:
    def __init__(self, ref_cls, params, kwargs, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, gradient_accumulation_steps=None,
                 no_decay=None):
        self.params = list(params)
        kwargs = dict(kwargs)
        self.clip = {c: kwargs.pop(c) for c in CLIPS if c in kwargs}
        no_decay = no_decay or [False] * len(self.params)
        self.decayed = [i for i, x in enumerate(no_decay) if not x]
        self.excluded = [i for i, x in enumerate(no_decay) if x]
        self.refs = [(self.decayed, ref_cls([self.params[i] for i in self.decayed], **kwargs))]
        if self.excluded:
            plain = dict(kwargs)
            plain["weight_decay"] = 0.0
            self.refs.append((self.excluded,
                              ref_cls([self.params[i] for i in self.excluded], **plain)))
        self.use_ema, self.mu = use_ema, ema_momentum
        self.freq, self.k = ema_overwrite_frequency, gradient_accumulation_steps
        self.avg = [np.zeros_like(p) for p in self.params]
        self.acc = [np.zeros_like(p) for p in self.params]
        self.calls = 0
        self.skipped = 0

    def _clip(self, grads):
        if not self.clip:
            return grads
        labels = [str(i) for i in range(len(grads))]
        sums = _core.sum_squares(grads, labels)
        if "clipnorm" in self.clip:
            scales = [_scale(math.sqrt(s), self.clip["clipnorm"]) for s in sums]
        else:
            norm = math.sqrt(math.fsum(sums))
            s = _scale(norm, self.clip["global_clipnorm"]) if math.isfinite(norm) else math.nan
            scales = [s] * len(grads)
        return [g * g.dtype.type(s) for g, s in zip(grads, scales)]

    def step(self, grads, skip_nonfinite=False):
        if skip_nonfinite and not all(np.isfinite(g).all() for g in grads):
            self.skipped += 1
            return False
        k = self.k
        u = self.calls // k if k else self.calls
        update = not k or (self.calls + 1) % k == 0
        with np.errstate(all="ignore"):
            if k and update:
                grads = [(g + a) / k for g, a in zip(grads, self.acc)]
            if update:
                grads = self._clip(list(grads))
                for idx, ref in self.refs:
                    ref.iterations = u
                    ref.step([grads[i] for i in idx])
                if k:
                    for a in self.acc:
                        a[...] = 0
            else:
                for a, g in zip(self.acc, grads):
                    a[...] = a + g
            if self.use_ema:
                for p, s in zip(self.params, self.avg):
                    mu = p.dtype.type(self.mu if u != 0 else 0.0)
                    s[...] = mu * s + (p.dtype.type(1) - mu) * p
                if self.freq and (u + 1) % self.freq == 0:
                    for p, s in zip(self.params, self.avg):
                        p[...] = s
        self.calls += 1
        return True
