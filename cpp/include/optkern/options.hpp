// Enumerations and plain-data coefficient structs shared by every kernel.
// No functions here: these types are identical in every per-ISA build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace optkern {

// Which framework's formulas an update follows (docs/optimizers.md).
enum class Convention : std::uint8_t { keras = 0, torch = 1 };

// How weight decay λ enters an update.
enum class WeightDecay : std::uint8_t {
  none = 0,
  l2 = 1,               // g ← g + λp                    (torch, coupled)
  decoupled_keras = 2,  // p ← p − p·(ηλ)                (Keras, before the rule)
  decoupled_torch = 3,  // p ← p·(1 − ηλ)                (torch AdamW)
};

// Momentum form of an SGD step.
enum class Momentum : std::uint8_t { none = 0, heavy_ball = 1, nesterov = 2 };

// Per-element constants of one Adam step for one tensor, already in T.
template <class T>
struct AdamCoeffs {
  Convention convention;
  WeightDecay weight_decay;
  bool amsgrad;
  T grad_scale;       // g ← g·s (clipnorm, global_clipnorm; −1 folds maximize)
  T clip;             // g ← clip(g, −c, c); +inf when clipvalue is unset
  T decay;            // l2: λ; decoupled_keras: ηλ; decoupled_torch: 1 − ηλ
  T one_minus_beta1;  // 1 − β1
  T beta2;            // β2
  T one_minus_beta2;  // 1 − β2
  T eps;              // ε
  T alpha;            // keras: η√(1−β2ᵗ)/(1−β1ᵗ); torch: η/(1−β1ᵗ)
  T bias_correction2_sqrt;  // torch only: √(1−β2ᵗ)
};

// Per-element constants of one SGD step for one tensor, already in T.
template <class T>
struct SgdCoeffs {
  Convention convention;
  WeightDecay weight_decay;
  Momentum momentum_kind;
  bool first_step;    // torch: the buffer starts as g on the first step
  T grad_scale;
  T clip;
  T decay;
  T lr;               // η
  T momentum;         // μ
  T one_minus_dampening;  // 1 − τ (torch)
};

}  // namespace optkern
