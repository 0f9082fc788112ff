// Keras's KLDivergence (summed over the last axis) and Poisson (mean over the
// last axis), elementwise (see ElementwiseLoss). Derivatives with respect to
// ŷ; where Keras clips ŷ, the derivative is 0 strictly outside [ε, 1].
#pragma once

#include "optkern/losses/extra_math.hpp"
#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

// ȳ = clip(y, ε, 1), q = clip(ŷ, ε, 1); f = ȳ·log(ȳ/q);
// ∂f/∂ŷ = −ȳ/q for ε ≤ ŷ ≤ 1, 0 outside.
struct KLDivergence {
  static constexpr bool kSumOverLastAxis = true;
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V eps = splat<V>(k.eps), one = splat<V>(T(1));
    const V yc = vclip(y, eps, one), q = vclip(p, eps, one);
    const V ratio = yc / q;
    f = yc * vlog(ratio);
    df = (p < eps) | (p > one) ? V{} : -ratio;
  }
};

// f = ŷ − y·log(ŷ + ε) (no clipping, as Keras: ŷ < −ε gives NaN);
// ∂f/∂ŷ = 1 − y/(ŷ + ε).
struct Poisson {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V q = p + k.eps;
    f = p - y * vlog(q);
    df = T(1) - y / q;
  }
};

}  // namespace optkern::OPTKERN_TARGET
