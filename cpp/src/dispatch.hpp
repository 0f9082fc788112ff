// Runtime dispatch of per-ISA kernels, without a central table.
//
// A kernel family Op (an optimizer descriptor, or SumSquares) names its entry
// point's type, Op::Fn<T>. Each per-ISA source exports the family's float32
// and float64 entry points for its ISA with one OPTKERN_EXPORT_KERNELS line,
// which defines the specialisation <isa>::kernels<Op>(); active_kernels<Op>()
// picks the one of the active ISA.
#pragma once

#include "optkern/optkern.hpp"

namespace optkern {

template <class Op>
struct KernelPair {
  typename Op::template Fn<float> f32;
  typename Op::template Fn<double> f64;

  template <class T>
  auto get() const {
    if constexpr (sizeof(T) == 4)
      return f32;
    else
      return f64;
  }
};

// Defined, per family, by OPTKERN_EXPORT_KERNELS in that ISA's build.
namespace scalar {
template <class Op>
const KernelPair<Op>& kernels();
}
#if defined(OPTKERN_HAVE_AVX2)
namespace avx2 {
template <class Op>
const KernelPair<Op>& kernels();
}
#endif
#if defined(OPTKERN_HAVE_AVX512)
namespace avx512 {
template <class Op>
const KernelPair<Op>& kernels();
}
#endif

template <class Op>
const KernelPair<Op>& active_kernels() {
  switch (active_isa()) {
#if defined(OPTKERN_HAVE_AVX2)
    case Isa::avx2:
      return avx2::kernels<Op>();
#endif
#if defined(OPTKERN_HAVE_AVX512)
    case Isa::avx512:
      return avx512::kernels<Op>();
#endif
    default:
      return scalar::kernels<Op>();
  }
}

// The sum-of-squares reduction's kernel (reduce.hpp), a family of its own.
struct SumSquares {
  template <class T>
  using Fn = void (*)(const T*, std::size_t, double*);
};

// The gradient pass before a step (reduce.hpp's grad_stats_lanes): sums of
// squares and the finite check in one read.
struct GradStats {
  template <class T>
  using Fn = void (*)(const T*, const T*, T, std::size_t, bool, bool, double*, T*);
};

}  // namespace optkern

// In a per-ISA source: export `fn<float>` and `fn<double>` (templates in
// optkern::OPTKERN_TARGET) as this ISA's kernels of family Op.
#define OPTKERN_EXPORT_KERNELS(Op, fn)                         \
  namespace optkern::OPTKERN_TARGET {                          \
  template <>                                                  \
  const KernelPair<Op>& kernels<Op>() {                        \
    static const KernelPair<Op> pair{&fn<float>, &fn<double>}; \
    return pair;                                               \
  }                                                            \
  }
