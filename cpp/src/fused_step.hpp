// The multi-tensor step shared by every optimizer: each group's constants
// once per step (double maths, Opt::coeffs), then one pass over all tensors
// with the active ISA's kernel, split across threads as chunking.hpp
// describes. steps.cpp instantiates it once per optimizer.
//
// The training controls (controls.hpp) ride in the same pass: a tensor with
// an accumulator or an EMA array is walked in blocks of kControlBlock
// elements, and each block goes through the accumulation, the update and the
// EMA while it is in cache, so the EMA costs one more stream (the average),
// not a second pass over the parameters.
#pragma once

#include <algorithm>
#include <vector>

#include "chunking.hpp"
#include "dispatch.hpp"
#include "optkern/controls.hpp"
#include "optkern/optimizer.hpp"

namespace optkern {

// Elements per block of a tensor with training controls: a few arrays of it
// fit in a core's L1 cache.
inline constexpr std::size_t kControlBlock = 1024;

template <class Opt, class T>
void fused_step(const TensorOf<Opt, T>* tensors, std::size_t count,
                const typename Opt::Group* groups, std::size_t group_count, std::int64_t step,
                const StepControls& controls) {
  using Coeffs = typename Opt::template Coeffs<T>;
  const auto kernel = active_kernels<Opt>().template get<T>();
  const auto accumulate = active_kernels<AccumulateKernel>().template get<T>();
  const auto average = active_kernels<AverageGradsKernel>().template get<T>();
  const auto ema = active_kernels<EmaKernel>().template get<T>();
  const bool update = controls.update;
  const T accum_steps = static_cast<T>(controls.accum_steps);
  const T mu = static_cast<T>(controls.ema_momentum);
  const T one_minus_mu = T(1) - mu;  // in T, as Keras computes 1 − μ
  const bool overwrite = controls.ema_overwrite;
  // Reused by the calling thread: a step allocates nothing once it has run.
  thread_local std::vector<Coeffs> coeffs_storage;
  std::vector<Coeffs>& coeffs = coeffs_storage;
  coeffs.resize(group_count);
  if (update)
    for (std::size_t g = 0; g < group_count; ++g)
      coeffs[g] = Opt::template coeffs<T>(groups[g], step);
  detail::for_each_piece(
      count, [&](std::size_t i) { return tensors[i].size; },
      [&](std::size_t i, std::size_t b, std::size_t e) {
        const TensorOf<Opt, T>& x = tensors[i];
        Coeffs k{};
        T* slots[Opt::kSlots];
        if (update) {
          k = coeffs[x.group];
          // maximize folds into the gradient factor as a sign
          k.prep.grad_scale =
              static_cast<T>(groups[x.group].maximize ? -x.grad_scale : x.grad_scale);
          if (x.no_decay) k.prep.weight_decay = WeightDecay::none;
        }
        if (x.accum == nullptr && x.average == nullptr) {
          if (!update) return;
          for (std::size_t s = 0; s < Opt::kSlots; ++s)
            slots[s] = x.slots[s] ? x.slots[s] + b : nullptr;
          kernel(x.param + b, x.grad + b, slots, e - b, k);
          return;
        }
        alignas(64) T grad_block[kControlBlock];
        for (std::size_t bb = b; bb < e; bb += kControlBlock) {
          const std::size_t n = std::min(e - bb, kControlBlock);
          const T* g = x.grad + bb;
          if (x.accum != nullptr) {
            if (update) {
              average(grad_block, g, x.accum + bb, accum_steps, n);
              g = grad_block;
            } else {
              accumulate(x.accum + bb, g, n);
            }
          }
          if (update) {
            for (std::size_t s = 0; s < Opt::kSlots; ++s)
              slots[s] = x.slots[s] ? x.slots[s] + bb : nullptr;
            kernel(x.param + bb, g, slots, n, k);
          }
          if (x.average != nullptr)
            ema(x.average + bb, x.param + bb, n, mu, one_minus_mu, overwrite);
        }
      });
}

}  // namespace optkern

#define OPTKERN_INSTANTIATE_STEP(Opt)                                                          \
  template void optkern::fused_step<optkern::Opt, float>(                                      \
      const optkern::TensorOf<optkern::Opt, float>*, std::size_t, const optkern::Opt::Group*,  \
      std::size_t, std::int64_t, const optkern::StepControls&);                                \
  template void optkern::fused_step<optkern::Opt, double>(                                     \
      const optkern::TensorOf<optkern::Opt, double>*, std::size_t, const optkern::Opt::Group*, \
      std::size_t, std::int64_t, const optkern::StepControls&);
