// The per-ISA table of loss kernels, one entry per LossKind in list order.
#pragma once

#include <cstddef>

#include "optkern/losses.hpp"

namespace optkern {

template <class T>
struct LossCall;

template <class T>
using LossRowsFn = double (*)(const LossCall<T>&, std::size_t, std::size_t);

struct LossKernelTable {
  LossRowsFn<float> f32[kLossKindCount];
  LossRowsFn<double> f64[kLossKindCount];
  void (*vmath_f32)(int, const float*, float*, std::size_t);
  void (*vmath_f64)(int, const double*, double*, std::size_t);
};

namespace scalar {
extern const LossKernelTable loss_kernels;
}
#if defined(OPTKERN_HAVE_AVX2)
namespace avx2 {
extern const LossKernelTable loss_kernels;
}
#endif
#if defined(OPTKERN_HAVE_AVX512)
namespace avx512 {
extern const LossKernelTable loss_kernels;
}
#endif

// The table of the active ISA (see set_isa).
const LossKernelTable& active_loss_kernels();

}  // namespace optkern
