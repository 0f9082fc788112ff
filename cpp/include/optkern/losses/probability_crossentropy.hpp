// Categorical cross-entropies from probabilities (Keras CategoricalCrossentropy
// and SparseCategoricalCrossentropy with from_logits=False).
//
// Per row: S = Σŷ, q = ŷ/S (in T), q̂ = clip(q, ε, 1 − ε);
//   dense: L = −Σ y'·log q̂ (y' = y(1 − ls) + ls/K; 0 where y' = 0);
//   sparse: L = −log q̂[label].
// Gradient through the normalisation: with u_k = ∂L/∂q_k = −y'_k/q̂_k (0 where
// q was clipped) and t = Σ u_k·q_k, ∂L/∂ŷ_j = (u_j − t)/S. At a clip bound the
// log is that of the exact bound (log ε, log(1 − ε), taken in double).
#pragma once

#include <cstddef>

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

// Σ of a row in double lanes.
template <class T>
OPTKERN_VINLINE double row_sum(const T* p, std::size_t n) {
  constexpr std::size_t W = simd<T>::W;
  DoubleLanes acc;
  for (std::size_t j = 0; j < n; j += W) {
    const std::size_t m = n - j < W ? n - j : W;
    acc.add(m == W ? load(p + j) : load_partial(p + j, m, T(0)));
  }
  return acc.sum();
}

struct CategoricalCrossentropy {
  template <class T>
  static double row(const T* y, const T* p, T* g, std::size_t K, double gf,
                    const LossConstants<T>& k) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const T keep = k.smooth_keep;
    const T add = k.label_smoothing / static_cast<T>(K);
    const double S = row_sum(p, K);
    const T St = static_cast<T>(S);
    DoubleLanes lacc, tacc;
    for (std::size_t j = 0; j < K; j += W) {
      const std::size_t n = K - j < W ? K - j : W;
      V yv, q;
      terms(y + j, p + j, n, St, keep, add, k, yv, q);
      const auto clipped = (q < k.eps) | (q > k.one_minus_eps);
      V qc = q < k.eps ? splat<V>(k.eps) : q;
      qc = q > k.one_minus_eps ? splat<V>(k.one_minus_eps) : qc;
      V log_q = vlog(qc);
      log_q = q < k.eps ? splat<V>(k.log_lower) : log_q;
      log_q = q > k.one_minus_eps ? splat<V>(k.log_upper) : log_q;
      const V term = yv == T(0) ? V{} : yv * log_q;
      const V u = clipped ? V{} : -yv / qc;
      lacc.add(term);
      tacc.add(u * q);
    }
    if (g) {
      const T t = static_cast<T>(tacc.sum());
      const T scale = static_cast<T>(gf / S);
      for (std::size_t j = 0; j < K; j += W) {
        const std::size_t n = K - j < W ? K - j : W;
        V yv, q;
        terms(y + j, p + j, n, St, keep, add, k, yv, q);
        const auto clipped = (q < k.eps) | (q > k.one_minus_eps);
        const V u = clipped ? V{} : -yv / q;  // q is its own clip where not clipped
        const V gv = (u - t) * scale;
        if (n == W)
          store(g + j, gv);
        else
          store_partial(g + j, gv, n);
      }
    }
    return -lacc.sum();
  }

 private:
  // y' and q = ŷ/S of up to a vector's elements; y' = 0 past n.
  template <class T>
  static void terms(const T* y, const T* p, std::size_t n, T S, T keep, T add,
                    const LossConstants<T>&, vec_t<T>& yv, vec_t<T>& q) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    yv = (n == W ? load(y) : load_partial(y, n, T(0))) * keep + add;
    if (n < W) yv = lanes_below<T>(n) ? yv : V{};
    q = (n == W ? load(p) : load_partial(p, n, T(1))) / S;
  }
};

struct SparseCategoricalCrossentropy {
  template <class T>
  [[gnu::flatten]] static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const std::size_t K = c.in.cols;
    double total = 0.0;
    for (std::size_t r = r0; r < r1; ++r) {
      const T* p = c.in.y_pred + r * K;
      T* g = c.in.grad ? c.in.grad + r * K : nullptr;
      if (is_ignored(c, r)) {
        if (g) std::memset(g, 0, K * sizeof(T));
        total += record_row(c, r, 0.0, 0.0);
        continue;
      }
      const std::int64_t label = label_at(c.in, r);
      const double w = weight_at(c, r);
      const double S = row_sum(p, K);
      const T q = p[label] / static_cast<T>(S);
      const bool clipped = q < c.k.eps || q > c.k.one_minus_eps;
      const T qc = q < c.k.eps ? c.k.eps : (q > c.k.one_minus_eps ? c.k.one_minus_eps : q);
      const T log_q =
          q < c.k.eps ? c.k.log_lower : (q > c.k.one_minus_eps ? c.k.log_upper : log_scalar(qc));
      total += record_row(c, r, w, -static_cast<double>(log_q));
      if (g) {
        const T u = clipped ? T(0) : T(-1) / qc;
        const T t = u * q;
        const V gv = splat<V>(-t * static_cast<T>(grad_factor(c, w) / S));
        for (std::size_t j = 0; j < K; j += W) {
          const std::size_t n = K - j < W ? K - j : W;
          if (n == W)
            store(g + j, gv);
          else
            store_partial(g + j, gv, n);
        }
        g[label] = (u - t) * static_cast<T>(grad_factor(c, w) / S);
      }
    }
    return total;
  }
};

}  // namespace optkern::OPTKERN_TARGET
