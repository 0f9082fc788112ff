"""torch.optim optimizers in plain NumPy (reference for ``optkern.torch``).
Each takes a list of arrays and updates them in place.

Every step: ``g <- -g`` if maximize; weight decay as L2 (``g <- g + wd*p``) or,
when decoupled, ``p <- p*(1 - lr*wd)``; then the rule.
"""

from __future__ import annotations

import math

import numpy as np


class SGD:
    """torch SGD: ``b = g`` first, then ``b = b*mu + (1-tau)*g``;
    ``d = g + mu*b`` (Nesterov) or ``b``; ``p -= lr*d``."""

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov, self.maximize = weight_decay, nesterov, maximize
        self.buf = [None] * len(self.params)
        self.iterations = 0

    def step(self, grads):
        lr, mu, tau, wd = self.lr, self.momentum, self.dampening, self.weight_decay
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if self.maximize:
                g = -g
            if wd != 0:
                g = g + wd * p
            if mu != 0:
                if self.buf[i] is None:
                    self.buf[i] = g.copy()
                else:
                    self.buf[i][...] = self.buf[i] * mu + (1 - tau) * g
                d = g + mu * self.buf[i] if self.nesterov else self.buf[i]
            else:
                d = g
            p[...] = p - lr * d
        self.iterations += 1


class Adam:
    """torch Adam: ``m += (1-b1)*(g-m)``; ``v = v*b2 + (1-b2)*(g*g)``;
    ``p -= (lr/(1-b1^t)) * (m / (sqrt(v)/sqrt(1-b2^t) + eps))``."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad, self.maximize = weight_decay, amsgrad, maximize
        self.decoupled = decoupled_weight_decay
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.max_exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, (b1, b2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        t = self.iterations + 1
        step_size = lr / (1 - b1**t)
        bias_correction2_sqrt = math.sqrt(1 - b2**t)
        for p, g, m, v, v_max in zip(
            self.params, grads, self.exp_avg, self.exp_avg_sq, self.max_exp_avg_sq
        ):
            if self.maximize:
                g = -g
            if wd != 0:
                if self.decoupled:
                    p[...] = p * (1 - lr * wd)
                else:
                    g = g + wd * p
            m[...] = m + (1 - b1) * (g - m)
            v[...] = v * b2 + (1 - b2) * (g * g)
            v_used = v
            if self.amsgrad:
                v_max[...] = np.maximum(v_max, v)
                v_used = v_max
            denom = np.sqrt(v_used) / bias_correction2_sqrt + eps
            p[...] = p - step_size * (m / denom)
        self.iterations += 1


class AdamW(Adam):
    """torch AdamW: Adam with decoupled ``p *= 1 - lr*wd``, wd defaulting to 1e-2."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        maximize=False,
    ):
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay=True
        )


class RMSprop:
    """torch RMSprop: ``v = v*alpha + ((1-alpha)*g)*g``; centered:
    ``a += (1-alpha)*(g-a)``, ``D = sqrt(v - a*a) + eps``, else
    ``D = sqrt(v) + eps``; momentum: ``b = b*mu + g/D``, ``p -= lr*b``, else
    ``p -= lr*(g/D)``."""

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.momentum, self.centered, self.maximize = momentum, centered, maximize
        self.square_avg = [np.zeros_like(p) for p in self.params]
        self.momentum_buffer = [np.zeros_like(p) for p in self.params]
        self.grad_avg = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for p, g, v, b, a in zip(
            self.params, grads, self.square_avg, self.momentum_buffer, self.grad_avg
        ):
            if self.maximize:
                g = -g
            if wd != 0:
                g = g + wd * p
            v[...] = v * alpha + ((1 - alpha) * g) * g
            if self.centered:
                a[...] = a + (1 - alpha) * (g - a)
                denom = np.sqrt(v - a * a) + eps
            else:
                denom = np.sqrt(v) + eps
            if mu > 0:
                b[...] = b * mu + g / denom
                p[...] = p - lr * b
            else:
                p[...] = p - lr * (g / denom)


