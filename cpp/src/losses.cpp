// The ISA-independent part of a loss call: the pre-pass over labels and
// weights, the divisor, the fixed pieces of rows run on threads, and the sum
// of the pieces in order.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "loss_table.hpp"
#include "optkern/losses/call.hpp"
#include "optkern/optkern.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace optkern {
namespace {

constexpr LossTargets kTargets[] = {
#define OPTKERN_LOSS_TARGETS(name, kernel, targets) LossTargets::targets,
    OPTKERN_LOSS_LIST(OPTKERN_LOSS_TARGETS)
#undef OPTKERN_LOSS_TARGETS
};

constexpr const char* kNames[] = {
#define OPTKERN_LOSS_NAME(name, kernel, targets) #name,
    OPTKERN_LOSS_LIST(OPTKERN_LOSS_NAME)
#undef OPTKERN_LOSS_NAME
};

const LossKernelTable& loss_table_of(Isa isa) {
  switch (isa) {
#if defined(OPTKERN_HAVE_AVX2)
    case Isa::avx2:
      return avx2::loss_kernels;
#endif
#if defined(OPTKERN_HAVE_AVX512)
    case Isa::avx512:
      return avx512::loss_kernels;
#endif
    default:
      return scalar::loss_kernels;
  }
}

template <class T>
LossConstants<T> make_constants(const LossParams& p) {
  LossConstants<T> k{};
  k.delta = static_cast<T>(p.delta);
  k.half_delta_sq = static_cast<T>(0.5 * p.delta * p.delta);
  k.label_smoothing = static_cast<T>(p.label_smoothing);
  k.smooth_keep = static_cast<T>(1.0 - p.label_smoothing);
  k.smooth_add_binary = static_cast<T>(0.5 * p.label_smoothing);
  k.eps = static_cast<T>(1e-7);
  k.one_minus_eps = static_cast<T>(1.0 - 1e-7);
  k.log_lower = static_cast<T>(std::log(1e-7));
  k.log_upper = static_cast<T>(std::log(1.0 - 1e-7));
  k.log_one_minus_upper = static_cast<T>(std::log(1.0 - (1.0 - 1e-7)));
  k.alpha = static_cast<T>(p.alpha);
  k.gamma = static_cast<T>(p.gamma);
  k.apply_class_balancing = p.apply_class_balancing;
  k.z_loss = p.z_loss;
  return k;
}

std::int64_t label_of(const void* labels, int bytes, std::size_t r) {
  return bytes == 8 ? static_cast<const std::int64_t*>(labels)[r]
                    : static_cast<const std::int32_t*>(labels)[r];
}

// Checks the labels; returns the number of rows ignore_class leaves.
template <class T>
std::size_t check_labels(const LossInput<T>& in, const LossParams& p) {
  if (in.labels == nullptr) throw std::invalid_argument("y_true: class labels are required");
  if (in.label_bytes != 4 && in.label_bytes != 8)
    throw std::invalid_argument("y_true: labels must be int32 or int64");
  const auto classes = static_cast<std::int64_t>(in.cols);
  std::size_t valid = 0;
  for (std::size_t r = 0; r < in.rows; ++r) {
    const std::int64_t label = label_of(in.labels, in.label_bytes, r);
    if (p.has_ignore_class && label == p.ignore_class) continue;
    ++valid;
    if (label < 0 || label >= classes)
      throw std::invalid_argument("y_true holds the label " + std::to_string(label) +
                                  " at position " + std::to_string(r) +
                                  "; labels must lie in [0, " + std::to_string(classes) + ")" +
                                  (p.has_ignore_class ? " or equal ignore_class" : ""));
  }
  return valid;
}

// Σ w over the rows (the mask folded in), in row order.
template <class T>
double weight_sum(const LossInput<T>& in, const LossParams& p, bool masked) {
  double s = 0.0;
  for (std::size_t r = 0; r < in.rows; ++r) {
    if (masked && label_of(in.labels, in.label_bytes, r) == p.ignore_class) continue;
    s += in.sample_weight ? static_cast<double>(in.sample_weight[r * in.weight_stride]) : 1.0;
  }
  return s;
}

// Rows per piece: about kChunkElements elements, a multiple of 16 rows (the
// row blocks of the few-class paths).
std::size_t rows_per_piece(std::size_t cols) {
  const std::size_t rows = kChunkElements / std::max<std::size_t>(cols, 1);
  return std::max<std::size_t>(16, rows / 16 * 16);
}

}  // namespace

