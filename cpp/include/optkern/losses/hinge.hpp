// Keras's Hinge and SquaredHinge (elementwise, mean over the last axis) and
// CategoricalHinge (a whole row at a time).
//
// When every label of y_true is 0 or 1, Keras maps the labels to −1/+1
// (y' = 2y − 1) for Hinge and SquaredHinge; the caller decides that for the
// whole y_true and picks the kind (BINARY = true maps, false keeps y' = y).
// Derivatives with respect to ŷ are 0 at the kinks.
#pragma once

#include <cstddef>
#include <limits>

#include "optkern/losses/extra_math.hpp"
#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

template <bool BINARY, class V>
inline V hinge_label(V y) {
  using T = elem_t<V>;
  if constexpr (BINARY) return y * T(2) - T(1);
  return y;
}

// m = 1 − y'ŷ; f = max(m, 0); ∂f/∂ŷ = −y' where m > 0, else 0.
template <bool BINARY>
struct Hinge {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>&, V& f, V& df) {
    using T = elem_t<V>;
    const V ys = hinge_label<BINARY>(y);
    const V m = T(1) - ys * p;
    const V h = vmax_nan(m, V{});
    f = h;
    df = m > T(0) ? -ys : h * T(0);  // 0, or NaN where m is NaN
  }
};

// h = max(1 − y'ŷ, 0); f = h²; ∂f/∂ŷ = −2y'h.
template <bool BINARY>
struct SquaredHinge {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>&, V& f, V& df) {
    using T = elem_t<V>;
    const V ys = hinge_label<BINARY>(y);
    const V h = vmax_nan(T(1) - ys * p, V{});
    f = h * h;
    df = (ys * T(-2)) * h;
  }
};

// One row: pos = Σ y·ŷ (in double), neg = max_j (1 − y_j)·ŷ_j,
// L = max(neg − pos + 1, 0). Where L > 0: ∂L/∂ŷ_j = −y_j, plus (1 − y_k) at
// k, the first index attaining neg; 0 where L = 0 (labels used as given).
struct CategoricalHinge {
  template <class T>
  static double row(const T* y, const T* p, T* g, std::size_t d, double gscale,
                    const LossConstants<T>&) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const T ninf = -std::numeric_limits<T>::infinity();
    DoubleLanes pos;
    V negv = splat<V>(ninf);
    for (std::size_t j = 0; j < d; j += W) {
      const std::size_t n = d - j < W ? d - j : W;
      const V yv = n == W ? load(y + j) : load_partial(y + j, n, T(0));
      const V pv = n == W ? load(p + j) : load_partial(p + j, n, T(0));
      pos.add_products(yv, pv);
      const V cand = (T(1) - yv) * pv;
      negv = lanes_below<T>(n) ? vmax_nan(cand, negv) : negv;
    }
    T neg = ninf;
    for (std::size_t l = 0; l < W; ++l)
      neg = (negv[l] > neg) | (negv[l] != negv[l]) ? negv[l] : neg;
    const double m = (static_cast<double>(neg) - pos.sum()) + 1.0;
    const double L = (m > 0.0) | (m != m) ? m : 0.0;
    if (g) {
      // The first index attaining neg (a NaN product counts as attaining it).
      std::size_t k = 0;
      for (; k < d; ++k) {
        const T c = (T(1) - y[k]) * p[k];
        if (c == neg || c != c) break;
      }
      const T on = m > 0.0 ? static_cast<T>(gscale) : (m != m ? static_cast<T>(m) : T(0));
      for (std::size_t j = 0; j < d; j += W) {
        const std::size_t n = d - j < W ? d - j : W;
        const V yv = n == W ? load(y + j) : load_partial(y + j, n, T(0));
        const V gv = -(yv * on);
        if (n == W)
          store(g + j, gv);
        else
          store_partial(g + j, gv, n);
      }
      if (k < d) g[k] = g[k] + (T(1) - y[k]) * on;
    }
    return L;
  }
};

}  // namespace optkern::OPTKERN_TARGET
