// What a loss kernel receives, and the two generic kernels most losses use.
//
// A kernel is a struct with
//   template <class T> static double rows(const LossCall<T>& c,
//                                         std::size_t r0, std::size_t r1);
// that, for rows r0..r1-1 (r1 − r0 is a multiple of 16 except in the last
// piece), computes each row's loss L_r in double, writes c.in.per_sample[r] =
// w_r·L_r (when given) and c.in.grad (when given) = w_r/divisor · ∂L_r/∂ŷ
// (grad_factor), reads every y_pred element of a row before writing any of
// its gradient (grad may be y_pred), and returns Σ w_r·L_r added in row
// order. weight_at gives w_r with the ignore_class mask folded in.
//
// ElementwiseLoss<F>: L_r = mean (or, with F::kSumOverLastAxis, sum) over the
// last axis of F::eval's f(y, ŷ). RowwiseLoss<F>: L_r = F::row(...) for one row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "optkern/losses.hpp"
#include "optkern/losses/call.hpp"
#include "optkern/vmath.hpp"

namespace optkern::OPTKERN_TARGET {

template <class T>
inline std::int64_t label_at(const LossInput<T>& in, std::size_t r) {
  return in.label_bytes == 8 ? static_cast<const std::int64_t*>(in.labels)[r]
                             : static_cast<const std::int32_t*>(in.labels)[r];
}

template <class T>
inline bool is_ignored(const LossCall<T>& c, std::size_t r) {
  return c.masked && label_at(c.in, r) == c.ignore_class;
}

// w_r: the sample weight (1 when none), 0 for a row ignore_class masks.
template <class T>
inline double weight_at(const LossCall<T>& c, std::size_t r) {
  if (is_ignored(c, r)) return 0.0;
  return c.in.sample_weight ? static_cast<double>(c.in.sample_weight[r * c.in.weight_stride])
                            : 1.0;
}

// The factor of row r's gradient: w_r / divisor (0 for a zero divisor).
template <class T>
inline double grad_factor(const LossCall<T>& c, double w) {
  return c.divisor > 0 ? w / c.divisor : 0.0;
}

// Stores row r's weighted loss and returns it for the piece's sum.
template <class T>
inline double record_row(const LossCall<T>& c, std::size_t r, double w, double L) {
  const double wl = w == 1.0 ? L : w * L;
  if (c.in.per_sample) c.in.per_sample[r] = static_cast<T>(wl);
  return wl;
}

// ---- vector helpers ---------------------------------------------------------
template <class T>
using vec_t = typename simd<T>::V;

// n < W elements into a vector whose other lanes hold `pad`.
template <class T>
inline vec_t<T> load_partial(const T* p, std::size_t n, T pad) {
  vec_t<T> v = splat<vec_t<T>>(pad);
  std::memcpy(&v, p, n * sizeof(T));
  return v;
}

template <class T>
inline vec_t<T> load(const T* p) {
  vec_t<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
inline void store(T* p, vec_t<T> v) {
  std::memcpy(p, &v, sizeof v);
}

template <class T>
inline void store_partial(T* p, vec_t<T> v, std::size_t n) {
  std::memcpy(p, &v, n * sizeof(T));
}

// Lanes j < n set, for a vector's first n elements.
template <class T>
inline typename simd<T>::I lanes_below(std::size_t n) {
  using I = typename simd<T>::I;
  I idx;
  for (std::size_t j = 0; j < simd<T>::W; ++j) idx[j] = static_cast<typename simd<T>::Bits>(j);
  return idx < static_cast<typename simd<T>::Bits>(n);
}

// Adds a vector of T into eight double lanes: element j into lane j mod 8.
inline void add_lanes(vd8& acc, vd8 v) { acc = acc + v; }
inline void add_lanes(vd8& acc, vf16 v) {
  typedef float vf8 __attribute__((vector_size(32)));
  const vf8 lo = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  const vf8 hi = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  acc = acc + __builtin_convertvector(lo, vd8);
  acc = acc + __builtin_convertvector(hi, vd8);
}

// Lane h·8 .. h·8+7 of a vector, in double (h = 0 only for double).
inline vd8 half_in_double(vf16 v, int h) {
  typedef float vf8 __attribute__((vector_size(32)));
  const vf8 part = h == 0 ? __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
                          : __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  return __builtin_convertvector(part, vd8);
}
inline vd8 half_in_double(vd8 v, int) { return v; }

// The largest lane (NaN lanes may be skipped: a NaN row gives NaN anyway).
template <class V>
inline elem_t<V> max_lane(V v) {
  elem_t<V> m = v[0];
  for (std::size_t j = 1; j < sizeof(V) / sizeof(m); ++j) m = v[j] > m ? v[j] : m;
  return m;
}

template <class V>
inline V max_v(V a, V b) {
  return a > b ? a : b;
}

// The eight lanes' sum, in a fixed tree.
inline double sum_lanes(vd8 l) {
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

// ---- elementwise losses -----------------------------------------------------
template <class F, class = void>
struct sums_over_last_axis {
  static constexpr bool value = false;
};
template <class F>
struct sums_over_last_axis<F, std::void_t<decltype(F::kSumOverLastAxis)>> {
  static constexpr bool value = F::kSumOverLastAxis;
};

template <class F>
struct ElementwiseLoss {
  template <class T>
  static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    if (c.in.grad) return run<T, true>(c, r0, r1);
    return run<T, false>(c, r0, r1);
  }

 private:
  static constexpr bool kSum = sums_over_last_axis<F>::value;

  static double mean_or_sum(double s, std::size_t d) {
    return kSum ? s : s / static_cast<double>(d);
  }

  // Rows of at least one vector: each row in vectors, its sum in 8 lanes.
  template <class T, bool GRAD>
  static double run(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const std::size_t d = c.in.cols;
    if (d < W) return run_short<T, GRAD>(c, r0, r1);
    double total = 0.0;
    for (std::size_t r = r0; r < r1; ++r) {
      const T* y = c.in.y_true + r * d;
      const T* p = c.in.y_pred + r * d;
      T* g = GRAD ? c.in.grad + r * d : nullptr;
      const double w = weight_at(c, r);
      const T gs = static_cast<T>(kSum ? grad_factor(c, w) : grad_factor(c, w) / d);
      vd8 acc{};
      std::size_t j = 0;
      for (; j + W <= d; j += W) {
        V f, df;
        F::eval(load(y + j), load(p + j), c.k, f, df);
        if constexpr (GRAD) store(g + j, df * gs);
        add_lanes(acc, f);
      }
      if (j < d) {
        const std::size_t n = d - j;
        V f, df;
        F::eval(load_partial(y + j, n, T(0)), load_partial(p + j, n, T(0)), c.k, f, df);
        if constexpr (GRAD) store_partial(g + j, df * gs, n);
        add_lanes(acc, lanes_below<T>(n) ? f : V{});
      }
      total += record_row(c, r, w, mean_or_sum(sum_lanes(acc), d));
    }
    return total;
  }

  // Rows shorter than a vector: blocks of rows in vectors across row
  // boundaries, each row's sum in order from a buffer.
  template <class T, bool GRAD>
  static double run_short(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    constexpr std::size_t kBlock = 1024;
    const std::size_t d = c.in.cols;
    alignas(64) T fb[kBlock + W], dfb[kBlock + W];
    const std::size_t block_rows = d == 0 ? r1 - r0 : kBlock / d;
    double total = 0.0;
    for (std::size_t b = r0; b < r1; b += block_rows) {
      const std::size_t nb = r1 - b < block_rows ? r1 - b : block_rows;
      const std::size_t n = nb * d;
      const T* y = c.in.y_true + b * d;
      const T* p = c.in.y_pred + b * d;
      for (std::size_t j = 0; j < n; j += W) {
        const std::size_t m = n - j < W ? n - j : W;
        V f, df;
        F::eval(load_partial(y + j, m, T(0)), load_partial(p + j, m, T(0)), c.k, f, df);
        store(fb + j, f);
        if constexpr (GRAD) store(dfb + j, df);
      }
      for (std::size_t i = 0; i < nb; ++i) {
        const std::size_t r = b + i;
        const double w = weight_at(c, r);
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(fb[i * d + j]);
        if constexpr (GRAD) {
          const T gs = static_cast<T>(kSum ? grad_factor(c, w) : grad_factor(c, w) / d);
          T* g = c.in.grad + r * d;
          for (std::size_t j = 0; j < d; ++j) g[j] = dfb[i * d + j] * gs;
        }
        total += record_row(c, r, w, mean_or_sum(s, d));
      }
    }
    return total;
  }
};

// ---- losses computed a row at a time ----------------------------------------
// F::row(y, p, g, n, gf, k) returns the row's loss L in double and, when g is
// not null, writes g[j] = gf·∂L/∂p[j] (gf in double) after reading all of p
// that it still needs (g may be p).
template <class F>
struct RowwiseLoss {
  template <class T>
  static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    const std::size_t d = c.in.cols;
    double total = 0.0;
    for (std::size_t r = r0; r < r1; ++r) {
      const double w = weight_at(c, r);
      T* g = c.in.grad ? c.in.grad + r * d : nullptr;
      const double L =
          F::row(c.in.y_true + r * d, c.in.y_pred + r * d, g, d, grad_factor(c, w), c.k);
      total += record_row(c, r, w, L);
    }
    return total;
  }
};

}  // namespace optkern::OPTKERN_TARGET
