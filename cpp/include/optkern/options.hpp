// Enumerations and plain-data records shared by every optimizer: the
// hyperparameters every group has, and the gradient preparation every update
// starts with. No arithmetic here: these types are identical in every per-ISA
// build.
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

// Hyperparameters of one parameter group that every optimizer has (double,
// as given). Each optimizer's group record derives from it.
struct GroupBase {
  double lr = 1e-3;
  double weight_decay = 0.0;
  double clip = 0.0;  // clipvalue c > 0, or 0 for none
  Convention convention = Convention::keras;
  WeightDecay weight_decay_mode = WeightDecay::none;
  bool maximize = false;
};

// The constants of the head every update starts with (prepare_grad), in T:
// g ← clip(g·s, −c, c), then weight decay.
template <class T>
struct GradPrep {
  WeightDecay weight_decay;  // none when λ = 0
  T grad_scale;              // s: clipnorm / global_clipnorm factor; −s for maximize
  T clip;                    // c; +inf when clipvalue is unset
  T decay;                   // l2: λ; decoupled_keras: ηλ; decoupled_torch: 1 − ηλ

  // Whether scale-and-clip is needed (else it is an identity worth skipping).
  bool scaled() const { return grad_scale != T(1) || clip <= T(3.0e38); }
};

// The tail every update ends with (finish_param), in T: the moving average of
// the freshly updated parameter, s ← μ·s + (1 − μ)·p, then p ← s on an
// overwrite call; `average` null for none (a plain step).
template <class T>
struct Epilogue {
  T* average = nullptr;    // s, indexed like p; null: no epilogue
  T momentum = T(0);       // μ
  T one_minus = T(0);      // 1 − μ, computed in T
  bool overwrite = false;  // store s as the parameter
};

// The signature of every optimizer's per-ISA kernel: n elements of one tensor,
// `slots` its state arrays (null where the group does not use one), each
// updated parameter passed through `epilogue` before it is stored.
template <class T, class Coeffs>
using UpdateFn = void (*)(T* p, const T* g, T* const* slots, std::size_t n, const Coeffs& k,
                          const Epilogue<T>& epilogue);

}  // namespace optkern
