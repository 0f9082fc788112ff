// optkern's C++ API: multi-tensor optimizer steps with runtime ISA dispatch
// and OpenMP threading. No Python anywhere; link against the optkern core
// sources (cpp/src) to use it from a C++ trainer.
//
// A step takes every tensor of a model at once. When it moves
// kParallelMinStepBytes or more in all, the elements of all tensors, taken in order, are
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

#include "optkern/controls.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/optimizers.hpp"
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
// The least total work, in elements, that reductions and losses spread across
// threads; smaller ones run on the calling thread.
inline constexpr std::size_t kParallelMinElements = std::size_t{1} << 14;
// The least an optimizer step must move, in bytes (every array it reads or
// writes, once per element: 3 + 2 x slots streams), to spread across threads:
// starting a parallel region costs a few microseconds, about what one core
// needs to stream 1 MiB through its cache. Adam's float32 steps go parallel
// from about 29 000 elements, SGD's with momentum from about 52 000.
inline constexpr std::size_t kParallelMinStepBytes = std::size_t{1} << 20;

// ---- optimizer steps --------------------------------------------------------
// fused_step<Opt, T> (optimizer.hpp) with Opt one of the descriptors in
// optimizers.hpp: optkern::Adam, optkern::Sgd, ...

// ---- reductions -------------------------------------------------------------
// out[i] = Σ xs[i][j]² accumulated in double, deterministic for any thread
// count and any ISA.
template <class T>
void sum_squares(const T* const* xs, const std::size_t* sizes, std::size_t count, double* out);

// The gradient pass before a step, in one read of each grad: with `squares`,
// out[i] = Σ x² over tensor i (as sum_squares, same bits), where x = g, or
// x = (g + a)/k in T when accs[i] is given (accs may be null); with
// `finite_check`, whether every g is finite (else true is returned).
template <class T>
bool grad_stats(const T* const* grads, const T* const* accs, double k, const std::size_t* sizes,
                std::size_t count, bool squares, bool finite_check, double* out);

}  // namespace optkern
