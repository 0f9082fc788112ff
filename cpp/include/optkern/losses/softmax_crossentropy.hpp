// Softmax cross-entropy from logits (Keras CategoricalCrossentropy and
// SparseCategoricalCrossentropy with from_logits=True), with z_loss.
//
// Per row, with x the logits, m = max x, s = Σ e^(x−m), lse = m + log s:
//   sparse: L = lse − x[label];     dense: L = lse·Σy' − Σ y'·x (y'·x = 0 where
//   y' = 0, so a −inf logit under a zero target counts 0), y' = y(1−ls) + ls/K;
//   z_loss: L += z·lse².
//   ∂L/∂x = softmax(x)·(Σy' + 2z·lse) − y'   (sparse: Σy' = 1, y' = one-hot).
// The gradient is written as e·a − y'·b with e = e^(x−m), a = gf(Σy' + 2z·lse)/s
// and b = gf in T (gf = w/divisor).
//
// Many classes: per row, one sweep for the max (and Σy', Σy'x; sparse: four
// independent max chains), one sweep writing e into the gradient while summing
// s (sums of four e in T into 16 double lanes) and prefetching the next row, and one sweep scaling
// it in place, each over a row still in cache: one exp per element, no temporary. The label's logit
// is read before the gradient is written, so grad may be the logits themselves. Few classes (K ≤
// 16): blocks of one row per vector lane (as many rows as a native vector has lanes), transposed
// through a small stack buffer, so every operation works on whole vectors across rows.
// A gradient past the last-level cache takes a variant of the many-class path
// (many_classes with STREAM): e goes to a per-thread two-row buffer and row
// r−1's gradient is written from it with non-temporal stores during row r's
// exp sweep, so that its lines are never read from memory.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

template <bool SPARSE>
struct SoftmaxCrossentropy {
  static constexpr std::size_t kMaxFewClasses = 16;

  template <class T>
  static double rows(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    if (c.in.cols == 0) return no_classes(c, r0, r1);
    const bool few = c.in.cols <= kMaxFewClasses;
    if (!c.in.grad)
      return few ? few_classes<T, false>(c, r0, r1) : many_classes<T, false, false>(c, r0, r1);
    if (few) return few_classes<T, true>(c, r0, r1);
    if (!streams_rows(c)) return many_classes<T, true, false>(c, r0, r1);
    T* scratch = row_scratch<T>(2 * c.in.cols);
    if (scratch == nullptr) return many_classes<T, true, false>(c, r0, r1);
    const double total = many_classes<T, true, true>(c, r0, r1, scratch);
    stream_fence();
    return total;
  }

