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
// Kernels are [[gnu::flatten]]: everything they call is inlined, so the
// 64-byte vectors stay in registers. A loss's own rows() should be too.
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

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define OPTKERN_LOSS_STREAMING 1
#else
#define OPTKERN_LOSS_STREAMING 0
#endif

namespace optkern::OPTKERN_TARGET {

template <class T>
OPTKERN_VINLINE std::int64_t label_at(const LossInput<T>& in, std::size_t r) {
  return in.label_bytes == 8 ? static_cast<const std::int64_t*>(in.labels)[r]
                             : static_cast<const std::int32_t*>(in.labels)[r];
}

template <class T>
OPTKERN_VINLINE bool is_ignored(const LossCall<T>& c, std::size_t r) {
  return c.masked && label_at(c.in, r) == c.ignore_class;
}

// w_r: the sample weight (1 when none), 0 for a row ignore_class masks.
template <class T>
OPTKERN_VINLINE double weight_at(const LossCall<T>& c, std::size_t r) {
  if (is_ignored(c, r)) return 0.0;
  return c.in.sample_weight ? static_cast<double>(c.in.sample_weight[r * c.in.weight_stride]) : 1.0;
}

// The factor of row r's gradient: w_r / divisor (0 for a zero divisor).
template <class T>
OPTKERN_VINLINE double grad_factor(const LossCall<T>& c, double w) {
  return c.divisor > 0 ? w / c.divisor : 0.0;
}

// Stores row r's weighted loss and returns it for the piece's sum. A zero
// weight removes the row even when its loss is infinite.
template <class T>
OPTKERN_VINLINE double record_row(const LossCall<T>& c, std::size_t r, double w, double L) {
  const double wl = w == 1.0 ? L : (w == 0.0 ? 0.0 : w * L);
  if (c.in.per_sample) c.in.per_sample[r] = static_cast<T>(wl);
  return wl;
}

// ---- vector helpers ---------------------------------------------------------
template <class T>
using vec_t = typename simd<T>::V;

// n < W elements into a vector whose other lanes hold `pad`.
// (AVX-512: one masked load or store, rather than a copy through the stack.)
template <class T>
OPTKERN_VINLINE vec_t<T> load_partial(const T* p, std::size_t n, T pad) {
  vec_t<T> v = splat<vec_t<T>>(pad);
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    return (vec_t<T>)_mm512_mask_loadu_ps((__m512)v, static_cast<__mmask16>((1u << n) - 1), p);
  } else {
    return (vec_t<T>)_mm512_mask_loadu_pd((__m512d)v, static_cast<__mmask8>((1u << n) - 1), p);
  }
#endif
  std::memcpy(&v, p, n * sizeof(T));
  return v;
}

template <class T>
OPTKERN_VINLINE vec_t<T> load(const T* p) {
  vec_t<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
OPTKERN_VINLINE void store(T* p, vec_t<T> v) {
  std::memcpy(p, &v, sizeof v);
}

template <class T>
OPTKERN_VINLINE void store_partial(T* p, vec_t<T> v, std::size_t n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), (__m512)v);
  } else {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), (__m512d)v);
  }
  return;
#endif
  std::memcpy(p, &v, n * sizeof(T));
}

// Lanes j < n set, for a vector's first n elements.
template <class T>
OPTKERN_VINLINE typename simd<T>::I lanes_below(std::size_t n) {
  using I = typename simd<T>::I;
  I idx;
  for (std::size_t j = 0; j < simd<T>::W; ++j) idx[j] = static_cast<typename simd<T>::Bits>(j);
  return idx < static_cast<typename simd<T>::Bits>(n);
}

// Part h of a vector in double: lanes h·DW .. h·DW+DW−1 (DW doubles per
// native vector; a float vector has two parts, a double vector one).
OPTKERN_VINLINE vd part_in_double(vf v, std::size_t h) {
#if OPTKERN_VECTOR_BYTES == 64
  // One vcvtps2pd of a 256-bit half (GCC lowers the generic form below
  // through four 128-bit conversions and inserts).
  const __m512d bits = (__m512d)v;
  const __m256 half =
      h == 0 ? _mm512_castps512_ps256((__m512)v) : (__m256)_mm512_extractf64x4_pd(bits, 1);
  return (vd)_mm512_cvtps_pd(half);
#elif OPTKERN_VECTOR_BYTES == 32
  const __m128 half =
      h == 0 ? _mm256_castps256_ps128((__m256)v) : _mm256_extractf128_ps((__m256)v, 1);
  return (vd)_mm256_cvtps_pd(half);
#else
  const vf_half half =
      h == 0 ? __builtin_shufflevector(v, v, 0, 1) : __builtin_shufflevector(v, v, 2, 3);
  return __builtin_convertvector(half, vd);
#endif
}
OPTKERN_VINLINE vd part_in_double(vd v, std::size_t) { return v; }

