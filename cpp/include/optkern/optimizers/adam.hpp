// Adam / AdamW / AMSGrad in the Keras and the torch form: group record,
// per-step constants and the fused single-pass kernel loop.
//
// One read of p, g, m, v (and v̂) and one write of p, m, v (and v̂) per element.
// Operations are written in the order the reference applies them, without
// contraction (the build uses -ffp-contract=off), so every ISA and every thread
// count produces the same bits as optkern.reference.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct AdamGroup : GroupBase {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  bool amsgrad = false;
};

template <class T>
struct AdamCoeffs {
  GradPrep<T> prep;
  Convention convention;
  bool amsgrad;
  T one_minus_beta1;        // 1 − β1
  T beta2;                  // β2
  T one_minus_beta2;        // 1 − β2
  T eps;                    // ε
  T alpha;                  // keras: η√(1−β2ᵗ)/(1−β1ᵗ); torch: η/(1−β1ᵗ)
  T bias_correction2_sqrt;  // torch only: √(1−β2ᵗ)
};

struct Adam : Descriptor<AdamGroup, AdamCoeffs, 3> {
  static constexpr const char* name = "adam";
  static constexpr std::array<const char*, kSlots> slot_names = {"exp_avg", "exp_avg_sq",
                                                                 "max_exp_avg_sq"};

  static constexpr auto fields() {
    return std::tuple_cat(
        base_fields(),
        std::make_tuple(field("beta1", &Group::beta1), field("beta2", &Group::beta2),
                        field("eps", &Group::eps), field("amsgrad", &Group::amsgrad)));
  }

  static bool uses_slot(const Group& g, std::size_t slot) { return slot < 2 || g.amsgrad; }

  // The pow calls run once per group and step, in double.
  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t step) {
    const double t = static_cast<double>(step);
    const double bias_correction1 = 1.0 - std::pow(g.beta1, t);
    const double bias_correction2 = 1.0 - std::pow(g.beta2, t);
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.amsgrad = g.amsgrad;
    k.one_minus_beta1 = static_cast<T>(1.0 - g.beta1);
    k.beta2 = static_cast<T>(g.beta2);
    k.one_minus_beta2 = static_cast<T>(1.0 - g.beta2);
    k.eps = static_cast<T>(g.eps);
    if (g.convention == Convention::keras) {
      k.alpha = static_cast<T>(g.lr * std::sqrt(bias_correction2) / bias_correction1);
      k.bias_correction2_sqrt = T(1);
    } else {
      k.alpha = static_cast<T>(g.lr / bias_correction1);
      k.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
    }
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

// Adam's second moment, which Nadam shares: Keras v + (g²−v)(1−β2), torch
// vβ2 + (1−β2)g², each in the order its reference applies the operations.
template <Convention C, class T>
inline T adam_second_moment(T v, T g, T beta2, T one_minus_beta2) {
  if constexpr (C == Convention::keras) return v + (g * g - v) * one_minus_beta2;
  return v * beta2 + one_minus_beta2 * (g * g);
}

template <class T, Convention C, WeightDecay WD, bool AMSGRAD, bool SCALED, class Finish>
inline void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                      T* __restrict vmax, std::size_t n, const AdamCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T omb1 = k.one_minus_beta1, beta2 = k.beta2, omb2 = k.one_minus_beta2;
  const T eps = k.eps, alpha = k.alpha, bc2 = k.bias_correction2_sqrt;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    const T mi = m[i] + omb1 * (gi - m[i]);
    T vi = adam_second_moment<C>(v[i], gi, beta2, omb2);
    m[i] = mi;
    v[i] = vi;
    if constexpr (AMSGRAD) {
      vi = max_nan(vmax[i], vi);
      vmax[i] = vi;
    }
    if constexpr (C == Convention::keras) {
      pi = pi - (mi * alpha) / (sqrt_ieee(vi) + eps);
    } else {
      pi = pi - alpha * (mi / (sqrt_ieee(vi) / bc2 + eps));
    }
    p[i] = finish(i, pi);
  }
}

// One Adam step on n elements in place; slots = {m, v, v̂} (v̂ null unless
// amsgrad). Keras: m ← m + (1−β1)(g−m); v ← v + (g²−v)(1−β2);
// p ← p − (m·α)/(√v + ε). Torch: v ← vβ2 + (1−β2)g²;
// p ← p − α·(m/(√v/√(1−β2ᵗ) + ε)).
template <class T>
inline void adam_update(T* p, const T* g, T* const* s, std::size_t n, const AdamCoeffs<T>& k,
                        const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.amsgrad, [&](auto amsgrad) {
          choose_bool(k.prep.scaled(), [&](auto scaled) {
            adam_loop<T, decltype(c)::value, decltype(wd)::value, decltype(amsgrad)::value,
                      decltype(scaled)::value>(p, g, s[0], s[1], s[2], n, k, finish);
          });
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
