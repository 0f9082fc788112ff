"""Keras 3 optimizers in plain NumPy (reference for ``optkern.SGD``, ``Adam``,
``AdamW``, ``RMSprop``). Each takes a list of arrays and updates them in place.

Every step: clip the grads; if ``weight_decay``: ``p <- p - p*(lr*wd)``; apply
the rule; ``iterations += 1``. Python-float scalars meet float32 arrays as
float32 (NumPy's NEP 50), just as the kernels cast their double scalars.
"""

from __future__ import annotations

import math

import numpy as np

from .clipping import keras_clip


class _Base:
    """Shared Keras step: clip, decoupled weight decay, rule, iterations += 1."""

    def __init__(self, params, learning_rate, weight_decay, clipnorm, clipvalue,
                 global_clipnorm):
        self.params = list(params)
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clip = dict(clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm)
        self.iterations = 0

    def _lr(self):
        lr = self.learning_rate
        return float(lr(self.iterations)) if callable(lr) else float(lr)

    def step(self, grads):
        grads = keras_clip(grads, **self.clip)
        lr = self._lr()
        if self.weight_decay:
            for p in self.params:
                p[...] = p - p * (lr * self.weight_decay)
        self._rule(grads, lr)
        self.iterations += 1


class SGD(_Base):
    """Keras SGD: ``p -= lr*g``; momentum: ``m = m*mu - g*lr``, ``p += m`` or,
    Nesterov, ``p += m*mu - g*lr``."""

    def __init__(self, params, learning_rate=0.01, momentum=0.0, nesterov=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue,
                         global_clipnorm)
        self.momentum, self.nesterov = momentum, nesterov
        self.m = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        mu = self.momentum
        for p, g, m in zip(self.params, grads, self.m):
            if mu == 0:
                p[...] = p - lr * g
                continue
            m[...] = m * mu - g * lr
            if self.nesterov:
                p[...] = p + (m * mu - g * lr)
            else:
                p[...] = p + m


class Adam(_Base):
    """Keras Adam: ``m += (1-b1)*(g-m)``; ``v += (g*g-v)*(1-b2)``;
    ``alpha = lr*sqrt(1-b2^t)/(1-b1^t)``; ``p -= (m*alpha)/(sqrt(v)+eps)``
    (``v_hat = max(v_hat, v)`` replaces v with amsgrad)."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue,
                         global_clipnorm)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.v_hat = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        for p, g, m, v, v_hat in zip(self.params, grads, self.m, self.v, self.v_hat):
            m[...] = m + (1 - b1) * (g - m)
            v[...] = v + (g * g - v) * (1 - b2)
            v_used = v
            if self.amsgrad:
                v_hat[...] = np.maximum(v_hat, v)
                v_used = v_hat
            p[...] = p - (m * alpha) / (np.sqrt(v_used) + eps)


class AdamW(Adam):
    """Keras AdamW: Adam with ``weight_decay`` defaulting to 0.004."""

    def __init__(self, params, learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None):
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay,
                         clipnorm, clipvalue, global_clipnorm)


class RMSprop(_Base):
    """Keras RMSprop: ``v = rho*v + (1-rho)*(g*g)``; centered:
    ``a = rho*a + (1-rho)*g``, ``D = sqrt((v - a*a) + eps)``, else
    ``D = sqrt(v + eps)``; ``d = (lr*g)/D``; momentum: ``b = mu*b + d``,
    ``p -= b``, else ``p -= d``."""

    def __init__(self, params, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue,
                         global_clipnorm)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self.v = [np.zeros_like(p) for p in self.params]
        self.b = [np.zeros_like(p) for p in self.params]
        self.a = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        rho, mu, eps = self.rho, self.momentum, self.epsilon
        for p, g, v, b, a in zip(self.params, grads, self.v, self.b, self.a):
            v[...] = rho * v + (1 - rho) * (g * g)
            if self.centered:
                a[...] = rho * a + (1 - rho) * g
                denom = (v - a * a) + eps
            else:
                denom = v + eps
            delta = (lr * g) / np.sqrt(denom)
            if mu > 0:
                b[...] = mu * b + delta
                p[...] = p - b
            else:
                p[...] = p - delta
