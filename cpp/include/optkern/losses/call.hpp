// The plain data one loss call hands its kernel (identical in every ISA build).
#pragma once

#include <cstdint>

#include "optkern/losses.hpp"

namespace optkern {

// Per-call constants in the kernel's type, computed once (losses.cpp).
template <class T>
struct LossConstants {
  T delta, half_delta_sq;  // Huber: δ, ½δ²
  T label_smoothing;       // ls
  T smooth_keep;           // 1 − ls: y' = y·(1 − ls) + add
  T smooth_add_binary;     // ½·ls (binary losses)
  T eps, one_minus_eps;    // probability clipping: ε = 1e-7, 1 − ε
  // Logs at the clip bounds, from double: log ε, log(1 − ε), log(1 − (1 − ε)).
  T log_lower, log_upper, log_one_minus_upper;
  T alpha, gamma;              // focal losses
  bool apply_class_balancing;  // focal losses
  double z_loss;               // z (softmax cross-entropies from logits)
};

template <class T>
struct LossCall {
  LossInput<T> in;
  LossConstants<T> k;
  double divisor;  // the reduction's divisor; 0 makes value and gradient 0
  bool masked;     // ignore_class given
  std::int64_t ignore_class;
};

}  // namespace optkern
