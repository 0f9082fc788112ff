// Thread count for optkern's parallel regions. Kept in our own variable rather
// than omp_set_num_threads so that it applies to calls from any Python thread.
#include <atomic>
#include <stdexcept>

#include "optkern/optkern.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace optkern {
namespace {

int initial_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();  // honours OMP_NUM_THREADS
#else
  return 1;
#endif
}

std::atomic<int>& thread_count() {
  static std::atomic<int> count{initial_threads()};
  return count;
}

}  // namespace

bool openmp_enabled() {
#if defined(_OPENMP)
  return true;
#else
  return false;
#endif
}

int num_threads() { return thread_count().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("num_threads must be >= 1, got " + std::to_string(n));
#if !defined(_OPENMP)
  n = 1;
#endif
  thread_count().store(n, std::memory_order_relaxed);
}

}  // namespace optkern
