// Deterministic per-tensor sums of squares (for clipnorm and global norms).
//
// Each tensor is cut into pieces of kChunkElements; every piece fills eight
// double lanes (element i into lane i mod 8); a tensor's lanes add piece by
// piece in order, and its eight lanes add pairwise in a fixed tree. Nothing
// depends on the thread count or the ISA.
#include <algorithm>
#include <vector>

#include "dispatch.hpp"
#include "optkern/optkern.hpp"

namespace optkern {
namespace {

constexpr std::size_t kLanes = 8;

struct Piece {
  std::size_t tensor, begin, end;
};

double add_lanes(const double* l) {
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

}  // namespace

template <class T>
void sum_squares(const T* const* xs, const std::size_t* sizes, std::size_t count, double* out) {
  const auto kernel = active_kernels<SumSquares>().template get<T>();

  std::vector<Piece> pieces;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < sizes[i]; b += kChunkElements)
      pieces.push_back({i, b, std::min(sizes[i], b + kChunkElements)});
    total += sizes[i];
  }
  std::vector<double> lanes(pieces.size() * kLanes, 0.0);
  auto run = [&](std::size_t p) {
    const Piece& x = pieces[p];
    kernel(xs[x.tensor] + x.begin, x.end - x.begin, &lanes[p * kLanes]);
  };
  const long long n = static_cast<long long>(pieces.size());
  const int threads = num_threads();
  if (threads > 1 && total >= kParallelMinElements) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (long long p = 0; p < n; ++p) run(static_cast<std::size_t>(p));
  } else {
    for (long long p = 0; p < n; ++p) run(static_cast<std::size_t>(p));
  }

  std::vector<double> acc(count * kLanes, 0.0);
  for (std::size_t p = 0; p < pieces.size(); ++p)
    for (std::size_t j = 0; j < kLanes; ++j)
      acc[pieces[p].tensor * kLanes + j] += lanes[p * kLanes + j];
  for (std::size_t i = 0; i < count; ++i) out[i] = add_lanes(&acc[i * kLanes]);
}

template <class T>
bool grad_stats(const T* const* grads, const T* const* accs, double k, const std::size_t* sizes,
                std::size_t count, bool squares, bool finite_check, double* out) {
  const auto kernel = active_kernels<GradStats>().template get<T>();
  const T kt = static_cast<T>(k);
  std::vector<Piece> pieces;
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < sizes[i]; b += kChunkElements)
      pieces.push_back({i, b, std::min(sizes[i], b + kChunkElements)});
    total += sizes[i];
  }
  std::vector<double> lanes(pieces.size() * kLanes, 0.0);
  std::vector<T> finite(pieces.size() * kLanes, T(0));
  auto run = [&](std::size_t p) {
    const Piece& x = pieces[p];
    const T* acc =
        accs != nullptr && accs[x.tensor] != nullptr ? accs[x.tensor] + x.begin : nullptr;
    kernel(grads[x.tensor] + x.begin, acc, kt, x.end - x.begin, squares, finite_check,
           &lanes[p * kLanes], &finite[p * kLanes]);
  };
  const long long n = static_cast<long long>(pieces.size());
  const int threads = num_threads();
  if (threads > 1 && total >= kParallelMinElements) {
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (long long p = 0; p < n; ++p) run(static_cast<std::size_t>(p));
  } else {
    for (long long p = 0; p < n; ++p) run(static_cast<std::size_t>(p));
  }
  bool all_finite = true;
  for (const T f : finite) all_finite = all_finite && f == T(0);
  if (squares) {
    std::vector<double> acc(count * kLanes, 0.0);
    for (std::size_t p = 0; p < pieces.size(); ++p)
      for (std::size_t j = 0; j < kLanes; ++j)
        acc[pieces[p].tensor * kLanes + j] += lanes[p * kLanes + j];
    for (std::size_t i = 0; i < count; ++i) out[i] = add_lanes(&acc[i * kLanes]);
  }
  return all_finite;
}

template bool grad_stats<float>(const float* const*, const float* const*, double,
                                const std::size_t*, std::size_t, bool, bool, double*);
template bool grad_stats<double>(const double* const*, const double* const*, double,
                                 const std::size_t*, std::size_t, bool, bool, double*);

template void sum_squares<float>(const float* const*, const std::size_t*, std::size_t, double*);
template void sum_squares<double>(const double* const*, const std::size_t*, std::size_t, double*);

}  // namespace optkern
