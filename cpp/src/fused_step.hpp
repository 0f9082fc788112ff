// The multi-tensor step shared by every optimizer: each group's constants
// once per step (double maths, Opt::coeffs), then one pass over all tensors
// with the active ISA's kernel, split across threads as chunking.hpp
// describes. steps.cpp instantiates it once per optimizer.
#pragma once

#include <vector>

#include "chunking.hpp"
#include "dispatch.hpp"
#include "optkern/optimizer.hpp"

namespace optkern {

template <class Opt, class T>
void fused_step(const TensorOf<Opt, T>* tensors, std::size_t count,
                const typename Opt::Group* groups, std::size_t group_count, std::int64_t step) {
  using Coeffs = typename Opt::template Coeffs<T>;
  const auto kernel = active_kernels<Opt>().template get<T>();
  // Reused by the calling thread: a step allocates nothing once it has run.
  thread_local std::vector<Coeffs> coeffs_storage;
  std::vector<Coeffs>& coeffs = coeffs_storage;
  coeffs.resize(group_count);
  for (std::size_t g = 0; g < group_count; ++g)
    coeffs[g] = Opt::template coeffs<T>(groups[g], step);
  detail::for_each_piece(
      count, [&](std::size_t i) { return tensors[i].size; },
      [&](std::size_t i, std::size_t b, std::size_t e) {
        const TensorOf<Opt, T>& x = tensors[i];
        Coeffs k = coeffs[x.group];
        // maximize folds into the gradient factor as a sign
        k.prep.grad_scale = static_cast<T>(groups[x.group].maximize ? -x.grad_scale
                                                                     : x.grad_scale);
        T* slots[Opt::kSlots];
        for (std::size_t s = 0; s < Opt::kSlots; ++s)
          slots[s] = x.slots[s] ? x.slots[s] + b : nullptr;
        kernel(x.param + b, x.grad + b, slots, e - b, k);
      });
}

}  // namespace optkern

#define OPTKERN_INSTANTIATE_STEP(Opt)                                                    \
  template void optkern::fused_step<optkern::Opt, float>(                                \
      const optkern::TensorOf<optkern::Opt, float>*, std::size_t,                        \
      const optkern::Opt::Group*, std::size_t, std::int64_t);                            \
  template void optkern::fused_step<optkern::Opt, double>(                               \
      const optkern::TensorOf<optkern::Opt, double>*, std::size_t,                       \
      const optkern::Opt::Group*, std::size_t, std::int64_t);
