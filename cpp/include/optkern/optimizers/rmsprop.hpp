// RMSprop (plain, centered, with momentum, centered with momentum) in the
// Keras and the torch form: group record, per-step constants and the fused
// single-pass kernel loop.
//
// One read of p, g, v (and b, ḡ) and one write of p, v (and b, ḡ) per element.
// Operations are written in the order the reference applies them, without
// contraction (the build uses -ffp-contract=off), so every ISA and every thread
// count produces the same bits as optkern.reference.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct RmspropGroup : GroupBase {
  double rho = 0.9;  // ρ (Keras rho, torch alpha)
  double momentum = 0.0, eps = 1e-7;
  bool centered = false;
};

template <class T>
struct RmspropCoeffs {
  GradPrep<T> prep;
  Convention convention;
  bool centered;
  bool momentum_on;  // μ > 0
  T rho;             // ρ
  T one_minus_rho;   // 1 − ρ
  T eps;             // ε
  T lr;              // η
  T momentum;        // μ
};

struct Rmsprop : Descriptor<RmspropGroup, RmspropCoeffs, 3> {
  static constexpr const char* name = "rmsprop";
  static constexpr std::array<const char*, kSlots> slot_names = {"square_avg", "momentum_buffer",
                                                                 "grad_avg"};

  static constexpr auto fields() {
    return std::tuple_cat(
        base_fields(),
        std::make_tuple(field("rho", &Group::rho), field("momentum", &Group::momentum),
                        field("eps", &Group::eps), field("centered", &Group::centered)));
  }

  static bool uses_slot(const Group& g, std::size_t slot) {
    return slot == 0 || (slot == 1 && g.momentum > 0.0) || (slot == 2 && g.centered);
  }

  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t) {
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.centered = g.centered;
    k.momentum_on = g.momentum > 0.0;
    k.rho = static_cast<T>(g.rho);
    k.one_minus_rho = static_cast<T>(1.0 - g.rho);
    k.eps = static_cast<T>(g.eps);
    k.lr = static_cast<T>(g.lr);
    k.momentum = static_cast<T>(g.momentum);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, bool CENTERED, bool MOMENTUM, bool SCALED,
          class Finish>
inline void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict v, T* __restrict b,
                         T* __restrict a, std::size_t n, const RmspropCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T rho = k.rho, omr = k.one_minus_rho, eps = k.eps, lr = k.lr, mu = k.momentum;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    if constexpr (C == Convention::keras) {
      // v ← ρv + (1−ρ)g²; ḡ ← ρḡ + (1−ρ)g; Δ = (ηg)/√(v − ḡ² + ε) or (ηg)/√(v + ε).
      const T vi = rho * v[i] + omr * (gi * gi);
      v[i] = vi;
      T denom;
      if constexpr (CENTERED) {
        const T ai = rho * a[i] + omr * gi;
        a[i] = ai;
        denom = (vi - ai * ai) + eps;
      } else {
        denom = vi + eps;
      }
      const T delta = (lr * gi) / sqrt_ieee(denom);
      if constexpr (MOMENTUM) {
        const T bi = mu * b[i] + delta;
        b[i] = bi;
        pi = pi - bi;
      } else {
        pi = pi - delta;
      }
    } else {
      // v ← vρ + ((1−ρ)g)g; ḡ ← ḡ + (1−ρ)(g − ḡ); D = √(v − ḡḡ) + ε or √v + ε;
      // b ← bμ + g/D, p ← p − ηb; or p ← p − η(g/D).
      const T vi = v[i] * rho + (omr * gi) * gi;
      v[i] = vi;
      T denom;
      if constexpr (CENTERED) {
        const T ai = a[i] + omr * (gi - a[i]);
        a[i] = ai;
        denom = sqrt_ieee(vi - ai * ai) + eps;
      } else {
        denom = sqrt_ieee(vi) + eps;
      }
      if constexpr (MOMENTUM) {
        const T bi = b[i] * mu + gi / denom;
        b[i] = bi;
        pi = pi - lr * bi;
      } else {
        pi = pi - lr * (gi / denom);
      }
    }
    p[i] = finish(i, pi);
  }
}

// One RMSprop step on n elements in place; slots = {v, b, ḡ} (b null unless
// μ > 0, ḡ null unless centered). Keras: ε inside the square root, η applied
// before the division; torch: ε added to the square root, η applied last.
template <class T>
inline void rmsprop_update(T* p, const T* g, T* const* s, std::size_t n, const RmspropCoeffs<T>& k,
                           const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.centered, [&](auto centered) {
          choose_bool(k.momentum_on, [&](auto momentum) {
            choose_bool(k.prep.scaled(), [&](auto scaled) {
              rmsprop_loop<T, decltype(c)::value, decltype(wd)::value, decltype(centered)::value,
                           decltype(momentum)::value, decltype(scaled)::value>(p, g, s[0], s[1],
                                                                               s[2], n, k, finish);
            });
          });
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
