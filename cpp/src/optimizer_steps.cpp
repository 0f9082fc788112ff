// Multi-tensor optimizer steps: per-step scalars in double, then one pass over
// all tensors with the active ISA's kernels, split across threads as
// chunking.hpp describes (one equal contiguous part of all elements per thread).
#include <cmath>
#include <limits>
#include <vector>

#include "chunking.hpp"
#include "kernel_table.hpp"
#include "optkern/optkern.hpp"

namespace optkern {
namespace {

// λ as the kernels use it: l2 → λ, decoupled_keras → ηλ, decoupled_torch → 1 − ηλ.
double decay_factor(WeightDecay mode, double lr, double weight_decay) {
  switch (mode) {
    case WeightDecay::l2: return weight_decay;
    case WeightDecay::decoupled_keras: return lr * weight_decay;
    case WeightDecay::decoupled_torch: return 1.0 - lr * weight_decay;
    case WeightDecay::none: break;
  }
  return 0.0;
}

WeightDecay effective_mode(WeightDecay mode, double weight_decay) {
  return weight_decay == 0.0 ? WeightDecay::none : mode;
}

template <class T>
T clip_bound(double clip) {
  return clip > 0.0 ? static_cast<T>(clip) : std::numeric_limits<T>::infinity();
}

// g ← g·s per tensor, with maximize folded in as a sign.
template <class T, class Group>
T grad_factor(const Group& g, double grad_scale) {
  return static_cast<T>(g.maximize ? -grad_scale : grad_scale);
}

// A group's per-step constants (the pow calls run once per group and step).
template <class T>
AdamCoeffs<T> adam_coeffs(const AdamGroup& g) {
  const double t = static_cast<double>(g.step);
  const double bias_correction1 = 1.0 - std::pow(g.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(g.beta2, t);
  const WeightDecay mode = effective_mode(g.weight_decay_mode, g.weight_decay);
  AdamCoeffs<T> k{};
  k.convention = g.convention;
  k.weight_decay = mode;
  k.amsgrad = g.amsgrad;
  k.grad_scale = grad_factor<T>(g, 1.0);
  k.clip = clip_bound<T>(g.clip);
  k.decay = static_cast<T>(decay_factor(mode, g.lr, g.weight_decay));
  k.one_minus_beta1 = static_cast<T>(1.0 - g.beta1);
  k.beta2 = static_cast<T>(g.beta2);
  k.one_minus_beta2 = static_cast<T>(1.0 - g.beta2);
  k.eps = static_cast<T>(g.eps);
  if (g.convention == Convention::keras) {
    k.alpha = static_cast<T>(g.lr * std::sqrt(bias_correction2) / bias_correction1);
    k.bias_correction2_sqrt = static_cast<T>(1.0);
  } else {
    k.alpha = static_cast<T>(g.lr / bias_correction1);
    k.bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  }
  return k;
}

template <class T>
SgdCoeffs<T> sgd_coeffs(const SgdGroup& g) {
  const WeightDecay mode = effective_mode(g.weight_decay_mode, g.weight_decay);
  SgdCoeffs<T> k{};
  k.convention = g.convention;
  k.weight_decay = mode;
  k.momentum_kind = g.momentum == 0.0 ? Momentum::none
                    : g.nesterov     ? Momentum::nesterov
                                     : Momentum::heavy_ball;
  k.first_step = g.first_step;
  k.grad_scale = grad_factor<T>(g, 1.0);
  k.clip = clip_bound<T>(g.clip);
  k.decay = static_cast<T>(decay_factor(mode, g.lr, g.weight_decay));
  k.lr = static_cast<T>(g.lr);
  k.momentum = static_cast<T>(g.momentum);
  k.one_minus_dampening = static_cast<T>(1.0 - g.dampening);
  return k;
}

template <class T>
auto adam_kernel(const KernelTable& table) {
  if constexpr (sizeof(T) == 4) return table.adam_f32; else return table.adam_f64;
}

template <class T>
auto sgd_kernel(const KernelTable& table) {
  if constexpr (sizeof(T) == 4) return table.sgd_f32; else return table.sgd_f64;
}

}  // namespace

// Every group's constants, in a vector reused by the calling thread.
template <class Coeffs, class Group, class Make>
const std::vector<Coeffs>& group_coeffs(const Group* groups, std::size_t group_count, Make make) {
  thread_local std::vector<Coeffs> coeffs;
  coeffs.resize(group_count);
  for (std::size_t g = 0; g < group_count; ++g) coeffs[g] = make(groups[g]);
  return coeffs;
}

template <class T>
void adam_step(const AdamTensor<T>* tensors, std::size_t count, const AdamGroup* groups,
               std::size_t group_count) {
  const auto kernel = adam_kernel<T>(active_kernels());
  const auto& coeffs = group_coeffs<AdamCoeffs<T>>(groups, group_count, adam_coeffs<T>);
  detail::for_each_piece(
      count, [&](std::size_t i) { return tensors[i].size; },
      [&](std::size_t i, std::size_t b, std::size_t e) {
        const AdamTensor<T>& x = tensors[i];
        AdamCoeffs<T> k = coeffs[x.group];
        k.grad_scale = grad_factor<T>(groups[x.group], x.grad_scale);
        T* vmax = x.max_exp_avg_sq ? x.max_exp_avg_sq + b : nullptr;
        kernel(x.param + b, x.grad + b, x.exp_avg + b, x.exp_avg_sq + b, vmax, e - b, k);
      });
}

template <class T>
void sgd_step(const SgdTensor<T>* tensors, std::size_t count, const SgdGroup* groups,
              std::size_t group_count) {
  const auto kernel = sgd_kernel<T>(active_kernels());
  const auto& coeffs = group_coeffs<SgdCoeffs<T>>(groups, group_count, sgd_coeffs<T>);
  detail::for_each_piece(
      count, [&](std::size_t i) { return tensors[i].size; },
      [&](std::size_t i, std::size_t b, std::size_t e) {
        const SgdTensor<T>& x = tensors[i];
        SgdCoeffs<T> k = coeffs[x.group];
        k.grad_scale = grad_factor<T>(groups[x.group], x.grad_scale);
        T* buf = x.momentum_buffer ? x.momentum_buffer + b : nullptr;
        kernel(x.param + b, x.grad + b, buf, e - b, k);
      });
}

template void adam_step<float>(const AdamTensor<float>*, std::size_t, const AdamGroup*,
                               std::size_t);
template void adam_step<double>(const AdamTensor<double>*, std::size_t, const AdamGroup*,
                                std::size_t);
template void sgd_step<float>(const SgdTensor<float>*, std::size_t, const SgdGroup*,
                              std::size_t);
template void sgd_step<double>(const SgdTensor<double>*, std::size_t, const SgdGroup*,
                               std::size_t);

}  // namespace optkern
