// Lion (evolved sign momentum) in the Keras and the torch form: group record,
// per-step constants and the fused single-pass kernel loop.
//
// One read of p, g, m and one write of p, m per element. The sign is formed
// with selects, not branches, so the loop vectorises; sign(±0) = 0 and
// sign(NaN) = NaN, as np.sign. Operations are written in the order the
// reference applies them, without contraction, so every ISA and thread count
// produces the same bits as optkern.reference.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "optkern/choose.hpp"
#include "optkern/optimizer.hpp"
#include "optkern/target.hpp"

namespace optkern {

struct LionGroup : GroupBase {
  double beta1 = 0.9, beta2 = 0.99;
};

template <class T>
struct LionCoeffs {
  GradPrep<T> prep;
  T lr;               // η
  T beta1;            // β1
  T one_minus_beta1;  // 1 − β1
  T beta2;            // β2
  T one_minus_beta2;  // 1 − β2
};

struct Lion : Descriptor<LionGroup, LionCoeffs, 1> {
  static constexpr const char* name = "lion";
  static constexpr std::array<const char*, kSlots> slot_names = {"exp_avg"};

  static constexpr auto fields() {
    return std::tuple_cat(base_fields(), std::make_tuple(field("beta1", &Group::beta1),
                                                         field("beta2", &Group::beta2)));
  }

  static bool uses_slot(const Group&, std::size_t) { return true; }

  // No step count: the rule has no bias correction. The conventions differ
  // only in how weight decay enters (prep).
  template <class T>
  static Coeffs<T> coeffs(const Group& g, std::int64_t) {
    Coeffs<T> k{};
    k.prep = grad_prep<T>(g);
    k.lr = static_cast<T>(g.lr);
    k.beta1 = static_cast<T>(g.beta1);
    k.one_minus_beta1 = static_cast<T>(1.0 - g.beta1);
    k.beta2 = static_cast<T>(g.beta2);
    k.one_minus_beta2 = static_cast<T>(1.0 - g.beta2);
    return k;
  }
};

}  // namespace optkern

namespace optkern::OPTKERN_TARGET {

// sign(x) in {−1, 0, 1}, NaN for NaN, from compares and selects (no branch).
template <class T>
inline T lion_sign(T x) {
  const T s = T(x > T(0)) - T(x < T(0));
  return x != x ? x : s;
}

template <class T, WeightDecay WD, bool SCALED, class Finish>
inline void lion_loop(T* __restrict p, const T* __restrict g, T* __restrict m, std::size_t n,
                      const LionCoeffs<T>& k, Finish finish) {
  const T scale = k.prep.grad_scale, clip = k.prep.clip, decay = k.prep.decay;
  const T lr = k.lr, beta1 = k.beta1, omb1 = k.one_minus_beta1;
  const T beta2 = k.beta2, omb2 = k.one_minus_beta2;
  OPTKERN_UNROLL_2
  for (std::size_t i = 0; i < n; ++i) {
    T pi = p[i], gi = g[i];
    prepare_grad<WD, SCALED>(pi, gi, scale, clip, decay);
    const T mi = m[i];
    const T c = mi * beta1 + gi * omb1;
    p[i] = finish(i, pi - lr * lion_sign(c));
    m[i] = mi * beta2 + gi * omb2;
  }
}

// One Lion step on n elements in place; slots = {m}:
// p ← p − η·sign(mβ1 + g(1−β1)); m ← mβ2 + g(1−β2).
template <class T>
inline void lion_update(T* p, const T* g, T* const* s, std::size_t n, const LionCoeffs<T>& k,
                        const Epilogue<T>& epilogue = {}) {
  choose_epilogue(epilogue, [&](const auto& finish) {
    choose_weight_decay(k.prep.weight_decay, [&](auto wd) {
      choose_bool(k.prep.scaled(), [&](auto scaled) {
        lion_loop<T, decltype(wd)::value, decltype(scaled)::value>(p, g, s[0], n, k, finish);
      });
    });
  });
}

}  // namespace optkern::OPTKERN_TARGET
