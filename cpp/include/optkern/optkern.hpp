// optkern's C++ API: multi-tensor optimizer steps with runtime ISA dispatch
// and OpenMP threading. No Python anywhere; link against the optkern core
// sources (cpp/src) to use it from a C++ trainer.
//
// A step takes every tensor of a model at once. With kParallelMinElements
// elements or more in all, the elements of all tensors, taken in order, are
// split into one equal contiguous part per thread (cut at multiples of 16
// elements), run in one parallel region; smaller steps run on the calling
// thread. Each element's update is independent of the others and every path
// applies the same IEEE operations, so results are bitwise identical for any
// number of threads. Reductions sum fixed pieces of kChunkElements in a fixed
// order, so they are too. docs/optimizers.md states the rules for users.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "optkern/options.hpp"

namespace optkern {

// ---- instruction sets -------------------------------------------------------
enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
// Parses "scalar" | "avx2" | "avx512"; throws std::invalid_argument otherwise.
Isa parse_isa(const std::string& name);
// The ISAs this build has kernels for and this CPU can run, lowest first.
std::vector<Isa> available_isas();
Isa active_isa();
// Selects the kernels; throws std::invalid_argument if the ISA is unavailable.
void set_isa(Isa isa);

// ---- threads ----------------------------------------------------------------
bool openmp_enabled();
int num_threads();
// Sets the thread count for optkern's parallel regions; n >= 1.
void set_num_threads(int n);

// Elements per piece of a reduction (sum_squares): each tensor is cut into
// pieces of this size, whose partial sums add in a fixed order whatever the
// thread count. Optimizer steps do not use it (see above).
inline constexpr std::size_t kChunkElements = std::size_t{1} << 13;
// The least total work, in elements, that steps and reductions spread across
// threads; smaller ones run on the calling thread.
inline constexpr std::size_t kParallelMinElements = std::size_t{1} << 14;

// ---- optimizer steps --------------------------------------------------------
// Hyperparameters of one parameter group for one step (double, as given).
struct AdamGroup {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-7, weight_decay = 0.0;
  double clip = 0.0;           // clipvalue c > 0, or 0 for none
  std::int64_t step = 1;       // t, 1-based
  Convention convention = Convention::keras;
  WeightDecay weight_decay_mode = WeightDecay::none;
  bool amsgrad = false;
  bool maximize = false;
};

template <class T>
struct AdamTensor {
  T* param;
  const T* grad;
  T* exp_avg;
  T* exp_avg_sq;
  T* max_exp_avg_sq;    // null unless the group is amsgrad
  std::size_t size;
  double grad_scale;    // clipnorm / global_clipnorm factor; 1 for none
  std::size_t group;    // index into the groups array
};

// One Adam step over `count` tensors; tensors[i].group indexes `groups`.
template <class T>
void adam_step(const AdamTensor<T>* tensors, std::size_t count, const AdamGroup* groups,
               std::size_t group_count);

struct SgdGroup {
  double lr = 0.01, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  double clip = 0.0;
  Convention convention = Convention::keras;
  WeightDecay weight_decay_mode = WeightDecay::none;
  bool nesterov = false;
  bool first_step = false;     // torch: the momentum buffer starts as g
  bool maximize = false;
};

template <class T>
struct SgdTensor {
  T* param;
  const T* grad;
  T* momentum_buffer;   // null when the group's momentum is 0
  std::size_t size;
  double grad_scale;
  std::size_t group;
};

// One SGD step over `count` tensors; tensors[i].group indexes `groups`.
template <class T>
void sgd_step(const SgdTensor<T>* tensors, std::size_t count, const SgdGroup* groups,
              std::size_t group_count);

// ---- reductions -------------------------------------------------------------
// out[i] = Σ xs[i][j]² accumulated in double, deterministic for any thread
// count and any ISA.
template <class T>
void sum_squares(const T* const* xs, const std::size_t* sizes, std::size_t count, double* out);

}  // namespace optkern
