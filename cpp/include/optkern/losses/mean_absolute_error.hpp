// Mean absolute error (Keras MeanAbsoluteError): e = ŷ − y, f = |e|,
// ∂f/∂ŷ = sign(e), 0 at e = 0; the mean over the last axis by ElementwiseLoss.
#pragma once

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

struct MeanAbsoluteError {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>&, V& f, V& df) {
    using T = elem_t<V>;
    const V e = p - y;
    f = e < T(0) ? -e : e;
    df = e > T(0) ? splat<V>(T(1)) : (e < T(0) ? splat<V>(T(-1)) : V{});
  }
};

}  // namespace optkern::OPTKERN_TARGET
