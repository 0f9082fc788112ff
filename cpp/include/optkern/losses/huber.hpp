// Huber loss (Keras Huber(delta)): e = ŷ − y; f = ½e² where |e| ≤ δ, else
// δ|e| − ½δ²; ∂f/∂ŷ = e, or δ·sign(e); the mean over the last axis by
// ElementwiseLoss.
#pragma once

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

struct Huber {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V e = p - y;
    const V a = e < T(0) ? -e : e;
    const auto inside = a <= k.delta;
    f = inside ? T(0.5) * (e * e) : k.delta * a - k.half_delta_sq;
    df = inside ? e : (e < T(0) ? splat<V>(-k.delta) : splat<V>(k.delta));
  }
};

}  // namespace optkern::OPTKERN_TARGET
