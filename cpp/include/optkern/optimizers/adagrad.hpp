// Adagrad in the Keras and the torch form: group record, per-step constants
// and the fused single-pass kernel loop.
//
// One read of p, g, s and one write of p, s per element. Operations are written
// in the order the reference applies them, without contraction (the build uses
// -ffp-contract=off), so every ISA and every thread count produces the same
// bits as optkern.reference. The accumulator's starting value
// (initial_accumulator_value) is the front-end's business: it fills the slot.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct AdagradGroup : GroupBase {
  double lr_decay = 0.0;  // torch: η' = η/(1 + (t−1)·lr_decay)
  double eps = 1e-7;
};

template <class T>
struct AdagradCoeffs {
  GradPrep<T> prep;
  Convention convention;
  T lr;   // keras: η; torch: η/(1 + (t−1)·lr_decay)
  T eps;  // ε
};

struct Adagrad : Descriptor<AdagradGroup, AdagradCoeffs, 1> {
  static constexpr const char* name = "adagrad";
  static constexpr std::array<const char*, kSlots> slot_names = {"sum"};

  static constexpr auto fields() {
    return std::tuple_cat(base_fields(), std::make_tuple(field("lr_decay", &Group::lr_decay),
                                                         field("eps", &Group::eps)));
  }

  static bool uses_slot(const Group&, std::size_t) { return true; }

  // The decayed learning rate is computed once per group and step, in double.
  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t step) {
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.convention = g.convention;
    if (g.convention == Convention::keras) {
      k.lr = static_cast<T>(g.lr);
    } else {
      const double t = static_cast<double>(step);
      k.lr = static_cast<T>(g.lr / (1.0 + (t - 1.0) * g.lr_decay));
    }
    k.eps = static_cast<T>(g.eps);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

template <class T, Convention C, WeightDecay WD, bool SCALED, class Finish>
inline void adagrad_loop(T* __restrict p, const T* __restrict g, T* __restrict s, std::size_t n,
                         const AdagradCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T lr = k.lr, eps = k.eps;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    const T si = s[i] + gi * gi;
    s[i] = si;
    if constexpr (C == Convention::keras) {
      pi = pi - (lr * gi) / sqrt_ieee(si + eps);
    } else {
      pi = pi - (lr * gi) / (sqrt_ieee(si) + eps);
    }
    p[i] = finish(i, pi);
  }
}

// One Adagrad step on n elements in place; slots = {s}. s ← s + g·g, then
// Keras: p ← p − (η·g)/√(s + ε); torch: p ← p − (η'·g)/(√s + ε).
template <class T>
inline void adagrad_update(T* p, const T* g, T* const* s, std::size_t n, const AdagradCoeffs<T>& k,
                           const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_convention(k.convention, [&](auto c) {
      choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
        choose_bool(k.prep.scaled(), [&](auto scaled) {
          adagrad_loop<T, decltype(c)::value, decltype(wd)::value, decltype(scaled)::value>(
              p, g, s[0], n, k, finish);
        });
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
