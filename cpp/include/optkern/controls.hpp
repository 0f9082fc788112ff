// Training controls every optimizer shares, applied by the generic fused step
// (fused_step.hpp) around the optimizer's own kernel: gradient accumulation,
// a moving average of the parameters (EMA), and the per-step constants that
// drive them. The EMA of a step that updates is the optimizer kernel's own
// epilogue (Epilogue in options.hpp, EmaFinish in target.hpp); the kernels
// here (accumulation, and the EMA of a call that does not update) have their
// own per-ISA kernel families, exported like an optimizer's with
// OPTKERN_EXPORT_KERNELS (cpp/src/kernels/controls.cpp).
//
// Keras 3 maths, element by element, in the parameter's dtype T:
//   accumulate   a ← a + g                          (a call that does not update)
//   average      ḡ = (g + a) / k; a ← 0             (the call that updates: ḡ is the grad)
//   EMA          s ← μ·s + (1 − μ)·p                (after the update, every call)
//                p ← s                              (on an overwrite call)
#pragma once

#include <cstddef>

#include "optkern/target.hpp"

namespace optkern {

// The controls of one step call (all off by default: a plain step).
struct StepControls {
  bool update = true;          // false: accumulate (and EMA) only, no optimizer update
  double accum_steps = 1.0;    // k, the divisor of the accumulated gradient
  double ema_momentum = 0.0;   // μ (0 on the first call, as Keras)
  bool ema_overwrite = false;  // copy the averages into the parameters after the EMA
};

// a ← a + g, n elements.
struct AccumulateKernel {
  template <class T>
  using Fn = void (*)(T* acc, const T* g, std::size_t n);
};

// out = (g + a) / k; a ← 0, n elements (out may not alias g or a).
struct AverageGradsKernel {
  template <class T>
  using Fn = void (*)(T* out, const T* g, T* acc, T k, std::size_t n);
};

// s ← μ·s + (1 − μ)·p, then p ← s if overwrite; one_minus = 1 − μ in T.
struct EmaKernel {
  template <class T>
  using Fn = void (*)(T* avg, T* p, std::size_t n, T momentum, T one_minus, bool overwrite);
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T>
inline void accumulate_grads(T* __restrict acc, const T* __restrict g, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) acc[i] = g[i] + acc[i];
}

template <class T>
inline void average_grads(T* __restrict out, const T* __restrict g, T* __restrict acc, T k,
                          std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = (g[i] + acc[i]) / k;
    acc[i] = T(0);
  }
}

template <class T, bool OVERWRITE>
inline void ema_loop(T* __restrict s, T* __restrict p, std::size_t n, T mu, T omm) {
  for (std::size_t i = 0; i < n; ++i) {
    const T si = moving_average(s[i], p[i], mu, omm);
    s[i] = si;
    if constexpr (OVERWRITE) p[i] = si;
  }
}

template <class T>
inline void ema_update(T* s, T* p, std::size_t n, T mu, T omm, bool overwrite) {
  if (overwrite)
    ema_loop<T, true>(s, p, n, mu, omm);
  else
    ema_loop<T, false>(s, p, n, mu, omm);
}

}  // namespace optkern::OPTKERN_TARGET
