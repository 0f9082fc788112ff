// The multi-tensor step shared by every optimizer: each group's constants
// once per step (double maths, Opt::coeffs), then one pass over all tensors
// with the active ISA's kernel, split across threads as chunking.hpp
// describes. steps.cpp instantiates it once per optimizer.
//
// The training controls (controls.hpp) ride in the same pass. The EMA is the
// kernel's epilogue: each freshly updated parameter goes into the average
// from a register, so the EMA costs one more stream (the average), not a
// second pass. A tensor with an accumulator is walked in blocks of
// kControlBlock elements: each block's gradient is averaged into a buffer
// that stays in cache, and the kernel reads it from there.
#pragma once

#include <algorithm>
#include <vector>

#include "chunking.hpp"
#include "dispatch.hpp"
#include "optkern/controls.hpp"
#include "optkern/optimizer.hpp"

namespace optkern {

// Elements per block of a tensor with an accumulator: the averaged gradient's
// buffer and the block of every array the kernel reads fit in a core's L1.
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
        Epilogue<T> epilogue{};
        if (x.average != nullptr) epilogue = {x.average + b, mu, one_minus_mu, overwrite};
        if (x.accum == nullptr) {
          if (update) {
            for (std::size_t s = 0; s < Opt::kSlots; ++s)
              slots[s] = x.slots[s] ? x.slots[s] + b : nullptr;
            kernel(x.param + b, x.grad + b, slots, e - b, k, epilogue);
          } else if (x.average != nullptr) {
            ema(x.average + b, x.param + b, e - b, mu, one_minus_mu, overwrite);
          }
          return;
        }
        alignas(64) T grad_block[kControlBlock];
        for (std::size_t bb = b; bb < e; bb += kControlBlock) {
          const std::size_t n = std::min(e - bb, kControlBlock);
          if (update) {
            average(grad_block, x.grad + bb, x.accum + bb, accum_steps, n);
            for (std::size_t s = 0; s < Opt::kSlots; ++s)
              slots[s] = x.slots[s] ? x.slots[s] + bb : nullptr;
            if (x.average != nullptr) epilogue.average = x.average + bb;
            kernel(x.param + bb, grad_block, slots, n, k, epilogue);
          } else {
            accumulate(x.accum + bb, x.grad + bb, n);
            if (x.average != nullptr)
              ema(x.average + bb, x.param + bb, n, mu, one_minus_mu, overwrite);
          }
        }
      },
      kParallelMinStepBytes / (sizeof(T) * (3 + 2 * Opt::kSlots)));
}

}  // namespace optkern

#define OPTKERN_INSTANTIATE_STEP(Opt)                                                          \
  template void optkern::fused_step<optkern::Opt, float>(                                      \
      const optkern::TensorOf<optkern::Opt, float>*, std::size_t, const optkern::Opt::Group*,  \
      std::size_t, std::int64_t, const optkern::StepControls&);                                \
  template void optkern::fused_step<optkern::Opt, double>(                                     \
      const optkern::TensorOf<optkern::Opt, double>*, std::size_t, const optkern::Opt::Group*, \
      std::size_t, std::int64_t, const optkern::StepControls&);
