// Fixed chunking of the concatenated elements of many tensors.
//
// Element e of the concatenation belongs to chunk e / kChunkElements. A chunk
// may cover the tail of one tensor and the heads of the next ones, so a model
// of many small tensors is balanced as well as one large tensor. The chunks
// depend only on the tensor sizes, never on the thread count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "optkern/optkern.hpp"

namespace optkern::detail {

// Calls piece(tensor_index, begin, end) for every non-empty piece of every
// tensor, grouped by chunk; chunks run on up to num_threads() threads.
template <class SizeOf, class Piece>
void for_each_piece(std::size_t count, SizeOf size_of, Piece piece) {
  // Reused per calling thread: a step allocates nothing once it has seen its
  // model. (A named reference, so the workers capture the caller's vector and
  // not their own thread_local.)
  thread_local std::vector<std::size_t> offsets_storage;
  std::vector<std::size_t>& offsets = offsets_storage;
  offsets.resize(count + 1);
  offsets[0] = 0;
  for (std::size_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + size_of(i);
  const std::size_t total = offsets[count];
  if (total == 0) return;
  const std::size_t chunks = (total + kChunkElements - 1) / kChunkElements;

  auto run_chunk = [&](std::size_t c) {
    const std::size_t lo = c * kChunkElements;
    const std::size_t hi = std::min(total, lo + kChunkElements);
    // The last tensor whose start is <= lo (skipping empty tensors).
    std::size_t t = static_cast<std::size_t>(
        std::upper_bound(offsets.begin(), offsets.end(), lo) - offsets.begin() - 1);
    for (; t < count && offsets[t] < hi; ++t) {
      const std::size_t b = std::max(lo, offsets[t]) - offsets[t];
      const std::size_t e = std::min(hi, offsets[t + 1]) - offsets[t];
      if (e > b) piece(t, b, e);
    }
  };

  const int threads = num_threads();
  if (threads <= 1 || total < kParallelMinElements) {
    for (std::size_t c = 0; c < chunks; ++c) run_chunk(c);
    return;
  }
#if defined(_OPENMP)
  const long long n = static_cast<long long>(chunks);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long c = 0; c < n; ++c) run_chunk(static_cast<std::size_t>(c));
#else
  for (std::size_t c = 0; c < chunks; ++c) run_chunk(c);
#endif
}

}  // namespace optkern::detail
