// Fused single-pass Adam / AdamW / AMSGrad update of one contiguous tensor.
//
// One read of p, g, m, v (and v̂) and one write of p, m, v (and v̂) per element.
// Operations are written in the order the reference applies them, without
// contraction (the build uses -ffp-contract=off), so every ISA and every thread
// count produces the same bits as optkern.reference.
#pragma once

#include <cstddef>

#include "optkern/options.hpp"
#include "optkern/target.hpp"

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, bool AMSGRAD, bool SCALED>
inline void adam_update_fixed(T* __restrict p, const T* __restrict g, T* __restrict m,
                              T* __restrict v, T* __restrict vmax, std::size_t n,
                              const AdamCoeffs<T>& k) {
  const T scale = k.grad_scale, clip = k.clip, decay = k.decay;
  const T omb1 = k.one_minus_beta1, beta2 = k.beta2, omb2 = k.one_minus_beta2;
  const T eps = k.eps, alpha = k.alpha, bc2 = k.bias_correction2_sqrt;
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    const T mi = m[i] + omb1 * (gi - m[i]);
    T vi;
    if constexpr (C == Convention::keras) {
      vi = v[i] + (gi * gi - v[i]) * omb2;
    } else {
      vi = v[i] * beta2 + omb2 * (gi * gi);
    }
    m[i] = mi;
    v[i] = vi;
    if constexpr (AMSGRAD) {
      vi = max_nan(vmax[i], vi);
      vmax[i] = vi;
    }
    if constexpr (C == Convention::keras) {
      pi = pi - (mi * alpha) / (sqrt_ieee(vi) + eps);
    } else {
      pi = pi - alpha * (mi / (sqrt_ieee(vi) / bc2 + eps));
    }
    p[i] = pi;
  }
}

template <class T, Convention C, WeightDecay WD>
inline void adam_update_wd(T* p, const T* g, T* m, T* v, T* vmax, std::size_t n,
                           const AdamCoeffs<T>& k) {
  const bool scaled = grad_is_scaled(k.grad_scale, k.clip);
  if (k.amsgrad) {
    if (scaled) return adam_update_fixed<T, C, WD, true, true>(p, g, m, v, vmax, n, k);
    return adam_update_fixed<T, C, WD, true, false>(p, g, m, v, vmax, n, k);
  }
  if (scaled) return adam_update_fixed<T, C, WD, false, true>(p, g, m, v, vmax, n, k);
  return adam_update_fixed<T, C, WD, false, false>(p, g, m, v, vmax, n, k);
}

template <class T, Convention C>
inline void adam_update_conv(T* p, const T* g, T* m, T* v, T* vmax, std::size_t n,
                             const AdamCoeffs<T>& k) {
  switch (k.weight_decay) {
    case WeightDecay::none: return adam_update_wd<T, C, WeightDecay::none>(p, g, m, v, vmax, n, k);
    case WeightDecay::l2: return adam_update_wd<T, C, WeightDecay::l2>(p, g, m, v, vmax, n, k);
    case WeightDecay::decoupled_keras:
      return adam_update_wd<T, C, WeightDecay::decoupled_keras>(p, g, m, v, vmax, n, k);
    case WeightDecay::decoupled_torch:
      return adam_update_wd<T, C, WeightDecay::decoupled_torch>(p, g, m, v, vmax, n, k);
  }
}

// Applies one Adam step to n elements in place. vmax may be null unless
// k.amsgrad. Keras: m ← m + (1−β1)(g−m); v ← v + (1−β2)(g²−v);
// p ← p − (m·α)/(√v + ε). Torch: v ← β2v + (1−β2)g²;
// p ← p − α·(m/(√v/√(1−β2ᵗ) + ε)).
template <class T>
inline void adam_update(T* p, const T* g, T* m, T* v, T* vmax, std::size_t n,
                        const AdamCoeffs<T>& k) {
  if (k.convention == Convention::keras)
    adam_update_conv<T, Convention::keras>(p, g, m, v, vmax, n, k);
  else
    adam_update_conv<T, Convention::torch>(p, g, m, v, vmax, n, k);
}

}  // namespace optkern::OPTKERN_TARGET
