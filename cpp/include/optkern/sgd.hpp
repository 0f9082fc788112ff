// Fused single-pass SGD update (plain, heavy-ball momentum, Nesterov) of one
// contiguous tensor, in the Keras or the torch form (see docs/optimizers.md).
#pragma once

#include <cstddef>

#include "optkern/options.hpp"
#include "optkern/target.hpp"

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, Momentum M, bool FIRST, bool SCALED>
inline void sgd_update_fixed(T* __restrict p, const T* __restrict g, T* __restrict b,
                             std::size_t n, const SgdCoeffs<T>& k) {
  const T scale = k.grad_scale, clip = k.clip, decay = k.decay;
  const T lr = k.lr, mu = k.momentum, omd = k.one_minus_dampening;
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    if constexpr (M == Momentum::none) {
      pi = pi - lr * gi;
    } else if constexpr (C == Convention::keras) {
      // m ← μm − ηg; p ← p + m, or p ← p + (μm − ηg) for Nesterov.
      const T bi = b[i] * mu - gi * lr;
      b[i] = bi;
      pi = (M == Momentum::nesterov) ? pi + (bi * mu - gi * lr) : pi + bi;
    } else {
      // b ← g on the first step, else b ← μb + (1−τ)g; d = g + μb or b; p ← p − ηd.
      const T bi = FIRST ? gi : b[i] * mu + omd * gi;
      b[i] = bi;
      const T d = (M == Momentum::nesterov) ? gi + mu * bi : bi;
      pi = pi - lr * d;
    }
    p[i] = pi;
  }
}

template <class T, Convention C, WeightDecay WD, bool SCALED>
inline void sgd_update_scaled(T* p, const T* g, T* b, std::size_t n, const SgdCoeffs<T>& k) {
  const bool first = C == Convention::torch && k.first_step;
  switch (k.momentum_kind) {
    case Momentum::none:
      return sgd_update_fixed<T, C, WD, Momentum::none, false, SCALED>(p, g, b, n, k);
    case Momentum::heavy_ball:
      if (first) return sgd_update_fixed<T, C, WD, Momentum::heavy_ball, true, SCALED>(p, g, b, n, k);
      return sgd_update_fixed<T, C, WD, Momentum::heavy_ball, false, SCALED>(p, g, b, n, k);
    case Momentum::nesterov:
      if (first) return sgd_update_fixed<T, C, WD, Momentum::nesterov, true, SCALED>(p, g, b, n, k);
      return sgd_update_fixed<T, C, WD, Momentum::nesterov, false, SCALED>(p, g, b, n, k);
  }
}

template <class T, Convention C, WeightDecay WD>
inline void sgd_update_wd(T* p, const T* g, T* b, std::size_t n, const SgdCoeffs<T>& k) {
  if (grad_is_scaled(k.grad_scale, k.clip)) return sgd_update_scaled<T, C, WD, true>(p, g, b, n, k);
  return sgd_update_scaled<T, C, WD, false>(p, g, b, n, k);
}

template <class T, Convention C>
inline void sgd_update_conv(T* p, const T* g, T* b, std::size_t n, const SgdCoeffs<T>& k) {
  switch (k.weight_decay) {
    case WeightDecay::none: return sgd_update_wd<T, C, WeightDecay::none>(p, g, b, n, k);
    case WeightDecay::l2: return sgd_update_wd<T, C, WeightDecay::l2>(p, g, b, n, k);
    case WeightDecay::decoupled_keras:
      return sgd_update_wd<T, C, WeightDecay::decoupled_keras>(p, g, b, n, k);
    case WeightDecay::decoupled_torch:
      return sgd_update_wd<T, C, WeightDecay::decoupled_torch>(p, g, b, n, k);
  }
}

// Applies one SGD step to n elements in place; b (the momentum buffer) may be
// null when k.momentum_kind is none.
template <class T>
inline void sgd_update(T* p, const T* g, T* b, std::size_t n, const SgdCoeffs<T>& k) {
  if (k.convention == Convention::keras)
    sgd_update_conv<T, Convention::keras>(p, g, b, n, k);
  else
    sgd_update_conv<T, Convention::torch>(p, g, b, n, k);
}

}  // namespace optkern::OPTKERN_TARGET