// L double lanes (8 or 16) that vectors of a row add into, element j into
// lane j mod L (vectors added in order from j = 0), summed in a fixed tree
// (pairwise halves): the same additions in the same order whatever the native
// width. Every sum over a row uses one (declare `DoubleLanes acc;`, then
// acc.add(v), acc.add_products(a, b), acc.sum()). The softmax sums use 16
// lanes, so that consecutive additions on AVX-512 go to two registers rather
// than one chain.
template <std::size_t L>
struct DoubleLanesOf {
  static constexpr std::size_t DW = simd<double>::W;  // doubles per vector
  static constexpr std::size_t NV = L / DW;           // vectors holding the L lanes
  vd v[NV] = {};
  std::size_t rot = 0;  // v[k] holds lane group (k + rot) mod NV

  // Adds x's elements (the next W of the row).
  template <class V>
  OPTKERN_VINLINE void add(V x) {
    constexpr std::size_t parts = sizeof(V) / sizeof(elem_t<V>) / DW;
    for (std::size_t h = 0; h < parts; ++h) accumulate(part_in_double(x, h));
  }

  // Adds the products a·b, each formed in double.
  template <class V>
  OPTKERN_VINLINE void add_products(V a, V b) {
    constexpr std::size_t parts = sizeof(V) / sizeof(elem_t<V>) / DW;
    for (std::size_t h = 0; h < parts; ++h) accumulate(part_in_double(a, h) * part_in_double(b, h));
  }

  // Adds DW doubles into the current lane group; the next group moves to v[0].
  OPTKERN_VINLINE void accumulate(vd x) {
    v[0] = v[0] + x;
    if constexpr (NV > 1) {
      const vd first = v[0];
      for (std::size_t k = 0; k + 1 < NV; ++k) v[k] = v[k + 1];
      v[NV - 1] = first;
      rot = (rot + 1) % NV;
    }
  }

  OPTKERN_VINLINE double sum() const {
    double l[L];
    for (std::size_t g = 0; g < NV; ++g)
      for (std::size_t j = 0; j < DW; ++j) l[g * DW + j] = v[(g + NV - rot) % NV][j];
    return tree<L>(l);
  }

 private:
  template <std::size_t N>
  static OPTKERN_VINLINE double tree(const double* l) {
    if constexpr (N == 1) {
      return l[0];
    } else {
      return tree<N / 2>(l) + tree<N / 2>(l + N / 2);
    }
  }
};
using DoubleLanes = DoubleLanesOf<8>;

// The largest lane (NaN lanes may be skipped: a NaN row gives NaN anyway).
template <class V>
OPTKERN_VINLINE elem_t<V> max_lane(V v) {
  elem_t<V> m = v[0];
  for (std::size_t j = 1; j < sizeof(V) / sizeof(m); ++j) m = v[j] > m ? v[j] : m;
  return m;
}

