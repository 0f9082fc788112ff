// Small vector helpers shared by the extra loss kernels (per-ISA namespace).
//
// All work on the native vector types of optkern/vmath.hpp with selects (no
// branches) and apply the same IEEE operations to each element whatever the
// width, so every ISA gives the same bits. Comparisons give lane masks;
// masks combine with | and &.
#pragma once

#include <cstddef>

#include "optkern/losses/kernel.hpp"
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

// σ(x) without overflow: 1/(1 + e^−|x|) for x ≥ 0, e^−|x|/(1 + e^−|x|) below.
template <class V>
OPTKERN_VINLINE V vsigmoid(V x) {
  using T = elem_t<V>;
  const V e = vexp(-vabs(x));
  const V r = T(1) / (T(1) + e);
  return x < T(0) ? e * r : r;
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

// Adds the products a·b of two vectors into eight double lanes, each product
// taken in double (element j into lane j mod 8, as DoubleLanes::add).
template <class V>
OPTKERN_VINLINE void add_products(DoubleLanes& acc, V a, V b) {
  constexpr std::size_t parts = sizeof(V) / sizeof(elem_t<V>) / simd<double>::W;
  for (std::size_t h = 0; h < parts; ++h) acc.add(part_in_double(a, h) * part_in_double(b, h));
}

}  // namespace optkern::OPTKERN_TARGET
