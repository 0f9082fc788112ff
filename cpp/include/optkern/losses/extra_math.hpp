// Small vector helpers shared by the extra loss kernels (per-ISA namespace).
//
// All work on the 64-byte vector types of optkern/vmath.hpp with selects
// (no branches), so every ISA evaluates the same IEEE operations in the same
// order. Comparisons give lane masks; masks combine with | and &.
#pragma once

#include "optkern/vmath.hpp"

namespace optkern::OPTKERN_TARGET {

template <class V>
inline V vabs(V x) {
  return x < elem_t<V>(0) ? -x : x;
}

// max(a, b) that propagates a NaN in a, like np.maximum(a, b) for a scalar b.
template <class V>
inline V vmax_nan(V a, V b) {
  return (a > b) | (a != a) ? a : b;
}

// clip(x, lo, hi) that lets NaN through, like np.clip.
template <class V>
inline V vclip(V x, V lo, V hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

// σ(x) without overflow: 1/(1 + e^−|x|) for x ≥ 0, e^−|x|/(1 + e^−|x|) below.
template <class V>
inline V vsigmoid(V x) {
  using T = elem_t<V>;
  const V e = vexp(-vabs(x));
  const V r = T(1) / (T(1) + e);
  return x < T(0) ? e * r : r;
}

// u^γ (returned) and γ·u^(γ−1) (in du) for u ≥ 0: exact products for the
// common γ = 2 (Keras's default), 1 and 0; exp(γ·log u) otherwise, which is 0
// at u = 0 for γ > 0 (and its derivative 0 for γ > 1, +inf for γ < 1).
template <class V>
inline V vfocal_power(V u, elem_t<V> gamma, V& du) {
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

// Adds Σ a·b of a vector pair into eight double lanes, each product in
// double (element j into lane j mod 8, as add_lanes).
inline void add_products(vd8& acc, vd8 a, vd8 b) { acc = acc + a * b; }
inline void add_products(vd8& acc, vf16 a, vf16 b) {
  const vd8 alo = __builtin_convertvector(__builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7), vd8);
  const vd8 ahi =
      __builtin_convertvector(__builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15), vd8);
  const vd8 blo = __builtin_convertvector(__builtin_shufflevector(b, b, 0, 1, 2, 3, 4, 5, 6, 7), vd8);
  const vd8 bhi =
      __builtin_convertvector(__builtin_shufflevector(b, b, 8, 9, 10, 11, 12, 13, 14, 15), vd8);
  acc = acc + alo * blo;
  acc = acc + ahi * bhi;
}

}  // namespace optkern::OPTKERN_TARGET
