// SGD (plain, heavy-ball momentum, Nesterov) in the Keras and the torch form:
// group record, per-step constants and the fused kernel loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct SgdGroup : GroupBase {
  double momentum = 0.0, dampening = 0.0;
  bool nesterov = false;
  bool first_step = false;  // torch: the momentum buffer starts as g
};

// Momentum form of an SGD step.
enum class Momentum : std::uint8_t { none = 0, heavy_ball = 1, nesterov = 2 };

template <class T>
struct SgdCoeffs {
  GradPrep<T> prep;
  Convention convention;
  Momentum momentum_kind;
  bool first_step;
  T lr;                   // η
  T momentum;             // μ
  T one_minus_dampening;  // 1 − τ (torch)
};

struct Sgd : Descriptor<SgdGroup, SgdCoeffs, 1> {
  static constexpr const char* name = "sgd";
  static constexpr std::array<const char*, kSlots> slot_names = {"momentum_buffer"};

  static constexpr auto fields() {
    return std::tuple_cat(base_fields(), std::make_tuple(field("momentum", &Group::momentum),
                                                         field("dampening", &Group::dampening),
                                                         field("nesterov", &Group::nesterov),
                                                         field("first_step", &Group::first_step)));
  }

  static bool uses_slot(const Group& g, std::size_t) { return g.momentum != 0.0; }

  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t) {
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    k.momentum_kind = g.momentum == 0.0 ? Momentum::none
                      : g.nesterov      ? Momentum::nesterov
                                        : Momentum::heavy_ball;
    k.first_step = g.convention == Convention::torch && g.first_step;
    k.lr = static_cast<T>(g.lr);
    k.momentum = static_cast<T>(g.momentum);
    k.one_minus_dampening = static_cast<T>(1.0 - g.dampening);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, Momentum M, bool FIRST, bool SCALED, class Finish>
inline void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict b, std::size_t n,
                     const SgdCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T lr = k.lr, mu = k.momentum, omd = k.one_minus_dampening;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    if constexpr (M == Momentum::none) {
      pi = pi - lr * gi;
    } else if constexpr (C == Convention::keras) {
      // m ← μm − ηg; p ← p + m, or p ← p + (μm − ηg) for Nesterov.
      const T bi = b[i] * mu - gi * lr;
      b[i] = bi;
      pi = (M == Momentum::nesterov) ? pi + (bi * mu - gi * lr) : pi + bi;
    } else {
      // b ← g on the first step, else b ← μb + (1−τ)g; d = g + μb or b; p ← p − ηd.
      const T bi = FIRST ? gi : b[i] * mu + omd * gi;
      b[i] = bi;
      const T d = (M == Momentum::nesterov) ? gi + mu * bi : bi;
      pi = pi - lr * d;
    }
    p[i] = finish(i, pi);
  }
}

// One SGD step on n elements in place; slots = {momentum buffer}, null when
// the group has no momentum.
template <class T>
inline void sgd_update(T* p, const T* g, T* const* s, std::size_t n, const SgdCoeffs<T>& k,
                       const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose<Momentum::none, Momentum::heavy_ball, Momentum::nesterov>(
            k.momentum_kind, [&](auto m) {
              choose_bool(k.first_step && m.value != Momentum::none, [&](auto first) {
                choose_bool(k.prep.scaled(), [&](auto scaled) {
                  sgd_loop<T, decltype(c)::value, decltype(wd)::value, decltype(m)::value,
                           decltype(first)::value, decltype(scaled)::value>(p, g, s[0], n, k,
                                                                            finish);
                });
              });
            });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
