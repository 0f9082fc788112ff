// Binary cross-entropy (Keras BinaryCrossentropy), elementwise, the mean over
// the last axis by ElementwiseLoss. y' = y(1 − ls) + ½ls.
//   From logits x: f = max(x, 0) − x·y' + log1p(e^−|x|), ∂f/∂x = σ(x) − y',
//     log1p(e) = log u + (e − (u − 1))·r with u = 1 + e rounded and r = 1/u,
//     σ(x) = r = 1/(1 + e^−|x|) for x ≥ 0, e^−|x|·r below: finite for any
//     finite x (±1e4 included).
//   From probabilities: q = clip(ŷ, ε, 1 − ε), f = −(y' log q + (1 − y') log(1 − q)),
//     ∂f/∂ŷ = (q − y')/(q(1 − q)), 0 where ŷ was clipped. At a clip bound the
//     logs are those of the bounds in double (log ε, log(1 − ε), log(1 − (1 − ε))),
//     not of 1 − ε rounded to T.
#pragma once

#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

struct BinaryCrossentropyFromLogits {
  template <class V>
  static void eval(V y, V x, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V ys = y * k.smooth_keep + k.smooth_add_binary;
    const V ax = x < T(0) ? -x : x;
    const V e = vexp(-ax);
    // max(x, 0) − x·y' as c·x, c = 1 − y' or −y', and 0 where c = 0 (so that
    // an infinite logit its target agrees with counts 0).
    const V coef = x > T(0) ? T(1) - ys : -ys;
    const V lin = coef == T(0) ? V{} : coef * x;
    // log1p(e) = log u + (e − (u − 1))/u with u = 1 + e rounded: the
    // correction is u's rounding error (exact) over u, and 1/u is σ's r, so
    // one division serves both (the neglected term is below ((e−(u−1))/u)²/2).
    const V u = e + T(1);
    const V r = T(1) / u;
    f = lin + (vlog(u) + (e - (u - T(1))) * r);
    const V sigma = x >= T(0) ? r : e * r;
    df = sigma - ys;
  }
};

struct BinaryCrossentropy {
  template <class V>
  static void eval(V y, V p, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V ys = y * k.smooth_keep + k.smooth_add_binary;
    const auto low = p < k.eps;
    const auto high = p > k.one_minus_eps;
    V q = low ? splat<V>(k.eps) : p;
    q = high ? splat<V>(k.one_minus_eps) : q;
    const V one_minus_q = T(1) - q;
    V log_q = vlog(q), log_1mq = vlog(one_minus_q);
    log_q = low ? splat<V>(k.log_lower) : (high ? splat<V>(k.log_upper) : log_q);
    log_1mq = low ? splat<V>(k.log_upper) : (high ? splat<V>(k.log_one_minus_upper) : log_1mq);
    f = -(ys * log_q + (T(1) - ys) * log_1mq);
    const V d = (q - ys) / (q * one_minus_q);
    df = (low | high) ? V{} : d;
  }
};

}  // namespace optkern::OPTKERN_TARGET
