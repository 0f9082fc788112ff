// Vectorised exp, log and log1p of our own, for the loss kernels.
//
// Written once on GCC vector types of the ISA's native width (16 bytes in the
// baseline build, 32 with AVX2, 64 with AVX-512; wider generic vectors are
// scalarised by GCC as soon as they are compared). Every function is
// elementwise and applies the same IEEE operations in the same order to each
// element, whatever the width, so every ISA returns the same bits. A scalar is
// evaluated by broadcasting it into a vector and taking lane 0: the same
// polynomial again.
//
// Method (branch-free; selects instead of branches; plain mul/add, since the
// kernels are built with -ffp-contract=off):
//   exp(x):   n = round(x/ln2) by adding 1.5·2^p; r = x − n·ln2 (Cody–Waite,
//             ln2 split in a short head and a tail; on AVX-512 n is one
//             vrndscalep, the same nearest-even integer); e^r as
//             1 + r + r²·P(r) (float: P a degree-4 minimax fit; double: the
//             Taylor series to degree 13; |r| ≤ ln2/2); times 2^n
//             built from exponent bits, in two factors so that subnormal
//             results round once and overflow gives inf (on AVX-512 one
//             vscalefp, which rounds p·2^n once: the same bits).
//   log(x):   x = m·2^e with m in [√½, √2) read from the bits (subnormals
//             scaled by 2^p first; on AVX-512 vgetmantp and vgetexpp, which
//             give the same exact m and e); with f = m − 1 and s = f/(2 + f),
//             log m = 2·atanh(s) = f − s·(f − R(s²)),
//             R(z) = Σ 2zᵏ/(2k+1) (k = 1..4 float, 1..10 double);
//             then + e·ln2 (head and tail).
//   log1p(x): u = 1 + x; log(u)·x/(u − 1), or x where u == 1.
// Error against the correctly rounded result (checked by the tests over the
// whole float range and random doubles): exp and log ≤ 2 ulp, log1p ≤ 3 ulp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "optkern/target.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

// Forces inlining: a vector passed to a call may go through memory.
#define OPTKERN_VINLINE inline __attribute__((always_inline))

// The native vector width of this translation unit's ISA, in bytes.
#if defined(__AVX512F__)
#define OPTKERN_VECTOR_BYTES 64
#elif defined(__AVX__)
#define OPTKERN_VECTOR_BYTES 32
#else
#define OPTKERN_VECTOR_BYTES 16
#endif

namespace optkern::OPTKERN_TARGET {

typedef float vf __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));
typedef double vd __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));
typedef float vf_half __attribute__((vector_size(OPTKERN_VECTOR_BYTES / 2)));
typedef std::int32_t vi32 __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));
typedef std::int64_t vi64 __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));
typedef std::uint32_t vu32 __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));
typedef std::uint64_t vu64 __attribute__((vector_size(OPTKERN_VECTOR_BYTES)));

// The vector type of an element type, its integer twin and its lane count.
template <class T>
struct simd;

template <>
struct simd<float> {
  using V = vf;
  using I = vi32;
  using U = vu32;
  using Bits = std::int32_t;
  static constexpr std::size_t W = OPTKERN_VECTOR_BYTES / 4;
  static constexpr Bits kExponentMask = 0xff;
  static constexpr int kMantissaBits = 23;
  static constexpr int kBias = 127;
  static constexpr Bits kMantissaMask = 0x7fffff;
  static constexpr Bits kOne = 0x3f800000;           // 1.0f
  static constexpr float kRoundMagic = 12582912.0f;  // 1.5·2^23
  static constexpr float kTwoToP = 8388608.0f;       // 2^23
  static constexpr float kMinNormal = 1.17549435e-38f;
  static constexpr float kExpLo = -104.0f;       // exp underflows to 0 below
  static constexpr float kExpHi = 89.0f;         // exp overflows to inf above
  static constexpr float kLn2Hi = 0.693359375f;  // 9 bits: n·kLn2Hi is exact
  static constexpr float kLn2Lo = -2.12194440e-4f;
};

template <>
struct simd<double> {
  using V = vd;
  using I = vi64;
  using U = vu64;
  using Bits = std::int64_t;
  static constexpr std::size_t W = OPTKERN_VECTOR_BYTES / 8;
  static constexpr Bits kExponentMask = 0x7ff;
  static constexpr int kMantissaBits = 52;
  static constexpr int kBias = 1023;
  static constexpr Bits kMantissaMask = 0xfffffffffffffLL;
  static constexpr Bits kOne = 0x3ff0000000000000LL;         // 1.0
  static constexpr double kRoundMagic = 6755399441055744.0;  // 1.5·2^52
  static constexpr double kTwoToP = 4503599627370496.0;      // 2^52
  static constexpr double kMinNormal = 2.2250738585072014e-308;
  static constexpr double kExpLo = -746.0;
  static constexpr double kExpHi = 710.0;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 bits
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
};

