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

}  // namespace optkern::OPTKERN_TARGET
