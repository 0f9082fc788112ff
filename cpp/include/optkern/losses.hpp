// optkern's loss kernels: the per-sample losses, the reduced value and the
// gradient with respect to the prediction, from one call (Keras 3 semantics).
// No Python here; a C++ trainer calls optkern::loss directly.
//
// One call: a pre-pass over the labels and weights (labels out of range throw
// std::invalid_argument before anything is written; the valid count under
// ignore_class; Σw for mean_with_sample_weight) fixes the divisor, then the
// rows are cut into fixed pieces, run on OpenMP threads, each piece writing
// its rows' per-sample losses and gradients and returning Σ w·L in double;
// the pieces' sums add in piece order. Nothing depends on the thread count or
// the ISA, so results are bitwise identical for every one.
//
// Adding a loss (three places of its own and two one-line registrations):
//  1. A kernel header cpp/include/optkern/losses/<name>.hpp in the per-ISA
//     namespace optkern::OPTKERN_TARGET. For a loss that is a mean (or sum)
//     over the last axis of an elementwise f(y, ŷ), write a functor with
//       template <class V> static void eval(V y, V p,
//           const LossConstants<elem_t<V>>& k, V& f, V& df);
//     on native vectors (V is vf or vd; use vexp/vlog/vlog1p from
//     optkern/vmath.hpp; selects, not branches; elementwise only, so that
//     every ISA's width gives the same bits) that sets f = f(y, ŷ) and
//     df = ∂f/∂ŷ, and register ElementwiseLoss<Functor> (kernel.hpp does the
//     rest: tails, the mean over the last axis, weights, reductions, the
//     gradient scale). For a loss that needs a whole row, write a functor
//     with a static `row` function and register RowwiseLoss<Functor>; for full
//     control write a struct with a static `rows` template (kernel.hpp says
//     what each must do).
//  2. One line X(name, Kernel, targets) in losses/list.hpp (or extra_list.hpp)
//     and one #include of the header in cpp/src/loss_kernels.cpp (or
//     losses/extra_kernels.hpp). The kind is then LossKind::name and
//     _core.LossKind.name; nothing else in C++ or the bindings changes.
//  3. One Python class in python/optkern/losses/ (see _base.py there).
// New per-loss constants go into LossParams (as given) and LossConstants
// (as the kernel uses them, filled in cpp/src/losses.cpp: make_constants).
#pragma once

#include <cstddef>
#include <cstdint>

#include "optkern/losses/list.hpp"

namespace optkern {

enum class LossKind : int {
#define OPTKERN_LOSS_ENUM(name, kernel, targets) name,
  OPTKERN_LOSS_LIST(OPTKERN_LOSS_ENUM)
#undef OPTKERN_LOSS_ENUM
};

inline constexpr int kLossKindCount = 0
#define OPTKERN_LOSS_COUNT(name, kernel, targets) +1
    OPTKERN_LOSS_LIST(OPTKERN_LOSS_COUNT)
#undef OPTKERN_LOSS_COUNT
    ;

// What y_true holds: an array of y_pred's shape, or one class label per row.
enum class LossTargets : std::uint8_t { dense = 0, labels = 1 };

LossTargets loss_targets(LossKind kind);
const char* loss_name(LossKind kind);

// How the per-sample losses L (weighted: L·w) become the value.
enum class Reduction : std::uint8_t {
  none = 0,                     // L·w per sample; the gradient is that of Σ L·w
  sum = 1,                      // Σ L·w
  sum_over_batch_size = 2,      // Σ L·w / n (n: samples, or valid rows under a mask)
  mean = 3,                     // the same as sum_over_batch_size
  mean_with_sample_weight = 4,  // Σ L·w / Σ w
};

// A loss's arguments, as the user gave them.
struct LossParams {
  double label_smoothing = 0.0;
  double delta = 1.0;                  // Huber
  double z_loss = 0.0;                 // softmax cross-entropies from logits: + z·lse²
  double alpha = 0.25;                 // focal losses
  double gamma = 2.0;                  // focal losses
  bool apply_class_balancing = false;  // focal losses
  bool has_ignore_class = false;
  std::int64_t ignore_class = 0;
};

// Arrays of one call. y_pred (and y_true when dense) hold rows × cols
// elements, C order, the class axis last; grad may be y_pred itself (each
// element is read before its gradient is written).
template <class T>
struct LossInput {
  const T* y_true = nullptr;     // dense targets
  const void* labels = nullptr;  // class labels, one per row
  int label_bytes = 8;           // 4 (int32) or 8 (int64)
  const T* y_pred = nullptr;
  const T* sample_weight = nullptr;  // null: 1
  std::size_t weight_stride = 1;     // 1: one weight per row; 0: one for all
  std::size_t rows = 0, cols = 0;
  T* per_sample = nullptr;  // rows; receives L·w (optional)
  T* grad = nullptr;        // rows × cols; receives d(value)/d(y_pred) (optional)
};

// Runs one loss: fills per_sample and grad when given and returns the
// reduced value (0 for Reduction::none). Throws std::invalid_argument, before
// writing anything, for a label outside [0, cols) other than ignore_class.
template <class T>
double loss(LossKind kind, const LossInput<T>& input, Reduction reduction,
            const LossParams& params);

// exp (fn 0), log (1) or log1p (2) of optkern/vmath.hpp on the active ISA,
// elementwise; for testing their accuracy and their agreement across ISAs.
template <class T>
void vmath_apply_active(int fn, const T* x, T* out, std::size_t n);

}  // namespace optkern
