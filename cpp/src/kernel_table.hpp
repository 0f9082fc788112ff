// The table of per-ISA kernel entry points that the dispatcher chooses from.
#pragma once

#include <cstddef>

#include "optkern/options.hpp"

namespace optkern {

struct KernelTable {
  void (*adam_f32)(float*, const float*, float*, float*, float*, std::size_t,
                   const AdamCoeffs<float>&);
  void (*adam_f64)(double*, const double*, double*, double*, double*, std::size_t,
                   const AdamCoeffs<double>&);
  void (*sgd_f32)(float*, const float*, float*, std::size_t, const SgdCoeffs<float>&);
  void (*sgd_f64)(double*, const double*, double*, std::size_t, const SgdCoeffs<double>&);
  void (*sum_squares_f32)(const float*, std::size_t, double*);
  void (*sum_squares_f64)(const double*, std::size_t, double*);
};

namespace scalar { extern const KernelTable kernels; }
#if defined(OPTKERN_HAVE_AVX2)
namespace avx2 { extern const KernelTable kernels; }
#endif
#if defined(OPTKERN_HAVE_AVX512)
namespace avx512 { extern const KernelTable kernels; }
#endif

// The table of the active ISA (see set_isa).
const KernelTable& active_kernels();

}  // namespace optkern
