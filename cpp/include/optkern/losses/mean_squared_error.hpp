// Mean squared error (Keras MeanSquaredError): e = ŷ − y, f = e², ∂f/∂ŷ = 2e;
// the mean over the last axis is taken by ElementwiseLoss.
#pragma once

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

struct MeanSquaredError {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>&, V& f, V& df) {
    const V e = p - y;
    f = e * e;
    df = e + e;
  }
};

}  // namespace optkern::OPTKERN_TARGET
