// Per-ISA namespace for inline kernel code.
//
// Every inline function that does arithmetic lives in optkern::OPTKERN_TARGET.
// The build compiles the kernels once per instruction set, each translation
// unit with its own -m flags and its own OPTKERN_TARGET (scalar, avx2, avx512),
// so the linker can never merge an AVX-512 copy of an inline function into the
// baseline path (the ODR trap that per-ISA builds otherwise fall into).
// A C++ trainer that includes these headers directly gets optkern::generic.
#pragma once

#include "optkern/options.hpp"

#ifndef OPTKERN_TARGET
#define OPTKERN_TARGET generic
#endif

namespace optkern::OPTKERN_TARGET {

// IEEE square root; with -fno-math-errno this is one vsqrtp[sd] per vector.
inline float sqrt_ieee(float x) { return __builtin_sqrtf(x); }
inline double sqrt_ieee(double x) { return __builtin_sqrt(x); }

// max(a, b) that propagates a NaN from either side, like np.maximum.
template <class T>
inline T max_nan(T a, T b) {
  return (a > b || a != a) ? a : b;
}

// clip(x, -c, c) that lets NaN through, like np.clip; c = inf is the identity.
template <class T>
inline T clip_symmetric(T x, T c) {
  return x < -c ? -c : (x > c ? c : x);
}

// The common head of every update: g ← clip(g·s, −c, c) when SCALED (else
// s = 1 and c = ∞, an identity not worth its instructions in a kernel that is
// compute-bound in cache), then weight decay of mode WD (l2 folds λp into g;
// the decoupled forms shrink p before the rule).
template <WeightDecay WD, bool SCALED, class T>
inline void prepare_grad(T& p, T& g, T scale, T clip, T decay) {
  if constexpr (SCALED) g = clip_symmetric(g * scale, clip);
  if constexpr (WD == WeightDecay::l2) g = g + decay * p;
  if constexpr (WD == WeightDecay::decoupled_keras) p = p - p * decay;
  if constexpr (WD == WeightDecay::decoupled_torch) p = p * decay;
}

// Whether a tensor's gradient needs prepare_grad's scale-and-clip.
template <class T>
inline bool grad_is_scaled(T scale, T clip) {
  return scale != T(1) || clip <= T(3.0e38);  // a finite clip bound
}

}  // namespace optkern::OPTKERN_TARGET
