// Small vector helpers shared by the extra loss kernels (per-ISA namespace).
//
// All work on the native vector types of optkern/vmath.hpp with selects (no
// branches) and apply the same IEEE operations to each element whatever the
// width, so every ISA gives the same bits. Comparisons give lane masks;
// masks combine with | and &.
#pragma once

#include <cstddef>

#include "optkern/vmath.hpp"

namespace optkern::OPTKERN_TARGET {

template <class V>
OPTKERN_VINLINE V vabs(V x) {
  return x < elem_t<V>(0) ? -x : x;
}

// max(a, b) that propagates a NaN in a, like np.maximum(a, b) for a scalar b.
template <class V>
OPTKERN_VINLINE V vmax_nan(V a, V b) {
  return (a > b) | (a != a) ? a : b;
}

// clip(x, lo, hi) that lets NaN through, like np.clip.
template <class V>
OPTKERN_VINLINE V vclip(V x, V lo, V hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// u^γ (returned) and γ·u^(γ−1) (in du) for u ≥ 0: exact products for the
// common γ = 2 (Keras's default), 1 and 0; exp(γ·log u) otherwise, which is 0
// at u = 0 for γ > 0 (and its derivative 0 for γ > 1, +inf for γ < 1).
template <class V>
OPTKERN_VINLINE V vfocal_power(V u, elem_t<V> gamma, V& du) {
  using T = elem_t<V>;
  if (gamma == T(2)) {
    du = u + u;
    return u * u;
  }
  if (gamma == T(1)) {
    du = splat<V>(T(1));
    return u;
  }
  if (gamma == T(0)) {
    du = V{};
    return splat<V>(T(1));
  }
  const V lu = vlog(u);
  du = vexp(lu * (gamma - T(1))) * gamma;
  return vexp(lu * gamma);
}

}  // namespace optkern::OPTKERN_TARGET
