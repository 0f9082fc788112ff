// Keras's focal cross-entropies: BinaryFocalCrossentropy (elementwise, mean
// over the last axis) and CategoricalFocalCrossentropy (a whole row at a
// time), each for probabilities and for logits.
//
// As in Keras, logits go through the sigmoid (binary) or softmax
// (categorical) first and the log's argument is clipped to [ε, 1 − ε]; the
// focal factor uses the unclipped probability. The derivative of the log term
// is 0 strictly outside [ε, 1 − ε].
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "optkern/losses/extra_math.hpp"
#include "optkern/losses/kernel.hpp"

namespace optkern::OPTKERN_TARGET {

// y' = y(1 − ls) + ls/2; p = σ(x) for logits, else ŷ; q = clip(p, ε, 1 − ε);
// bce = −(y' log q + (1 − y') log(1 − q)); u = y'(1 − p) + (1 − y')p (Keras's
// 1 − p_t, written as a sum of non-negative terms); f = w·u^γ·bce with
// w = y'α + (1 − y')(1 − α) under apply_class_balancing, else 1.
// ∂f/∂ŷ = w·(γu^(γ−1)(1 − 2y')·bce + u^γ·(q − y')/(q(1 − q))), the second
// term 0 where p is clipped. From logits the same through σ' = p(1 − p):
// ∂f/∂x = w·(γu^(γ−1)(1 − 2y')·p(1 − p)·bce + u^γ·(p − y')), with p and 1 − p
// taken as σ(x) and σ(−x), log p = −softplus(−x) and log(1 − p) = −softplus(x)
// (no cancellation in 1 − p near p = 1).
template <bool LOGITS>
struct BinaryFocalCrossentropy {
  template <class V>
  static void eval(V y, V x, const LossConstants<elem_t<V>>& k, V& f, V& df) {
    using T = elem_t<V>;
    const V eps = splat<V>(k.eps), ome = splat<V>(k.one_minus_eps);
    const V ys = y * k.smooth_keep + k.smooth_add_binary;
    const V yn = T(1) - ys;
    V p, pm, log_p, log_pm, dlog, chain;  // p, 1 − p, their logs, ∂bce, ∂p
    if constexpr (LOGITS) {
      const V e = vexp(-vabs(x));
      const V r = T(1) / (T(1) + e);
      const V er = e * r;
      const auto neg = x < T(0);
      p = neg ? er : r;
      pm = neg ? r : er;
      const V softplus_neg = vlog1p(e);  // log(1 + e^−|x|)
      log_p = -((neg ? -x : V{}) + softplus_neg);
      log_pm = -((neg ? V{} : x) + softplus_neg);
      dlog = p - ys;
      chain = p * pm;
    } else {
      p = x;
      pm = T(1) - x;
      const V q = vclip(p, eps, ome);
      const V oq = T(1) - q;
      log_p = vlog(q);
      log_pm = vlog(oq);
      dlog = (q - ys) / (q * oq);
      chain = splat<V>(T(1));
    }
    const auto low = p<eps, high = p> ome;
    log_p = low ? splat<V>(k.log_lower) : (high ? splat<V>(k.log_upper) : log_p);
    log_pm = low ? splat<V>(k.log_upper) : (high ? splat<V>(k.log_one_minus_upper) : log_pm);
    const V bce = -(ys * log_p + yn * log_pm);
    const V u = ys * pm + yn * p;
    V du;
    const V fac = vfocal_power(u, k.gamma, du);
    V v = fac * bce;
    V d = ((du * (T(1) - (ys + ys))) * chain) * bce + fac * (low | high ? V{} : dlog);
    if (k.apply_class_balancing) {
      const V w = ys * k.alpha + yn * (T(1) - k.alpha);
      v = w * v;
      d = w * d;
    }
    f = v;
    df = d;
  }
};

// One row of K classes: y' = y(1 − ls) + ls/K; r = ŷ/Σŷ (probabilities) or
// softmax(x) (logits; Keras's second normalisation of the softmax is the
// identity); o = clip(r, ε, 1 − ε); L = Σ α(1 − o)^γ·(−y' log o), summed in
// double; from logits log o = (x − max) − log Σe^(x−max) where unclipped (no
// log per element). With h_j = ∂L/∂o_j = −α(γ(1 − o)^(γ−1)·(−y' log o) + (1 − o)^γ·y'/o)
// (0 where r_j is clipped) and A = Σ h_j r_j: for probabilities
// ∂L/∂ŷ_j = (h_j − A)/Σŷ, for logits ∂L/∂x_j = r_j(h_j − A).
template <bool LOGITS>
struct CategoricalFocalCrossentropy {
  template <class T>
  static double row(const T* y, const T* x, T* g, std::size_t d, double gscale,
                    const LossConstants<T>& k) {
    using V = vec_t<T>;
    constexpr std::size_t W = simd<T>::W;
    // Sweep 1: the normaliser (for logits after the row maximum).
    T shift = T(0);
    if constexpr (LOGITS) {
      V mv = splat<V>(-std::numeric_limits<T>::infinity());
      for (std::size_t j = 0; j < d; j += W) {
        const std::size_t n = d - j < W ? d - j : W;
        const V xv = n == W ? load(x + j) : load_partial(x + j, n, T(0));
        mv = lanes_below<T>(n) ? vmax_nan(xv, mv) : mv;
      }
      shift = mv[0];
      for (std::size_t l = 1; l < W; ++l)
        shift = (mv[l] > shift) | (mv[l] != mv[l]) ? mv[l] : shift;
    }
    DoubleLanes sacc;
    for (std::size_t j = 0; j < d; j += W) {
      const std::size_t n = d - j < W ? d - j : W;
      const V xv = n == W ? load(x + j) : load_partial(x + j, n, T(0));
      const V e = LOGITS ? vexp(xv - shift) : xv;
      sacc.add(lanes_below<T>(n) ? e : V{});
    }
    const T sum = static_cast<T>(sacc.sum());
    // Logits: log r = (x − max) − log Σ, no log per element.
    const T log_sum = LOGITS ? log_scalar(sum) : T(0);

    // Sweep 2: the loss, h_j (kept in a per-thread buffer), A, and r_j in g.
    thread_local std::vector<T> h_storage;
    std::vector<T>& h = h_storage;
    if (g && h.size() < d + W) h.resize(d + W);
    const V eps = splat<V>(k.eps), ome = splat<V>(k.one_minus_eps);
    const T add = k.label_smoothing / static_cast<T>(d);
    DoubleLanes lacc, aacc;
    for (std::size_t j = 0; j < d; j += W) {
      const std::size_t n = d - j < W ? d - j : W;
      const auto live = lanes_below<T>(n);
      const V xv = n == W ? load(x + j) : load_partial(x + j, n, T(0));
      const V yv = n == W ? load(y + j) : load_partial(y + j, n, T(0));
      const V r = (LOGITS ? vexp(xv - shift) : xv) / sum;
      const auto low = r<eps, high = r> ome;
      const V o = vclip(r, eps, ome);
      const V ys = yv * k.smooth_keep + add;
      V log_o = LOGITS ? (xv - shift) - log_sum : vlog(o);
      log_o = low ? splat<V>(k.log_lower) : (high ? splat<V>(k.log_upper) : log_o);
      const V ce = -(ys * log_o);
      V du;
      const V fac = vfocal_power(high ? eps : T(1) - o, k.gamma, du);
      lacc.add(live ? (fac * k.alpha) * ce : V{});
      if (g) {
        const V hv = low | high ? V{} : -((du * ce + fac * (ys / o)) * k.alpha);
        aacc.add(live ? hv * r : V{});
        store(h.data() + j, hv);
        if constexpr (LOGITS) {
          if (n == W)
            store(g + j, r);
          else
            store_partial(g + j, r, n);
        }
      }
    }
    // Sweep 3: the gradient.
    if (g) {
      const T a = static_cast<T>(aacc.sum()), gs = static_cast<T>(gscale);
      for (std::size_t j = 0; j < d; j += W) {
        const std::size_t n = d - j < W ? d - j : W;
        const V hv = load(h.data() + j);
        V gv;
        if constexpr (LOGITS) {
          const V r = n == W ? load(g + j) : load_partial(g + j, n, T(0));
          gv = (r * (hv - a)) * gs;
        } else {
          gv = ((hv - a) / sum) * gs;
        }
        if (n == W)
          store(g + j, gv);
        else
          store_partial(g + j, gv, n);
      }
    }
    return lacc.sum();
  }
};

}  // namespace optkern::OPTKERN_TARGET
