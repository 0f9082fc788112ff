// Splitting the elements of many tensors across threads.
//
// The elements of all tensors, taken in order, form one range; each thread
// takes an equal contiguous part of it (cut at multiples of kSplitAlign), which
// may cover the tail of one tensor and the heads of the next ones, so a model
// of many small tensors is balanced as well as one large tensor. Optimizer
// updates are elementwise and every code path applies the same IEEE operations
// to an element, so no bit of the result depends on where the cuts fall, or on
// the thread count. (Reductions, whose result does depend on the grouping, use
// fixed pieces instead: see reductions.cpp.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "optkern/optkern.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace optkern::detail {

// Cuts fall on multiples of 16 elements: 64 bytes of float32, a cache line.
inline constexpr std::size_t kSplitAlign = 16;

// The start of part k of `total` elements cut into `parts` equal parts.
inline std::size_t part_begin(std::size_t total, std::size_t parts, std::size_t k) {
  if (k >= parts) return total;
  const std::size_t even = total / parts * k + total % parts * k / parts;
  return even / kSplitAlign * kSplitAlign;
}

// Calls piece(tensor_index, begin, end) for every non-empty piece of every
// tensor; with min_parallel elements or more in all, the pieces run on up to
// num_threads() threads in one parallel region.
template <class SizeOf, class Piece>
void for_each_piece(std::size_t count, SizeOf size_of, Piece piece, std::size_t min_parallel) {
  // Reused per calling thread: a step allocates nothing once it has seen its
  // model. (A named reference, so the workers use the caller's vector and not
  // their own thread_local.)
  thread_local std::vector<std::size_t> offsets_storage;
  std::vector<std::size_t>& offsets = offsets_storage;
  offsets.resize(count + 1);
  offsets[0] = 0;
  for (std::size_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + size_of(i);
  const std::size_t total = offsets[count];

  // Runs the pieces of elements [lo, hi) of the concatenation.
  auto run_range = [&](std::size_t lo, std::size_t hi) {
    if (lo >= hi) return;
    // The last tensor whose start is <= lo (skipping empty tensors).
    std::size_t t = static_cast<std::size_t>(std::upper_bound(offsets.begin(), offsets.end(), lo) -
                                             offsets.begin() - 1);
    for (; t < count && offsets[t] < hi; ++t) {
      const std::size_t b = std::max(lo, offsets[t]) - offsets[t];
      const std::size_t e = std::min(hi, offsets[t + 1]) - offsets[t];
      if (e > b) piece(t, b, e);
    }
  };

  const int threads = num_threads();
  if (threads <= 1 || total < min_parallel) {
    run_range(0, total);
    return;
  }
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
  {
    const auto parts = static_cast<std::size_t>(omp_get_num_threads());
    const auto k = static_cast<std::size_t>(omp_get_thread_num());
    run_range(part_begin(total, parts, k), part_begin(total, parts, k + 1));
  }
#else
  run_range(0, total);
#endif
}

}  // namespace optkern::detail