// Element type of a vector type.
template <class V>
using elem_t = std::remove_reference_t<decltype(V{}[0])>;

template <class V>
OPTKERN_VINLINE V splat(elem_t<V> x) {
  return V{} + x;
}

// Small integers (|k| < 2^22) as floating point, exactly, through the bits.
template <class V, class I>
OPTKERN_VINLINE V int_to_float(I k) {
  using S = simd<elem_t<V>>;
  const V magic = splat<V>(S::kRoundMagic);
  return (V)((I)magic + k) - magic;
}

// x < lo ? lo : x and x > hi ? hi : x (a NaN x stays): one vmaxp / vminp
// with lo (hi) first, whose semantics these are exactly.
template <class V>
OPTKERN_VINLINE V clamp_below(V x, elem_t<V> lo) {
#if defined(__AVX512F__)
  if constexpr (sizeof(elem_t<V>) == 4)
    return (V)_mm512_max_ps((__m512)splat<V>(lo), (__m512)x);
  else
    return (V)_mm512_max_pd((__m512d)splat<V>(lo), (__m512d)x);
#elif defined(__AVX__)
  if constexpr (sizeof(elem_t<V>) == 4)
    return (V)_mm256_max_ps((__m256)splat<V>(lo), (__m256)x);
  else
    return (V)_mm256_max_pd((__m256d)splat<V>(lo), (__m256d)x);
#else
  return x < lo ? splat<V>(lo) : x;
#endif
}
template <class V>
OPTKERN_VINLINE V clamp_above(V x, elem_t<V> hi) {
#if defined(__AVX512F__)
  if constexpr (sizeof(elem_t<V>) == 4)
    return (V)_mm512_min_ps((__m512)splat<V>(hi), (__m512)x);
  else
    return (V)_mm512_min_pd((__m512d)splat<V>(hi), (__m512d)x);
#elif defined(__AVX__)
  if constexpr (sizeof(elem_t<V>) == 4)
    return (V)_mm256_min_ps((__m256)splat<V>(hi), (__m256)x);
  else
    return (V)_mm256_min_pd((__m256d)splat<V>(hi), (__m256d)x);
#else
  return x > hi ? splat<V>(hi) : x;
#endif
}

