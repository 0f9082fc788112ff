"""Keras 3 optimizers in plain NumPy (reference for ``optkern.SGD``, ``Adam``,
``AdamW``, ``RMSprop``, ``Adamax``, ``Lion``, ...). Each takes a list of
arrays and updates them in place.

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

    def __init__(self, params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm):
        self.params = list(params)
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clip = dict(clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm)
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

    def __init__(
        self,
        params,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
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

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
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

    def __init__(
        self,
        params,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(
            params,
            learning_rate,
            beta_1,
            beta_2,
            epsilon,
            amsgrad,
            weight_decay,
            clipnorm,
            clipvalue,
            global_clipnorm,
        )


class RMSprop(_Base):
    """Keras RMSprop: ``v = rho*v + (1-rho)*(g*g)``; centered:
    ``a = rho*a + (1-rho)*g``, ``D = sqrt((v - a*a) + eps)``, else
    ``D = sqrt(v + eps)``; ``d = (lr*g)/D``; momentum: ``b = mu*b + d``,
    ``p -= b``, else ``p -= d``."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
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


class Adamax(_Base):
    """Keras Adamax: ``m += (g-m)*(1-b1)``; ``u = max(u*b2, |g|)``;
    ``p -= (lr*m) / ((1-b1^t)*(u+eps))`` (``1-b1^t`` in double)."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m = [np.zeros_like(p) for p in self.params]
        self.u = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        bias_correction1 = 1 - b1 ** (self.iterations + 1)
        for p, g, m, u in zip(self.params, grads, self.m, self.u):
            m[...] = m + (g - m) * (1 - b1)
            u[...] = np.maximum(u * b2, np.abs(g))
            p[...] = p - (lr * m) / (bias_correction1 * (u + eps))


class Lion(_Base):
    """Keras Lion: ``p -= lr*sign(m*b1 + g*(1-b1))``, then ``m = m*b2 + g*(1-b2)``
    (``np.sign``: 0 at ±0, NaN at NaN)."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.99,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.m = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        b1, b2 = self.beta_1, self.beta_2
        for p, g, m in zip(self.params, grads, self.m):
            p[...] = p - lr * np.sign(m * b1 + g * (1 - b1))
            m[...] = m * b2 + g * (1 - b2)


class Nadam(_Base):
    """Keras Nadam: ``u_t = b1*(1 - 0.5*0.96^t)``, ``u_t1`` likewise for t+1;
    ``u_product *= u_t`` (one double scalar, starting at 1); ``m += (1-b1)*(g-m)``;
    ``v += (g*g-v)*(1-b2)``; ``c_m = lr*u_t1/(1 - u_product*u_t1)``,
    ``c_g = lr*(1-u_t)/(1 - u_product)``;
    ``p -= (m*c_m + g*c_g) / (sqrt(v/(1-b2^t)) + eps)``."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.u_product = 1.0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        b1, b2, eps = self.beta_1, self.beta_2, self.epsilon
        t = self.iterations + 1
        u_t = b1 * (1.0 - 0.5 * 0.96**t)
        u_t1 = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        self.u_product = self.u_product * u_t
        c_m = lr * u_t1 / (1.0 - self.u_product * u_t1)
        c_g = lr * (1.0 - u_t) / (1.0 - self.u_product)
        bias_correction2 = 1.0 - b2**t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m[...] = m + (1 - b1) * (g - m)
            v[...] = v + (g * g - v) * (1 - b2)
            d = np.sqrt(v / bias_correction2) + eps
            p[...] = p - (m * c_m + g * c_g) / d


class Adagrad(_Base):
    """Keras Adagrad: ``s += g*g`` (s starts at initial_accumulator_value);
    ``p -= (lr*g)/sqrt(s + eps)``."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.epsilon = epsilon
        self.accumulator = [np.full_like(p, initial_accumulator_value) for p in self.params]

    def _rule(self, grads, lr):
        for p, g, s in zip(self.params, grads, self.accumulator):
            s[...] = s + g * g
            p[...] = p - (lr * g) / np.sqrt(s + self.epsilon)


class Adadelta(_Base):
    """Keras Adadelta: ``a = rho*a + (1-rho)*(g*g)``;
    ``delta = -((sqrt(d+eps)*g)/sqrt(a+eps))``; ``d = rho*d + (1-rho)*(delta*delta)``;
    ``p += lr*delta``."""

    def __init__(
        self,
        params,
        learning_rate=0.001,
        rho=0.95,
        epsilon=1e-7,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
    ):
        super().__init__(params, learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.rho, self.epsilon = rho, epsilon
        self.accumulated_grad = [np.zeros_like(p) for p in self.params]
        self.accumulated_delta_var = [np.zeros_like(p) for p in self.params]

    def _rule(self, grads, lr):
        rho, eps = self.rho, self.epsilon
        for p, g, a, d in zip(
            self.params, grads, self.accumulated_grad, self.accumulated_delta_var
        ):
            a[...] = rho * a + (1 - rho) * (g * g)
            delta = -((np.sqrt(d + eps) * g) / np.sqrt(a + eps))
            d[...] = rho * d + (1 - rho) * (delta * delta)
            p[...] = p + lr * delta
