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

// Put before an optimizer's element loop: two vectors per iteration. Measured on
// Zen 4 with the Adam loop, this ran 1.3-1.5x faster than one vector per
// iteration both in cache (2^14 floats) and from memory (2^22-2^24); the
// arithmetic of each element is unchanged, so the bits are too.
#define OPTKERN_UNROLL_2 _Pragma("GCC unroll 2")

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

// The moving average of a parameter: μ·s + (1 − μ)·p, with 1 − μ given in T.
template <class T>
inline T moving_average(T s, T p, T momentum, T one_minus) {
  return momentum * s + one_minus * p;
}

// The common tail of every update: finish(i, p) takes element i's freshly
// updated parameter p and returns what is stored as the parameter. A plain
// step stores p; with an EMA the average's element is updated from p (still
// in a register, so the EMA costs one more stream, not a second pass) and,
// on an overwrite call, the average is stored instead. The loops take the
// finish by value: the fields of a copy stay in registers, where those behind
// a reference could alias the stores and keep the loop from vectorizing.
struct PlainFinish {
  template <class T>
  T operator()(std::size_t, T p) const {
    return p;
  }
};

template <class T, bool OVERWRITE>
struct EmaFinish {
  T* average;
  T momentum, one_minus;

  T operator()(std::size_t i, T p) const {
    const T s = moving_average(average[i], p, momentum, one_minus);
    average[i] = s;
    if constexpr (OVERWRITE) return s;
    return p;
  }
};

// Calls f(finish) with the finish of an epilogue (options.hpp): each loop
// template is compiled for a plain step, with the EMA, and with the EMA on an
// overwrite call.
template <class T, class F>
inline void choose_epilogue(const Epilogue<T>& e, F&& f) {
  if (e.average == nullptr)
    f(PlainFinish{});
  else if (e.overwrite)
    f(EmaFinish<T, true>{e.average, e.momentum, e.one_minus});
  else
    f(EmaFinish<T, false>{e.average, e.momentum, e.one_minus});
}

}  // namespace optkern::OPTKERN_TARGET