// NONPOSITIVE: the caller guarantees x ≤ 0 or NaN (a softmax's x − max),
// so the clamp above, a no-op there, is left out: the same bits.
template <class V, bool NONPOSITIVE = false>
OPTKERN_VINLINE V vexp(V x) {
  using T = elem_t<V>;
  using S = simd<T>;
  using I = typename S::I;
  x = clamp_below(x, S::kExpLo);  // NaN passes both
  if constexpr (!NONPOSITIVE) x = clamp_above(x, S::kExpHi);
  const V magic = splat<V>(S::kRoundMagic);
  const V xl = x * T(1.4426950408889634);
#if defined(__AVX512F__)
  // round(x/ln2) to nearest even in one vrndscalep: the n of the sum below.
  V n;
  if constexpr (sizeof(T) == 4) {
    n = (V)_mm512_roundscale_ps((__m512)xl, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  } else {
    n = (V)_mm512_roundscale_pd((__m512d)xl, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
#else
  const V t = xl + magic;  // n in the low bits of t
  const V n = t - magic;
#endif
  const V r = (x - n * S::kLn2Hi) - n * S::kLn2Lo;
  V p;
  if constexpr (sizeof(T) == 4) {
    // Minimax fit of (e^r − 1 − r)/r² on |r| ≤ ln2/2 (relative error of
    // 1 + r + r²·p below 4e-9, against 6e-8 for half an ulp).
    p = r * T(1.381445094e-03f) + T(8.368711919e-03f);
    p = p * r + T(4.166838899e-02f);
    p = p * r + T(1.666652113e-01f);
    p = p * r + T(4.999999404e-01f);
  } else {
    p = r * T(1.0 / 6227020800.0) + T(1.0 / 479001600.0);
    p = p * r + T(1.0 / 39916800.0);
    p = p * r + T(1.0 / 3628800.0);
    p = p * r + T(1.0 / 362880.0);
    p = p * r + T(1.0 / 40320.0);
    p = p * r + T(1.0 / 5040.0);
    p = p * r + T(1.0 / 720.0);
    p = p * r + T(1.0 / 120.0);
    p = p * r + T(1.0 / 24.0);
    p = p * r + T(1.0 / 6.0);
    p = p * r + T(0.5);
  }
  p = T(1) + (r + (r * r) * p);
#if defined(__AVX512F__)
  // p·2^n rounded once (p·2^n is finite and normal, or subnormal, or inf):
  // what the two factors below give, in one vscalefp[sd].
  if constexpr (sizeof(T) == 4) {
    return (V)_mm512_scalef_ps((__m512)p, (__m512)n);
  } else {
    return (V)_mm512_scalef_pd((__m512d)p, (__m512d)n);
  }
#endif
  using U = typename S::U;
  const I k = (I)(n + magic) - (I)magic;
  const I k1 = (I)((U)(k + 4096) >> 1) - 2048;  // floor(k/2), no 64-bit arithmetic shift
  const I k2 = k - k1;
  const V s1 = (V)((k1 + S::kBias) << S::kMantissaBits);
  const V s2 = (V)((k2 + S::kBias) << S::kMantissaBits);
  return (p * s1) * s2;
}

template <class V>
OPTKERN_VINLINE V vlog(V x) {
  using T = elem_t<V>;
  using S = simd<T>;
#if defined(__AVX512F__)
  // The same x = m·2^e (m in [1, 2), subnormals included), read by
  // vgetmantp and vgetexpp; 0, inf, NaN and negative x are replaced below.
  V m, ef;
  if constexpr (sizeof(T) == 4) {
    m = (V)_mm512_getmant_ps((__m512)x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    ef = (V)_mm512_getexp_ps((__m512)x);
  } else {
    m = (V)_mm512_getmant_pd((__m512d)x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    ef = (V)_mm512_getexp_pd((__m512d)x);
  }
  const auto big = m > T(1.4142135623730951);
  m = big ? m * T(0.5) : m;
  ef = big ? ef + T(1) : ef;
#else
  using I = typename S::I;
  const auto tiny = x < S::kMinNormal;
  const V xs = tiny ? x * S::kTwoToP : x;
  using U = typename S::U;
  const I ix = (I)xs;
  I e = (I)(((U)ix >> S::kMantissaBits) & S::kExponentMask) - S::kBias;
  e = tiny ? e - S::kMantissaBits : e;
  V m = (V)((ix & S::kMantissaMask) | S::kOne);  // [1, 2)
  const auto big = m > T(1.4142135623730951);
  m = big ? m * T(0.5) : m;
  e = big ? e + 1 : e;
  const V ef = int_to_float<V>(e);
#endif
  const V f = m - T(1);
  const V s = f / (f + T(2));
  const V z = s * s;
  V R;
  if constexpr (sizeof(T) == 4) {
    R = z * T(2.0 / 9) + T(2.0 / 7);
    R = R * z + T(2.0 / 5);
    R = R * z + T(2.0 / 3);
  } else {
    R = z * T(2.0 / 21) + T(2.0 / 19);
    R = R * z + T(2.0 / 17);
    R = R * z + T(2.0 / 15);
    R = R * z + T(2.0 / 13);
    R = R * z + T(2.0 / 11);
    R = R * z + T(2.0 / 9);
    R = R * z + T(2.0 / 7);
    R = R * z + T(2.0 / 5);
    R = R * z + T(2.0 / 3);
  }
  R = R * z;
  V y = (f - s * (f - R)) + ef * S::kLn2Lo;
  y = y + ef * S::kLn2Hi;
  const V inf = splat<V>(T(__builtin_inf()));
  y = x == T(0) ? -inf : y;
  y = x == inf ? inf : y;
  y = x < T(0) ? splat<V>(T(__builtin_nan(""))) : y;
  return x != x ? x : y;
}

template <class V>
OPTKERN_VINLINE V vlog1p(V x) {
  using T = elem_t<V>;
  const V u = x + T(1);
  const V d = u - T(1);
  V y = vlog(u) * (x / d);
  y = d == T(0) ? x : y;
  return u == T(__builtin_inf()) ? u : y;
}

// Scalars through the same polynomials (lane 0 of a broadcast).
template <class T>
OPTKERN_VINLINE T exp_scalar(T x) {
  return vexp(splat<typename simd<T>::V>(x))[0];
}
template <class T>
OPTKERN_VINLINE T log_scalar(T x) {
  return vlog(splat<typename simd<T>::V>(x))[0];
}

// Applies exp (0), log (1) or log1p (2) to n elements (for the tests).
template <class V>
OPTKERN_VINLINE V vmath_of(int fn, V v) {
  return fn == 0 ? vexp(v) : fn == 1 ? vlog(v) : vlog1p(v);
}

template <class T>
[[gnu::flatten]] inline void vmath_apply(int fn, const T* x, T* out, std::size_t n) {
  using V = typename simd<T>::V;
  constexpr std::size_t W = simd<T>::W;
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    V v;
    std::memcpy(&v, x + i, sizeof v);
    v = vmath_of(fn, v);
    std::memcpy(out + i, &v, sizeof v);
  }
  if (i < n) {
    V v{};
    std::memcpy(&v, x + i, (n - i) * sizeof(T));
    v = vmath_of(fn, v);
    std::memcpy(out + i, &v, (n - i) * sizeof(T));
  }
}

}  // namespace optkern::OPTKERN_TARGET