LossTargets loss_targets(LossKind kind) { return kTargets[static_cast<int>(kind)]; }
const char* loss_name(LossKind kind) { return kNames[static_cast<int>(kind)]; }

const LossKernelTable& active_loss_kernels() { return loss_table_of(active_isa()); }

template <class T>
double loss(LossKind kind, const LossInput<T>& in, Reduction reduction, const LossParams& params) {
  const int index = static_cast<int>(kind);
  if (index < 0 || index >= kLossKindCount) throw std::invalid_argument("unknown loss kind");
  const bool labels = loss_targets(kind) == LossTargets::labels;
  const bool masked = labels && params.has_ignore_class;
  std::size_t count = in.rows;
  if (labels) count = check_labels(in, params);

  LossCall<T> call{in, make_constants<T>(params), 1.0, masked, params.ignore_class};
  switch (reduction) {
    case Reduction::none:
    case Reduction::sum:
      call.divisor = 1.0;
      break;
    case Reduction::sum_over_batch_size:
    case Reduction::mean:
      call.divisor = static_cast<double>(count);
      break;
    case Reduction::mean_with_sample_weight:
      call.divisor = in.sample_weight || masked ? weight_sum(in, params, masked)
                                                : static_cast<double>(in.rows);
      break;
  }

  const LossKernelTable& table = active_loss_kernels();
  const LossRowsFn<T> kernel = [&] {
    if constexpr (sizeof(T) == 4)
      return table.f32[index];
    else
      return table.f64[index];
  }();

  const std::size_t per_piece = rows_per_piece(in.cols);
  const std::size_t pieces = (in.rows + per_piece - 1) / per_piece;
  double total = 0.0;
  const int threads = num_threads();
  if (pieces <= 1 || threads <= 1 || in.rows * in.cols < kParallelMinElements) {
    // The same pieces in the same order as the threaded path.
    for (std::size_t p = 0; p < pieces; ++p)
      total += kernel(call, p * per_piece, std::min(in.rows, (p + 1) * per_piece));
  } else {
    thread_local std::vector<double> partial_storage;
    std::vector<double>& partial = partial_storage;
    partial.assign(pieces, 0.0);
    const auto n = static_cast<long long>(pieces);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
    for (long long p = 0; p < n; ++p) {
      const auto b = static_cast<std::size_t>(p) * per_piece;
      partial[static_cast<std::size_t>(p)] = kernel(call, b, std::min(in.rows, b + per_piece));
    }
    for (std::size_t p = 0; p < pieces; ++p) total += partial[p];
  }
  if (reduction == Reduction::none) return 0.0;
  return call.divisor > 0 ? total / call.divisor : 0.0;
}

template <class T>
void vmath_apply_active(int fn, const T* x, T* out, std::size_t n) {
  if (fn < 0 || fn > 2) throw std::invalid_argument("vmath function must be 0, 1 or 2");
  const LossKernelTable& table = active_loss_kernels();
  if constexpr (sizeof(T) == 4)
    table.vmath_f32(fn, x, out, n);
  else
    table.vmath_f64(fn, x, out, n);
}

template double loss<float>(LossKind, const LossInput<float>&, Reduction, const LossParams&);
template double loss<double>(LossKind, const LossInput<double>&, Reduction, const LossParams&);
template void vmath_apply_active<float>(int, const float*, float*, std::size_t);
template void vmath_apply_active<double>(int, const double*, double*, std::size_t);

}  // namespace optkern
