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

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
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

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
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
        for p, g, m, v, v_max in zip(self.params, grads, self.exp_avg, self.exp_avg_sq,
                                     self.max_exp_avg_sq):
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

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled_weight_decay=True)


class RMSprop:
    """torch RMSprop: ``v = v*alpha + ((1-alpha)*g)*g``; centered:
    ``a += (1-alpha)*(g-a)``, ``D = sqrt(v - a*a) + eps``, else
    ``D = sqrt(v) + eps``; momentum: ``b = b*mu + g/D``, ``p -= lr*b``, else
    ``p -= lr*(g/D)``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        self.params = list(params)
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.momentum, self.centered, self.maximize = momentum, centered, maximize
        self.square_avg = [np.zeros_like(p) for p in self.params]
        self.momentum_buffer = [np.zeros_like(p) for p in self.params]
        self.grad_avg = [np.zeros_like(p) for p in self.params]
        self.iterations = 0

    def step(self, grads):
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        for p, g, v, b, a in zip(self.params, grads, self.square_avg, self.momentum_buffer,
                                 self.grad_avg):
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
        self.iterations += 1