template <class V>
OPTKERN_VINLINE V max_v(V a, V b) {
  return a > b ? a : b;
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

// ---- streaming stores ---------------------------------------------------------
// A gradient much larger than the last-level cache is written with
// non-temporal stores, 16 bytes at a time (NumPy's large arrays are 16-byte
// aligned, rarely 64): the lines are written without first being read, which
// saves a third of an elementwise loss's memory traffic. Such stores are
// weakly ordered, so a kernel piece that made them ends with a store fence
// before it returns (and before any thread's barrier). Only the way the bytes
// reach memory changes, never their values.
inline constexpr std::size_t kStreamMinBytes = std::size_t{32} << 20;

template <class T>
OPTKERN_VINLINE bool streams_grad(const LossCall<T>& c) {
  const std::size_t bytes = c.in.rows * c.in.cols * sizeof(T);
  return OPTKERN_LOSS_STREAMING && bytes >= kStreamMinBytes &&
         reinterpret_cast<std::uintptr_t>(c.in.grad) % 16 == 0 && c.in.cols * sizeof(T) % 16 == 0 &&
         sizeof(vec_t<T>) % 16 == 0;
}

template <bool STREAM, class T, class V>
OPTKERN_VINLINE void store_grad(T* p, V v) {
#if OPTKERN_LOSS_STREAMING
  if constexpr (STREAM) {
    for (std::size_t q = 0; q < sizeof(V) / 16; ++q) {
      __m128 part;
      std::memcpy(&part, reinterpret_cast<const char*>(&v) + 16 * q, 16);
      _mm_stream_ps(reinterpret_cast<float*>(p) + 4 * q, part);
    }
    return;
  }
#endif
  store(p, v);
}

// One native vector to 64-byte-aligned p (alignment of the vector's own width
// suffices), non-temporal.
template <class T, class V>
OPTKERN_VINLINE void stream_store(T* p, V v) {
#if OPTKERN_LOSS_STREAMING
#if OPTKERN_VECTOR_BYTES == 64
  _mm512_stream_ps(reinterpret_cast<float*>(p), (__m512)v);
#elif OPTKERN_VECTOR_BYTES == 32
  _mm256_stream_ps(reinterpret_cast<float*>(p), (__m256)v);
#else
  _mm_stream_ps(reinterpret_cast<float*>(p), (__m128)v);
#endif
#else
  store(p, v);
#endif
}

OPTKERN_VINLINE void stream_fence() {
#if OPTKERN_LOSS_STREAMING
  _mm_sfence();
#endif
}

template <class F>
struct ElementwiseLoss {
  template <class T>
  static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    if (!c.in.grad) return run<T, false, false>(c, r0, r1);
    if (!streams_grad(c)) return run<T, true, false>(c, r0, r1);
    const double total = run<T, true, true>(c, r0, r1);
    stream_fence();
    return total;
  }

 private:
  static constexpr bool kSum = sums_over_last_axis<F>::value;
  // Rows this long are summed in eight lanes, shorter ones in order (the
  // same choice on every ISA).
  static constexpr std::size_t kLongRow = 16;

  static double mean_or_sum(double s, std::size_t d) {
    return kSum ? s : s / static_cast<double>(d);
  }

  // Rows of at least one vector: each row in vectors, its sum in 8 lanes.
  template <class T, bool GRAD, bool STREAM>
  [[gnu::flatten]] static double run(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const std::size_t d = c.in.cols;
    if (d < kLongRow) return run_short<T, GRAD>(c, r0, r1);
    static_assert(!STREAM || GRAD);
    double total = 0.0;
    for (std::size_t r = r0; r < r1; ++r) {
      const T* y = c.in.y_true + r * d;
      const T* p = c.in.y_pred + r * d;
      T* g = GRAD ? c.in.grad + r * d : nullptr;
      const double w = weight_at(c, r);
      const T gs = static_cast<T>(kSum ? grad_factor(c, w) : grad_factor(c, w) / d);
      DoubleLanes acc;
      std::size_t j = 0;
      // Two vectors at a time: two independent evaluations to overlap.
      for (; j + 2 * W <= d; j += 2 * W) {
        V f0, df0, f1, df1;
        F::eval(load(y + j), load(p + j), c.k, f0, df0);
        F::eval(load(y + j + W), load(p + j + W), c.k, f1, df1);
        if constexpr (GRAD) {
          store_grad<STREAM>(g + j, df0 * gs);
          store_grad<STREAM>(g + j + W, df1 * gs);
        }
        acc.add(f0);
        acc.add(f1);
      }
      for (; j + W <= d; j += W) {
        V f, df;
        F::eval(load(y + j), load(p + j), c.k, f, df);
        if constexpr (GRAD) store_grad<STREAM>(g + j, df * gs);
        acc.add(f);
      }
      if (j < d) {
        const std::size_t n = d - j;
        V f, df;
        F::eval(load_partial(y + j, n, T(0)), load_partial(p + j, n, T(0)), c.k, f, df);
        if constexpr (GRAD) store_partial(g + j, df * gs, n);
        acc.add(lanes_below<T>(n) ? f : V{});
      }
      total += record_row(c, r, w, mean_or_sum(acc.sum(), d));
    }
    return total;
  }

  // Rows shorter than a vector: blocks of rows in vectors across row
  // boundaries, each row's sum in order from a buffer.
  template <class T, bool GRAD>
  [[gnu::flatten]] static double run_short(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
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
      std::size_t j = 0;
      for (; j + W <= n; j += W) {
        V f, df;
        F::eval(load(y + j), load(p + j), c.k, f, df);
        store(fb + j, f);
        if constexpr (GRAD) store(dfb + j, df);
      }
      if (j < n) {
        V f, df;
        F::eval(load_partial(y + j, n - j, T(0)), load_partial(p + j, n - j, T(0)), c.k, f, df);
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
  [[gnu::flatten]] static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
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
