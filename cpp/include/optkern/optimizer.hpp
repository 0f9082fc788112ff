// What every fused optimizer step shares: the per-tensor record, the
// gradient-preparation constants computed once per group and step, and the
// declaration of the multi-tensor step.
//
// An optimizer is a descriptor struct (see optimizers/adam.hpp), deriving
// from Descriptor<Group, Coeffs, kSlots> (its group record, deriving from
// GroupBase; its per-element constants, with a GradPrep<T> prep; its number
// of state arrays), with
//   name, slot_names             its name and state arrays, in kernel order;
//   fields()                     Group's fields by name;
//   uses_slot(group, s)          whether a group needs state slot s;
//   coeffs<T>(group, step)       the constants of one step (double maths);
// and a per-ISA kernel of signature UpdateFn<T, Coeffs<T>>.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "optkern/controls.hpp"
#include "optkern/fields.hpp"
#include "optkern/options.hpp"

namespace optkern {

template <class GroupT, template <class> class CoeffsT, std::size_t Slots>
struct Descriptor {
  static constexpr std::size_t kSlots = Slots;
  using Group = GroupT;
  template <class T>
  using Coeffs = CoeffsT<T>;
  template <class T>
  using Fn = UpdateFn<T, CoeffsT<T>>;
};

// One tensor of a step: the parameter, its gradient and its state slots
// (null where its group does not use one), and the training controls'
// arrays (controls.hpp; null when off).
template <class T, std::size_t Slots>
struct Tensor {
  T* param;
  const T* grad;
  T* slots[Slots];
  std::size_t size;
  double grad_scale;      // clipnorm / global_clipnorm factor; 1 for none
  std::size_t group;      // index into the groups array
  T* average = nullptr;   // EMA of the parameter
  T* accum = nullptr;     // accumulated gradient
  bool no_decay = false;  // the group's weight decay is off for this tensor
};

template <class Opt, class T>
using TensorOf = Tensor<T, Opt::kSlots>;

// One step of optimizer Opt over `count` tensors, in place; tensors[i].group
// indexes `groups`; `step` is t, 1-based (ignored by optimizers without a
// step count). `controls` (controls.hpp) turns the update off (accumulate
// only) and sets the EMA constants; a tensor's `accum` and `average` arrays,
// when given, are processed in the same pass (the EMA as the kernel's
// epilogue, the accumulation block by block in cache). Bitwise identical for
// any thread count and ISA.
template <class Opt, class T>
void fused_step(const TensorOf<Opt, T>* tensors, std::size_t count,
                const typename Opt::Group* groups, std::size_t group_count, std::int64_t step,
                const StepControls& controls = StepControls{});

// The GradPrep of a group (grad_scale 1; the step sets each tensor's).
template <class T>
GradPrep<T> grad_prep(const GroupBase& g) {
  GradPrep<T> k{};
  k.weight_decay = g.weight_decay == 0.0 ? WeightDecay::none : g.weight_decay_mode;
  k.grad_scale = T(1);
  k.clip = g.clip > 0.0 ? static_cast<T>(g.clip) : std::numeric_limits<T>::infinity();
  switch (k.weight_decay) {
    case WeightDecay::l2:
      k.decay = static_cast<T>(g.weight_decay);
      break;
    case WeightDecay::decoupled_keras:
      k.decay = static_cast<T>(g.lr * g.weight_decay);
      break;
    case WeightDecay::decoupled_torch:
      k.decay = static_cast<T>(1.0 - g.lr * g.weight_decay);
      break;
    case WeightDecay::none:
      k.decay = T(0);
      break;
  }
  return k;
}

}  // namespace optkern
