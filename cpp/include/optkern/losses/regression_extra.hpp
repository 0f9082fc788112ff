// Keras's regression losses beyond MSE, MAE and Huber: MeanAbsolutePercentageError,
// MeanSquaredLogarithmicError and LogCosh (elementwise, mean over the last
// axis, see ElementwiseLoss) and CosineSimilarity (a whole row at a time).
// Derivatives are taken with respect to ŷ; where Keras clips ŷ, the
// derivative is 0 strictly outside the kept interval.
#pragma once

#include <cstddef>
#include <cstring>

#include "optkern/losses/extra_math.hpp"
#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

// f = |y − ŷ|·s and ∂f/∂ŷ = sign(ŷ − y)·s with s = 100/max(|y|, ε); the
// derivative is 0 at ŷ = y (as MAE's).
struct MeanAbsolutePercentageError {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V den = vmax_nan(vabs(y), splat<V>(k.eps));
    const V e = y - p;
    // ±1; 0 where ŷ = y, NaN (from e·0) where either is NaN.
    const V sign = p > y ? splat<V>(T(1)) : (p < y ? splat<V>(T(-1)) : e * T(0));
    const V scale = T(100) / den;
    f = vabs(e) * scale;
    df = sign * scale;
  }
};

// a = log(max(ŷ, ε) + 1), b = log(max(y, ε) + 1) (taken as log1p); f = (a − b)²;
// ∂f/∂ŷ = 2(a − b)/(max(ŷ, ε) + 1) for ŷ ≥ ε, 0 for ŷ < ε.
struct MeanSquaredLogarithmicError {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V eps = splat<V>(k.eps);
    const V pc = vmax_nan(p, eps);
    const V diff = vlog1p(pc) - vlog1p(vmax_nan(y, eps));
    f = diff * diff;
    df = p < eps ? V{} : (diff + diff) / (pc + T(1));
  }
};

// x = ŷ − y; Keras's stable log cosh x = x + softplus(−2x) − log 2, evaluated
// as |x| + log1p(e^(−2|x|)) − log 2; ∂f/∂ŷ = tanh x = sign(x)(1 − t)/(1 + t),
// t = e^(−2|x|).
struct LogCosh {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>&, V& f, V& df) {
    using T = elem_t<V>;
    const V x = p - y;
    const V a = vabs(x);
    const V t = vexp(a * T(-2));
    const V th = (T(1) - t) / (T(1) + t);
    df = x < T(0) ? -th : th;
    f = (a + vlog1p(t)) - T(0.693147180559945309417232121458176568);
  }
};

// One row of d values: L = −Σ (y·a)(ŷ·b) with Keras's L2 normalisation
// a = min(1/√Σy², 1/ε), b = min(1/√Σŷ², 1/ε) (a zero row stays zero):
// L = −s·a·b, s = Σ y·ŷ, the three sums in double. Gradient (each element
// in double, rounded once):
// ∂L/∂ŷ_j = −a·b·y_j + a·s·b³·ŷ_j (exactly 0 for d = 1), and −a·b·y_j where
// ‖ŷ‖ < ε (b held at 1/ε).
struct CosineSimilarity {
  template <class T>
  static double row(const T* y, const T* p, T* g, std::size_t d, double gscale,
                    const LossConstants<T>& k) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    DoubleLanes syy, spp, syp;
    for (std::size_t j = 0; j < d; j += W) {
      const std::size_t n = d - j < W ? d - j : W;
      const V yv = n == W ? load(y + j) : load_partial(y + j, n, T(0));
      const V pv = n == W ? load(p + j) : load_partial(p + j, n, T(0));
      syy.add_products(yv, yv);
      spp.add_products(pv, pv);
      syp.add_products(yv, pv);
    }
    const double cap = 1.0 / static_cast<double>(k.eps);
    const double ra = 1.0 / sqrt_ieee(syy.sum());
    const double rb = 1.0 / sqrt_ieee(spp.sum());
    const double a = ra < cap ? ra : cap;
    const bool b_free = !(rb > cap);  // NaN passes through
    const double b = b_free ? rb : cap;
    const double s = syp.sum();
    if (g && d == 1 && b_free) {
      // A single element normalises to ±1: its gradient is exactly 0 (NaN
      // stays NaN), which the general form below gives only up to rounding.
      g[0] = p[0] * T(0);
    } else if (g) {
      // Each element in double, rounded once: the two terms cancel when ŷ is
      // parallel to y.
      const double cy = -((a * b) * gscale);
      const double cp = b_free ? ((a * s) * ((b * b) * b)) * gscale : 0.0;
      constexpr std::size_t DW = simd<double>::W;
      for (std::size_t j = 0; j < d; j += W) {
        const std::size_t n = d - j < W ? d - j : W;
        const V yv = n == W ? load(y + j) : load_partial(y + j, n, T(0));
        const V pv = n == W ? load(p + j) : load_partial(p + j, n, T(0));
        T out[W];
        for (std::size_t h = 0; h < W / DW; ++h) {
          const vd gd = part_in_double(yv, h) * cy + part_in_double(pv, h) * cp;
          if constexpr (sizeof(T) == sizeof(double)) {
            std::memcpy(out + h * DW, &gd, sizeof gd);
          } else {
            const vf_half gf = __builtin_convertvector(gd, vf_half);
            std::memcpy(out + h * DW, &gf, sizeof gf);
          }
        }
        std::memcpy(g + j, out, n * sizeof(T));
      }
    }
    return -((s * a) * b);
  }
};

}  // namespace optkern::OPTKERN_TARGET