 private:
  // Rows without classes: every sum is empty, L = 0.
  template <class T>
  static double no_classes(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) record_row(c, r, weight_at(c, r), 0.0);
    return 0.0;
  }

  // L from the row's statistics (double), shared by both paths.
  static double row_loss(double lse, double sum_y, double sum_yx, double z) {
    const double L = SPARSE ? lse - sum_yx : lse * sum_y - sum_yx;
    return z != 0.0 ? L + z * lse * lse : L;
  }

  // Sweep 1 of row r: the max; sparse: the label and x[label]; dense: Σy'
  // and Σy'·x.
  template <class T>
  struct Head {
    T m;
    double w, sum_y, sum_yx;
    std::int64_t label;
    bool ignored;
  };

  template <class T>
  static OPTKERN_VINLINE Head<T> head(const LossCall<T>& c, std::size_t r) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const std::size_t K = c.in.cols;
    const T keep = c.k.smooth_keep;
    const T add = c.k.label_smoothing / static_cast<T>(K);
    const T ninf = -static_cast<T>(INFINITY);
    const T* x = c.in.y_pred + r * K;
    Head<T> h{};
    h.w = weight_at(c, r);
    if constexpr (SPARSE) {
      if (is_ignored(c, r)) {
        h.ignored = true;
        return h;
      }
      h.label = label_at(c.in, r);
    }
    V mv = splat<V>(ninf);
    DoubleLanes sy, syx;
    const T* y = SPARSE ? nullptr : c.in.y_true + r * K;
    std::size_t j0 = 0;
    if constexpr (SPARSE) {
      // Four independent maxima (the max of the same elements in any order).
      V m1 = mv, m2 = mv, m3 = mv;
      for (; j0 + 4 * W <= K; j0 += 4 * W) {
        mv = max_v(mv, load(x + j0));
        m1 = max_v(m1, load(x + j0 + W));
        m2 = max_v(m2, load(x + j0 + 2 * W));
        m3 = max_v(m3, load(x + j0 + 3 * W));
      }
      mv = max_v(max_v(mv, m1), max_v(m2, m3));
    }
    for (std::size_t j = j0; j < K; j += W) {
      const std::size_t n = K - j < W ? K - j : W;
      const V xv = n == W ? load(x + j) : load_partial(x + j, n, ninf);
      mv = max_v(mv, xv);
      if constexpr (!SPARSE) {
        V yv = (n == W ? load(y + j) : load_partial(y + j, n, T(0))) * keep + add;
        if (n < W) yv = lanes_below<T>(n) ? yv : V{};
        sy.add(yv);
        syx.add(yv == T(0) ? V{} : yv * xv);
      }
    }
    h.m = row_max(mv);
    h.sum_yx = SPARSE ? static_cast<double>(x[h.label]) : syx.sum();
    h.sum_y = SPARSE ? 1.0 : sy.sum();
    return h;
  }

  // A gradient larger than the last-level cache (kStreamMinBytes) is written
  // with non-temporal stores: the exponentials go to a per-thread buffer of
  // two rows (which stays in L2 with the rows of logits being read) rather
  // than into the gradient, whose lines are then written once, without
  // being read first, while the next row's exponentials are computed. Only
  // where the bytes go changes. Rows past kMaxStreamRowBytes (the buffer
  // would not stay in L2) keep the in-place sweeps.
  static constexpr std::size_t kMaxStreamRowBytes = std::size_t{256} << 10;

  template <class T>
  static bool streams_rows(const LossCall<T>& c) {
    return OPTKERN_LOSS_STREAMING && c.in.cols * sizeof(T) <= kMaxStreamRowBytes &&
           c.in.rows * c.in.cols * sizeof(T) >= kStreamMinBytes;
  }

  // This thread's buffer of at least n elements (null if it cannot be had).
  template <class T>
  static T* row_scratch(std::size_t n) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < n) {
      try {
        buffer.assign(n, T(0));
      } catch (...) {
        return nullptr;
      }
    }
    return buffer.data();
  }

  template <class T, bool GRAD, bool STREAM>
  [[gnu::flatten]] static double many_classes(const LossCall<T>& c, std::size_t r0, std::size_t r1,
                                              T* scratch = nullptr) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    const std::size_t K = c.in.cols;
    const T keep = c.k.smooth_keep;
    const T add = c.k.label_smoothing / static_cast<T>(K);
    const T ninf = -static_cast<T>(INFINITY);
    double total = 0.0;
    // Row r's sweep 1 runs before row r−1's sweep 3: its loads and maxima
    // fill the wait for row r−1's sum and scale factor, and row r's sweep 2
    // starts with its max known.
    Head<T> h = head(c, r0);
    // STREAM: row r−1's gradient, written from its buffer while row r's
    // exponentials are computed into the other one.
    Pending<T> prev{};
    for (std::size_t r = r0; r < r1; ++r) {
      const T* x = c.in.y_pred + r * K;
      T* g = GRAD ? c.in.grad + r * K : nullptr;
      const double w = h.w;
      const std::int64_t label = h.label;
      if (SPARSE && h.ignored) {
        if constexpr (GRAD) std::memset(g, 0, K * sizeof(T));
        total += record_row(c, r, 0.0, 0.0);
        if (r + 1 < r1) h = head(c, r + 1);
        continue;
      }
      T* e_out = g;
      if constexpr (STREAM) e_out = scratch + (prev.e == scratch ? K : 0);
      const T* y = SPARSE ? nullptr : c.in.y_true + r * K;
      const T m = h.m;
      const double sum_yx = h.sum_yx;
      const double sum_y = h.sum_y;
      // Sweep 2: e = exp(x − m) (into the gradient), s = Σe: in blocks of 64
      // elements, (e_j + e_{j+16}) + (e_{j+32} + e_{j+48}) added in T and
      // then into double lane j mod 16 (whatever the vector width; elements
      // past K count as e = 0). The next row's logits (and, within the
      // piece, gradient) are fetched meanwhile: this sweep computes while the
      // max sweep waits on memory. The last row of a piece fetches the first
      // of the next piece, which the same thread usually runs next; the last
      // row of all fetches itself again (no branch in the loop). STREAM: row
      // r−1's gradient is written meanwhile too, 64 elements per block.
      const std::size_t ahead = r + 1 < c.in.rows ? K : 0;
      const std::size_t ahead_g = r + 1 < r1 ? K : 0;
      const V mv2 = splat<V>(m);
      DoubleLanesOf<16> sacc;
      std::size_t j = 0, done = 0;  // done: vectors of row r−1 written
      for (; j + 64 <= K; j += 64) {
        for (std::size_t q = 0; q < 16; q += W) {
          V e[4];
          for (std::size_t u = 0; u < 4; ++u) {
            __builtin_prefetch(x + ahead + j + 16 * u + q, 0, 3);
            if constexpr (GRAD && !STREAM) __builtin_prefetch(g + ahead_g + j + 16 * u + q, 1, 3);
            e[u] = vexp<V, true>(load(x + j + 16 * u + q) - mv2);
            if constexpr (GRAD) store(e_out + j + 16 * u + q, e[u]);
          }
          sacc.add((e[0] + e[1]) + (e[2] + e[3]));
        }
        if constexpr (STREAM) {
          if (prev.g != nullptr && done + 64 / W <= prev.vectors) {
            for (std::size_t k = 0; k < 64 / W; ++k) prev.write_vector(done + k);
            done += 64 / W;
          }
        }
      }
      if (j < K) {
        for (std::size_t q = 0; q < 16; q += W) {
          V e[4];
          for (std::size_t u = 0; u < 4; ++u)
            e[u] = tail_exp<T, GRAD>(x, e_out, K, j + 16 * u + q, mv2);
          sacc.add((e[0] + e[1]) + (e[2] + e[3]));
        }
      }
      if constexpr (STREAM) {
        if (prev.g != nullptr) prev.finish(done);
        prev.g = nullptr;
      }
      const double s = sacc.sum();
      const double lse = static_cast<double>(m) + log_scalar(s);
      total += record_row(c, r, w, row_loss(lse, sum_y, sum_yx, c.k.z_loss));
      if (r + 1 < r1) h = head(c, r + 1);
      if constexpr (GRAD) {
        // Sweep 3: g = e·a − y'·b.
        const double gf = grad_factor(c, w);
        // (Without z_loss, a does not wait for the log.)
        const double za = c.k.z_loss != 0.0 ? sum_y + 2.0 * c.k.z_loss * lse : sum_y;
        const T a = static_cast<T>(gf * za / s);
        const T b = static_cast<T>(gf);
        if constexpr (STREAM) {
          prev = Pending<T>::make(g, e_out, y, K, SPARSE ? label : -1, a, b, keep, add);
          continue;
        }
        const V av = splat<V>(a);
        for (j = 0; j + W <= K; j += W) {
          V gv = load(g + j) * av;
          if constexpr (!SPARSE) gv = gv - (load(y + j) * keep + add) * b;
          store(g + j, gv);
        }
        if (j < K) {
          const std::size_t n = K - j;
          V gv = load_partial(g + j, n, T(0)) * av;
          if constexpr (!SPARSE) gv = gv - (load_partial(y + j, n, T(0)) * keep + add) * b;
          store_partial(g + j, gv, n);
        }
        if constexpr (SPARSE) g[label] = g[label] - b;
      }
    }
    if constexpr (STREAM) {
      if (prev.g != nullptr) prev.finish(0);
    }
    return total;
  }

  // Row gradient g = e·a − y'·b of K elements from the buffer e (sparse:
  // y' = one-hot of label), with the operations in T of the in-place sweep 3
  // (element by element, so the same bits whichever way it is cut): the
  // 64-byte-aligned middle of the row, `vectors` native vectors from g + j0,
  // with non-temporal stores; the ends with plain ones.
  template <class T>
  struct Pending {
    using V = vec_t<T>;
    static constexpr std::size_t W = simd<T>::W;
    T* g;
    const T* e;
    const T* y;
    std::size_t K, j0, vectors, label;  // label: K (none) for dense rows
    T a, b, keep, add;
    V av;

    static OPTKERN_VINLINE Pending make(T* g, const T* e, const T* y, std::size_t K,
                                        std::int64_t label, T a, T b, T keep, T add) {
      constexpr std::size_t A = 64 / sizeof(T);  // elements per 64 bytes
      const std::size_t mis = reinterpret_cast<std::uintptr_t>(g) / sizeof(T) % A;
      std::size_t j0 = mis == 0 ? 0 : A - mis;
      if (j0 > K) j0 = K;
      const std::size_t lab = label < 0 ? K : static_cast<std::size_t>(label);
      const V av = splat<V>(a);  // 0 + a, as the in-place sweep has it (a −0 a is +0)
      return Pending{g, e, y, K, j0, (K - j0) / W, lab, av[0], b, keep, add, av};
    }

    OPTKERN_VINLINE T one(std::size_t j) const {
      if constexpr (SPARSE) {
        const T v = e[j] * a;
        return j == label ? v - b : v;
      } else {
        return e[j] * a - (y[j] * keep + add) * b;
      }
    }

    // Vector k of the middle.
    OPTKERN_VINLINE void write_vector(std::size_t k) const {
      const std::size_t j = j0 + k * W;
      V gv = load(e + j) * av;
      if constexpr (SPARSE) {
        if (label - j < W) {  // the label's lane less b (a blend: the others as they are)
          using Bits = typename simd<T>::Bits;
          typename simd<T>::I lane;
          for (std::size_t i = 0; i < W; ++i) lane[i] = static_cast<Bits>(i);
          const V less = gv - b;
          gv = lane == static_cast<Bits>(label - j) ? less : gv;
        }
      } else {
        gv = gv - (load(y + j) * keep + add) * b;
      }
      stream_store(g + j, gv);
    }

    // The middle's vectors from k on, and both ends.
    OPTKERN_VINLINE void finish(std::size_t k) const {
      for (; k < vectors; ++k) write_vector(k);
      for (std::size_t j = 0; j < j0; ++j) g[j] = one(j);
      for (std::size_t j = j0 + vectors * W; j < K; ++j) g[j] = one(j);
    }
  };

  // The largest lane of v (on AVX-512 a shuffle tree; the order can only
  // change which of +0/−0 or which NaN is taken, and neither changes a result:
  // x − m and m + log s come out the same, a NaN row is NaN throughout).
  template <class V>
  static OPTKERN_VINLINE elem_t<V> row_max(V v) {
#if defined(__AVX512F__)
    if constexpr (sizeof(elem_t<V>) == 4)
      return _mm512_reduce_max_ps((__m512)v);
    else
      return _mm512_reduce_max_pd((__m512d)v);
#else
    return max_lane(v);
#endif
  }

  // e = exp(x_i − m) for the W elements from i (e = 0 past K), stored into
  // the gradient's elements below K.
  template <class T, bool GRAD>
  static OPTKERN_VINLINE vec_t<T> tail_exp(const T* x, T* g, std::size_t K, std::size_t i,
                                           vec_t<T> m) {
    constexpr std::size_t W = simd<T>::W;
    if (i >= K) return vec_t<T>{};
    const std::size_t n = K - i < W ? K - i : W;
    const vec_t<T> e = vexp<vec_t<T>, true>(
        (n == W ? load(x + i) : load_partial(x + i, n, -static_cast<T>(INFINITY))) - m);
    if constexpr (GRAD) {
      if (n == W)
        store(g + i, e);
      else
        store_partial(g + i, e, n);
    }
    return e;
  }

  // Class k of row i (i < nb) into dst[k][i]; rows past nb hold 0. Class by
  // class, so that a class's stores have left the store buffer before its
  // vector is loaded (no store-forwarding stall).
  template <class T>
  static void transpose_in(T (*dst)[simd<T>::W], const T* src, std::size_t K, std::size_t nb) {
    constexpr std::size_t W = simd<T>::W;
    if (nb == W) {
      for (std::size_t k = 0; k < K; ++k)
        for (std::size_t i = 0; i < W; ++i) dst[k][i] = src[i * K + k];
      return;
    }
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t i = 0; i < W; ++i) dst[k][i] = i < nb ? src[i * K + k] : T(0);
  }

  // Double vectors (one per part of a vector of T) back in T.
  template <class T>
  static OPTKERN_VINLINE vec_t<T> in_type(const vd* parts) {
    if constexpr (sizeof(T) == 8) {
      return parts[0];
    } else {
      const vf_half lo = __builtin_convertvector(parts[0], vf_half);
      const vf_half hi = __builtin_convertvector(parts[1], vf_half);
#if OPTKERN_VECTOR_BYTES == 64
      return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#elif OPTKERN_VECTOR_BYTES == 32
      return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
#else
      return __builtin_shufflevector(lo, hi, 0, 1, 2, 3);
#endif
    }
  }

  template <class T, bool GRAD>
  [[gnu::flatten]] static double few_classes(const LossCall<T>& c, std::size_t r0, std::size_t r1) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    constexpr std::size_t DW = simd<double>::W;
    constexpr std::size_t H = W / DW;  // double vectors per vector of T
    const std::size_t K = c.in.cols;
    const T keep = c.k.smooth_keep;
    const T add = c.k.label_smoothing / static_cast<T>(K);
    alignas(64) T xs[kMaxFewClasses][W];
    alignas(64) T ys[SPARSE ? 1 : kMaxFewClasses][W];
    double w[W], gf[W], sum_y[W], sum_yx[W], lse[W];
    std::int64_t label[W];
    // Without sample weights or a mask every row has w = 1.
    const bool uniform = c.in.sample_weight == nullptr && !c.masked;
    const double gf_uniform = grad_factor(c, 1.0);
    double total = 0.0;
    for (std::size_t b0 = r0; b0 < r1; b0 += W) {
      const std::size_t nb = r1 - b0 < W ? r1 - b0 : W;
      // Transpose the block: class k of row b0+i into xs[k][i].
      const T* x = c.in.y_pred + b0 * K;
      transpose_in(xs, x, K, nb);
      bool any_ignored = false;
      for (std::size_t i = 0; i < W; ++i) {
        const bool live = i < nb;
        w[i] = !live ? 0.0 : uniform ? 1.0 : weight_at(c, b0 + i);
        gf[i] = live && uniform ? gf_uniform : grad_factor(c, w[i]);
        if constexpr (SPARSE) {
          label[i] = live && !is_ignored(c, b0 + i) ? label_at(c.in, b0 + i) : -1;
          any_ignored |= live && label[i] < 0;
          sum_y[i] = 1.0;
          sum_yx[i] = label[i] >= 0 ? static_cast<double>(xs[label[i]][i]) : 0.0;
        }
      }
      vd sy[H] = {}, syx[H] = {};
      if constexpr (!SPARSE) {
        transpose_in(ys, c.in.y_true + b0 * K, K, nb);
        for (std::size_t k = 0; k < K; ++k) {
          const V yv = load(ys[k]) * keep + add;
          const V yx = yv == T(0) ? V{} : yv * load(xs[k]);
          store(ys[k], yv);
          for (std::size_t h = 0; h < H; ++h) {
            sy[h] = sy[h] + part_in_double(yv, h);
            syx[h] = syx[h] + part_in_double(yx, h);
          }
        }
        for (std::size_t h = 0; h < H; ++h)
          for (std::size_t j = 0; j < DW; ++j)
            sum_y[h * DW + j] = sy[h][j], sum_yx[h * DW + j] = syx[h][j];
      }
      // Max, e = exp(x − m) in place of x, s = Σe per lane (class order).
      V m = load(xs[0]);
      for (std::size_t k = 1; k < K; ++k) m = max_v(m, load(xs[k]));
      vd s[H] = {};
      for (std::size_t k = 0; k < K; ++k) {
        const V e = vexp<V, true>(load(xs[k]) - m);
        store(xs[k], e);
        for (std::size_t h = 0; h < H; ++h) s[h] = s[h] + part_in_double(e, h);
      }
      vd a_part[H];  // gf·(Σy' + 2z·lse)/s per lane
      for (std::size_t h = 0; h < H; ++h) {
        const vd l = part_in_double(m, h) + vlog(s[h]);
        for (std::size_t j = 0; j < DW; ++j) lse[h * DW + j] = l[j];
        if constexpr (GRAD) {
          vd gfv, syv = SPARSE ? splat<vd>(1.0) : sy[h];
          if (uniform)
            gfv = splat<vd>(gf_uniform);
          else
            std::memcpy(&gfv, gf + h * DW, sizeof gfv);
          a_part[h] = gfv * (syv + (2.0 * c.k.z_loss) * l) / s[h];
        }
      }
      for (std::size_t i = 0; i < nb; ++i) {
        const bool ignored = SPARSE && label[i] < 0;
        total += record_row(c, b0 + i, w[i],
                            ignored ? 0.0 : row_loss(lse[i], sum_y[i], sum_yx[i], c.k.z_loss));
      }
      if constexpr (GRAD) {
        V av, bv;
        typename simd<T>::I labels;
        for (std::size_t i = 0; i < W; ++i)
          labels[i] = SPARSE ? static_cast<typename simd<T>::Bits>(label[i]) : 0;
        av = in_type<T>(a_part);
        if (uniform) {
          bv = splat<V>(static_cast<T>(gf_uniform));
        } else {
          for (std::size_t i = 0; i < W; ++i) bv[i] = static_cast<T>(gf[i]);
        }
        T* g = c.in.grad + b0 * K;
        for (std::size_t k = 0; k < K; ++k) {
          V gv = load(xs[k]) * av;
          if constexpr (SPARSE) {
            gv = gv - (labels == static_cast<typename simd<T>::Bits>(k) ? bv : V{});
          } else {
            gv = gv - load(ys[k]) * bv;
          }
          store(xs[k], gv);
        }
        for (std::size_t i = 0; i < nb; ++i)
          for (std::size_t k = 0; k < K; ++k) g[i * K + k] = xs[k][i];
        if (any_ignored)
          for (std::size_t i = 0; i < nb; ++i)
            if (label[i] < 0) std::memset(g + i * K, 0, K * sizeof(T));
      }
    }
    return total;
  }
};

}  // namespace optkern::OPTKERN_TARGET
