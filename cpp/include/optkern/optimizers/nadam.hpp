// Nadam (Keras) / NAdam (torch): group record, per-step constants and the
// fused single-pass kernel loop.
//
// The running product Π of the momentum schedule is state kept by the
// front-end (Keras: one Π per optimizer, in double; torch: one float32 Π per
// tensor), which hands over Π after this step's update in the group record;
// μₜ, μₜ₊₁ and the coefficients are computed from it once per group and step,
// in double. One read of p, g, m, v and one write of p, m, v per element.
// Operations are written in the order the reference applies them, without
// contraction (-ffp-contract=off), so every ISA and thread count produces the
// same bits as optkern.reference.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/optimizers/adam.hpp"  // adam_second_moment
#include "optkern/target.hpp"

namespace optkern {

struct NadamGroup : GroupBase {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  double momentum_decay = 1.0;  // ψ in μₜ = β1(1 − ½·0.96^(tψ)); Keras: 1
  double mu_product = 1.0;      // Π after this step's update Π ← Π·μₜ
};

// The momentum schedule μₜ = β1(1 − ½·0.96^(tψ)), in double (t a double, as
// the front-ends compute it).
inline double nadam_mu(double beta1, double momentum_decay, double t) {
  return beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
}

template <class T>
struct NadamCoeffs {
  GradPrep<T> prep;
  Convention convention;
  T one_minus_beta1;   // 1 − β1
  T beta2;             // β2
  T one_minus_beta2;   // 1 − β2
  T eps;               // ε
  T bias_correction2;  // 1 − β2ᵗ
  T coef_m;            // keras: ημₜ₊₁/(1 − Πμₜ₊₁);  torch: −ημₜ₊₁/(1 − Πμₜ₊₁)
  T coef_g;            // keras: η(1 − μₜ)/(1 − Π);  torch: −η(1 − μₜ)/(1 − Π)
};

struct Nadam : Descriptor<NadamGroup, NadamCoeffs, 2> {
  static constexpr const char* name = "nadam";
  static constexpr std::array<const char*, kSlots> slot_names = {"exp_avg", "exp_avg_sq"};

  static constexpr auto fields() {
    return std::tuple_cat(
        base_fields(),
        std::make_tuple(field("beta1", &Group::beta1), field("beta2", &Group::beta2),
                        field("eps", &Group::eps), field("momentum_decay", &Group::momentum_decay),
                        field("mu_product", &Group::mu_product)));
  }

  static bool uses_slot(const Group&, std::size_t) { return true; }

  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t step) {
    const double t = static_cast<double>(step);
    const double mu = nadam_mu(g.beta1, g.momentum_decay, t);
    const double mu_next = nadam_mu(g.beta1, g.momentum_decay, t + 1.0);
    const double product_next = g.mu_product * mu_next;
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.one_minus_beta1 = static_cast<T>(1.0 - g.beta1);
    k.beta2 = static_cast<T>(g.beta2);
    k.one_minus_beta2 = static_cast<T>(1.0 - g.beta2);
    k.eps = static_cast<T>(g.eps);
    k.bias_correction2 = static_cast<T>(1.0 - std::pow(g.beta2, t));
    if (g.convention == Convention::keras) {
      k.coef_m = static_cast<T>(g.lr * mu_next / (1.0 - product_next));
      k.coef_g = static_cast<T>(g.lr * (1.0 - mu) / (1.0 - g.mu_product));
    } else {
      k.coef_m = static_cast<T>(-g.lr * mu_next / (1.0 - product_next));
      k.coef_g = static_cast<T>(-g.lr * (1.0 - mu) / (1.0 - g.mu_product));
    }
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, bool SCALED, class Finish>
inline void nadam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                       std::size_t n, const NadamCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T omb1 = k.one_minus_beta1, beta2 = k.beta2, omb2 = k.one_minus_beta2;
  const T eps = k.eps, bc2 = k.bias_correction2, cm = k.coef_m, cg = k.coef_g;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    const T mi = m[i] + omb1 * (gi - m[i]);
    const T vi = adam_second_moment<C>(v[i], gi, beta2, omb2);
    m[i] = mi;
    v[i] = vi;
    const T d = sqrt_ieee(vi / bc2) + eps;
    if constexpr (C == Convention::keras) {
      pi = pi - (mi * cm + gi * cg) / d;
    } else {
      pi = pi + (cg * gi) / d;
      pi = pi + (cm * mi) / d;
    }
    p[i] = finish(i, pi);
  }
}

// One Nadam step on n elements in place; slots = {m, v}.
// Keras: m ← m + (1−β1)(g−m); v ← v + (g²−v)(1−β2);
// p ← p − (m·c_m + g·c_g)/(√(v/(1−β2ᵗ)) + ε).
// Torch: v ← vβ2 + (1−β2)g²; D = √(v/(1−β2ᵗ)) + ε;
// p ← p + (c_g·g)/D; p ← p + (c_m·m)/D (c_g, c_m negative).
template <class T>
inline void nadam_update(T* p, const T* g, T* const* s, std::size_t n, const NadamCoeffs<T>& k,
                         const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.prep.scaled(), [&](auto scaled) {
          nadam_loop<T, decltype(c)::value, decltype(wd)::value, decltype(scaled)::value>(
              p, g, s[0], s[1], n, k, finish);
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