class NAdam:
    """torch NAdam: ``mu = b1*(1 - 0.5*0.96^(t*psi))``, ``mu_next`` likewise for t+1;
    per tensor ``mu_product = f32(mu_product * f32(mu))`` (a float32 scalar, starting
    at 1); ``m += (1-b1)*(g-m)``; ``v = v*b2 + (1-b2)*(g*g)``;
    ``d = sqrt(v/(1-b2^t)) + eps``; ``p += (c_g*g)/d``; ``p += (c_m*m)/d`` with
    ``c_g = -lr*(1-mu)/(1-mu_product)`` and
    ``c_m = -lr*mu_next/(1-mu_product*mu_next)``, both in double."""

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.momentum_decay = weight_decay, momentum_decay
        self.decoupled, self.maximize = decoupled_weight_decay, maximize
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.mu_product = [np.float32(1.0) for _ in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, (b1, b2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        t = float(self.iterations + 1)
        psi = self.momentum_decay
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * psi))
        bias_correction2 = 1.0 - b2**t
        for i, (p, g, m, v) in enumerate(zip(self.params, grads, self.exp_avg, self.exp_avg_sq)):
            if self.maximize:
                g = -g
            if wd != 0:
                if self.decoupled:
                    p[...] = p * (1 - lr * wd)
                else:
                    g = g + wd * p
            self.mu_product[i] = np.float32(self.mu_product[i] * np.float32(mu))
            product = float(self.mu_product[i])
            c_g = -lr * (1.0 - mu) / (1.0 - product)
            c_m = -lr * mu_next / (1.0 - product * mu_next)
            m[...] = m + (1 - b1) * (g - m)
            v[...] = v * b2 + (1 - b2) * (g * g)
            d = np.sqrt(v / bias_correction2) + eps
            p[...] = p + (c_g * g) / d
            p[...] = p + (c_m * m) / d
        self.iterations += 1


class Adamax:
    """torch Adamax: ``m += (1-b1)*(g-m)``; ``u = max(u*b2, |g|+eps)``;
    ``p -= (lr/(1-b1^t)) * (m/u)``."""

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.maximize = weight_decay, maximize
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_inf = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, (b1, b2), eps, wd = self.lr, self.betas, self.eps, self.weight_decay
        step_size = lr / (1 - b1 ** (self.iterations + 1))
        for p, g, m, u in zip(self.params, grads, self.exp_avg, self.exp_inf):
            if self.maximize:
                g = -g
            if wd != 0:
                g = g + wd * p
            m[...] = m + (1 - b1) * (g - m)
            u[...] = np.maximum(u * b2, np.abs(g) + eps)
            p[...] = p - step_size * (m / u)
        self.iterations += 1


class Lion:
    """Lion (the paper's and optax's rule; torch has none), torch conventions:
    ``p *= 1 - lr*wd`` (decoupled); ``p -= lr*sign(m*b1 + g*(1-b1))``;
    ``m = m*b2 + g*(1-b2)`` (``np.sign``: 0 at ±0, NaN at NaN)."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False):
        self.params = list(params)
        self.lr, self.betas, self.weight_decay, self.maximize = lr, betas, weight_decay, maximize
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, (b1, b2), wd = self.lr, self.betas, self.weight_decay
        for p, g, m in zip(self.params, grads, self.exp_avg):
            if self.maximize:
                g = -g
            if wd != 0:
                p[...] = p * (1 - lr * wd)
            p[...] = p - lr * np.sign(m * b1 + g * (1 - b1))
            m[...] = m * b2 + g * (1 - b2)
        self.iterations += 1


def _prepare(g, p, maximize, weight_decay):
    """torch's gradient head: ``g <- -g`` if maximize, then ``g <- g + wd*p``."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    return g


class Adagrad:
    """torch Adagrad: ``clr = lr/(1 + (t-1)*lr_decay)``; ``s += g*g`` (s starts at
    initial_accumulator_value); ``p -= (clr*g)/(sqrt(s) + eps)``."""

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        maximize=False,
    ):
        self.params = list(params)
        self.lr, self.lr_decay, self.weight_decay = lr, lr_decay, weight_decay
        self.eps, self.maximize = eps, maximize
        self.sum = [np.full_like(p, initial_accumulator_value) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        t = self.iterations + 1
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        for p, g, s in zip(self.params, grads, self.sum):
            g = _prepare(g, p, self.maximize, self.weight_decay)
            s[...] = s + g * g
            p[...] = p - (clr * g) / (np.sqrt(s) + self.eps)
        self.iterations += 1


class Adadelta:
    """torch Adadelta: ``a = a*rho + ((1-rho)*g)*g``;
    ``delta = (sqrt(d+eps)/sqrt(a+eps))*g``; ``d = d*rho + ((1-rho)*delta)*delta``;
    ``p -= lr*delta``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        self.params = list(params)
        self.lr, self.rho, self.eps = lr, rho, eps
        self.weight_decay, self.maximize = weight_decay, maximize
        self.square_avg = [np.zeros_like(p) for p in self.params]
        self.acc_delta = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, rho, eps = self.lr, self.rho, self.eps
        for p, g, a, d in zip(self.params, grads, self.square_avg, self.acc_delta):
            g = _prepare(g, p, self.maximize, self.weight_decay)
            a[...] = a * rho + ((1 - rho) * g) * g
            delta = (np.sqrt(d + eps) / np.sqrt(a + eps)) * g
            d[...] = d * rho + ((1 - rho) * delta) * delta
            p[...] = p - lr * delta
        self.iterations += 1
