// Adadelta in the Keras and the torch form: group record, per-step constants
// and the fused single-pass kernel loop.
//
// One read of p, g, a, d and one write of p, a, d per element. Operations are
// written in the order the reference applies them, without contraction (the
// build uses -ffp-contract=off), so every ISA and every thread count produces
// the same bits as optkern.reference.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct AdadeltaGroup : GroupBase {
  double rho = 0.95, eps = 1e-7;
};

template <class T>
struct AdadeltaCoeffs {
  GradPrep<T> prep;
  Convention convention;
  T lr;             // η
  T rho;            // ρ
  T one_minus_rho;  // 1 − ρ
  T eps;            // ε
};

struct Adadelta : Descriptor<AdadeltaGroup, AdadeltaCoeffs, 2> {
  static constexpr const char* name = "adadelta";
  static constexpr std::array<const char*, kSlots> slot_names = {"square_avg", "acc_delta"};

  static constexpr auto fields() {
    return std::tuple_cat(base_fields(),
                          std::make_tuple(field("rho", &Group::rho), field("eps", &Group::eps)));
  }

  static bool uses_slot(const Group&, std::size_t) { return true; }

  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t) {
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.lr = static_cast<T>(g.lr);
    k.rho = static_cast<T>(g.rho);
    k.one_minus_rho = static_cast<T>(1.0 - g.rho);
    k.eps = static_cast<T>(g.eps);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, bool SCALED, class Finish>
inline void adadelta_loop(T* __restrict p, const T* __restrict g, T* __restrict a, T* __restrict d,
                          std::size_t n, const AdadeltaCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T lr = k.lr, rho = k.rho, omr = k.one_minus_rho, eps = k.eps;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    if constexpr (C == Convention::keras) {
      // a ← ρa + (1−ρ)(g·g); Δ = −(√(d + ε)·g)/√(a + ε); d ← ρd + (1−ρ)(Δ·Δ); p ← p + ηΔ
      const T ai = rho * a[i] + omr * (gi * gi);
      a[i] = ai;
      const T delta = -((sqrt_ieee(d[i] + eps) * gi) / sqrt_ieee(ai + eps));
      d[i] = rho * d[i] + omr * (delta * delta);
      pi = pi + lr * delta;
    } else {
      // a ← aρ + ((1−ρ)g)g; Δ = (√(d + ε)/√(a + ε))·g; d ← dρ + ((1−ρ)Δ)Δ; p ← p − ηΔ
      const T ai = a[i] * rho + (omr * gi) * gi;
      a[i] = ai;
      const T delta = (sqrt_ieee(d[i] + eps) / sqrt_ieee(ai + eps)) * gi;
      d[i] = d[i] * rho + (omr * delta) * delta;
      pi = pi - lr * delta;
    }
    p[i] = finish(i, pi);
  }
}

// One Adadelta step on n elements in place; slots = {a, d} (the running
// averages of g² and of Δ²).
template <class T>
inline void adadelta_update(T* p, const T* g, T* const* s, std::size_t n,
                            const AdadeltaCoeffs<T>& k, const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.prep.scaled(), [&](auto scaled) {
          adadelta_loop<T, decltype(c)::value, decltype(wd)::value, decltype(scaled)::value>(
              p, g, s[0], s[1], n, k, finish);
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
