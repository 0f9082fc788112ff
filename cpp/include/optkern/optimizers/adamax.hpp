// Adamax (Adam with the infinity norm) in the Keras and the torch form: group
// record, per-step constants and the fused single-pass kernel loop.
//
// One read of p, g, m, u and one write of p, m, u per element. Operations are
// written in the order the reference applies them, without contraction (the
// build uses -ffp-contract=off), so every ISA and every thread count produces
// the same bits as optkern.reference.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct AdamaxGroup : GroupBase {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
};

template <class T>
struct AdamaxCoeffs {
  GradPrep<T> prep;
  Convention convention;
  T one_minus_beta1;   // 1 − β1
  T beta2;             // β2
  T eps;               // ε
  T lr;                // keras: η
  T bias_correction1;  // keras: 1 − β1ᵗ
  T step_size;         // torch: η/(1 − β1ᵗ)
};

struct Adamax : Descriptor<AdamaxGroup, AdamaxCoeffs, 2> {
  static constexpr const char* name = "adamax";
  static constexpr std::array<const char*, kSlots> slot_names = {"exp_avg", "exp_inf"};

  static constexpr auto fields() {
    return std::tuple_cat(
        base_fields(), std::make_tuple(field("beta1", &Group::beta1), field("beta2", &Group::beta2),
                                       field("eps", &Group::eps)));
  }

  static bool uses_slot(const Group&, std::size_t) { return true; }

  // The pow call runs once per group and step, in double.
  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t step) {
    const double bias_correction1 = 1.0 - std::pow(g.beta1, static_cast<double>(step));
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.one_minus_beta1 = static_cast<T>(1.0 - g.beta1);
    k.beta2 = static_cast<T>(g.beta2);
    k.eps = static_cast<T>(g.eps);
    k.lr = static_cast<T>(g.lr);
    k.bias_correction1 = static_cast<T>(bias_correction1);
    k.step_size = static_cast<T>(g.lr / bias_correction1);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

// |x| by clearing the sign bit (one vandp[sd] per vector; NaN stays NaN).
inline float adamax_abs(float x) { return __builtin_fabsf(x); }
inline double adamax_abs(double x) { return __builtin_fabs(x); }

template <class T, Convention C, WeightDecay WD, bool SCALED, class Finish>
inline void adamax_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict u,
                        std::size_t n, const AdamaxCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T omb1 = k.one_minus_beta1, beta2 = k.beta2, eps = k.eps;
  const T lr = k.lr, bc1 = k.bias_correction1, step_size = k.step_size;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    if constexpr (C == Convention::keras) {
      const T mi = m[i] + (gi - m[i]) * omb1;
      const T ui = max_nan(u[i] * beta2, adamax_abs(gi));
      m[i] = mi;
      u[i] = ui;
      pi = pi - (lr * mi) / (bc1 * (ui + eps));
    } else {
      const T mi = m[i] + omb1 * (gi - m[i]);
      const T ui = max_nan(u[i] * beta2, adamax_abs(gi) + eps);
      m[i] = mi;
      u[i] = ui;
      pi = pi - step_size * (mi / ui);
    }
    p[i] = finish(i, pi);
  }
}

// One Adamax step on n elements in place; slots = {m, u}.
// Keras: m ← m + (g−m)(1−β1); u ← max(uβ2, |g|); p ← p − (ηm)/((1−β1ᵗ)(u + ε)).
// Torch: m ← m + (1−β1)(g−m); u ← max(uβ2, |g| + ε); p ← p − (η/(1−β1ᵗ))·(m/u).
template <class T>
inline void adamax_update(T* p, const T* g, T* const* s, std::size_t n, const AdamaxCoeffs<T>& k,
                          const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.prep.scaled(), [&](auto scaled) {
          adamax_loop<T, decltype(c)::value, decltype(wd)::value, decltype(scaled)::value>(
              p, g, s[0], s[1], n, k, finish);
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
