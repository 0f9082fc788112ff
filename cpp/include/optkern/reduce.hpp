// Sum of squares in double with a fixed lane structure.
//
// Element i of a piece always lands in lane i mod 8, each lane adds in index
// order, and the lanes are combined by the caller in a fixed order. The vector
// type is a GCC vector extension of eight doubles, lowered to one zmm, two ymm
// or four xmm registers: the arithmetic, and so the result, is the same on
// every ISA and for every thread count.
#pragma once

#include <cstddef>
#include <cstring>

#include "optkern/target.hpp"

namespace optkern::OPTKERN_TARGET {

inline constexpr std::size_t kSumLanes = 8;

// Adds Σ x[i]² of n elements into lanes[0..7] (element i into lane i mod 8).
template <class T>
inline void sum_squares_lanes(const T* __restrict x, std::size_t n, double* lanes) {
  typedef double vd8 __attribute__((vector_size(64)));
  typedef T vt8 __attribute__((vector_size(8 * sizeof(T))));
  vd8 acc;
  std::memcpy(&acc, lanes, sizeof acc);
  std::size_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    vt8 xt;
    std::memcpy(&xt, x + i, sizeof xt);
    const vd8 xd = __builtin_convertvector(xt, vd8);
    acc = acc + xd * xd;
  }
  std::memcpy(lanes, &acc, sizeof acc);
  for (std::size_t j = 0; i < n; ++i, ++j) {
    const double d = static_cast<double>(x[i]);
    lanes[j] = lanes[j] + d * d;
  }
}

// The gradient pass before a step (clipping norms, the finite check), in
// one read of the grads: with SQUARES, adds Σ x[i]² into lanes[0..7] as
// sum_squares_lanes does, where x = g, or x = (g + a)/k computed in T when
// `acc` is given (the accumulated gradient of an update call); with FINITE,
// adds g[i] − g[i] into finite[0..7] (0 for a finite g[i], NaN otherwise: the
// sums stay 0 exactly when every g[i] is finite; the squares cannot tell, as
// they overflow to inf for finite float64 values above 1e154).
template <class T, bool SQUARES, bool FINITE>
inline void grad_stats_loop(const T* __restrict g, const T* __restrict acc, T k, std::size_t n,
                            double* lanes, T* finite) {
  typedef double vd8 __attribute__((vector_size(64)));
  typedef T vt8 __attribute__((vector_size(8 * sizeof(T))));
  vd8 sum;
  vt8 fin;
  std::memcpy(&sum, lanes, sizeof sum);
  std::memcpy(&fin, finite, sizeof fin);
  std::size_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    vt8 gt;
    std::memcpy(&gt, g + i, sizeof gt);
    if constexpr (FINITE) fin = fin + (gt - gt);
    if constexpr (SQUARES) {
      vt8 xt = gt;
      if (acc != nullptr) {
        vt8 at;
        std::memcpy(&at, acc + i, sizeof at);
        xt = (gt + at) / k;
      }
      const vd8 xd = __builtin_convertvector(xt, vd8);
      sum = sum + xd * xd;
    }
  }
  std::memcpy(lanes, &sum, sizeof sum);
  std::memcpy(finite, &fin, sizeof fin);
  for (std::size_t j = 0; i < n; ++i, ++j) {
    if constexpr (FINITE) finite[j] = finite[j] + (g[i] - g[i]);
    if constexpr (SQUARES) {
      const T x = acc != nullptr ? (g[i] + acc[i]) / k : g[i];
      const double d = static_cast<double>(x);
      lanes[j] = lanes[j] + d * d;
    }
  }
}

// grad_stats_loop with its flags chosen at run time.
template <class T>
inline void grad_stats_lanes(const T* g, const T* acc, T k, std::size_t n, bool squares,
                             bool finite_check, double* lanes, T* finite) {
  if (squares && finite_check)
    grad_stats_loop<T, true, true>(g, acc, k, n, lanes, finite);
  else if (squares)
    grad_stats_loop<T, true, false>(g, acc, k, n, lanes, finite);
  else if (finite_check)
    grad_stats_loop<T, false, true>(g, acc, k, n, lanes, finite);
}

}  // namespace optkern::OPTKERN_TARGET
