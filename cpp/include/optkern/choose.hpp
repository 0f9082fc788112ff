// Run-time flags to compile-time constants, for the kernel loops.
//
// A kernel loop is a template over its flags (convention, weight-decay mode,
// amsgrad, ...) so that each combination compiles to a loop without branches.
// choose<...>(x, f) calls f(std::integral_constant<V, v>{}) for the v among
// the listed values that equals x; nesting calls picks a whole combination.
#pragma once

#include <type_traits>

#include "optkern/options.hpp"

namespace optkern {

template <auto... Values, class V, class F>
inline void choose(V x, F&& f) {
  ((x == Values ? (f(std::integral_constant<decltype(Values), Values>{}), true) : false) || ...);
}

template <class F>
inline void choose_bool(bool x, F&& f) {
  choose<false, true>(x, f);
}

template <class F>
inline void choose_convention(Convention x, F&& f) {
  choose<Convention::keras, Convention::torch>(x, f);
}

template <class F>
inline void choose_weight_decay(WeightDecay x, F&& f) {
  choose<WeightDecay::none, WeightDecay::l2, WeightDecay::decoupled_keras,
         WeightDecay::decoupled_torch>(x, f);
}

}  // namespace optkern
