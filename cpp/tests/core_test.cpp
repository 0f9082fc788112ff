// The C++ core used as a C++ trainer would: no Python. Checks the multi-tensor
// steps on every available ISA and thread count against plain loops written
// here from docs/optimizers.md (same operation order, so the bits must agree), and
// the sum of squares against a double loop.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "optkern/optkern.hpp"

namespace {

int passed = 0, failed = 0;

void check(bool ok, const char* what, const char* isa, int threads) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s (isa %s, %d threads)\n", what, isa, threads);
  }
}

std::vector<float> random_vector(std::size_t n, unsigned seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Keras AdamW, written out: decoupled decay, then the Adam rule.
void adam_reference(std::vector<float>& p, const std::vector<float>& g, std::vector<float>& m,
                    std::vector<float>& v, const optkern::AdamGroup& h, int step) {
  const double t = static_cast<double>(step);
  const float alpha = static_cast<float>(h.lr * std::sqrt(1.0 - std::pow(h.beta2, t)) /
                                         (1.0 - std::pow(h.beta1, t)));
  const float decay = static_cast<float>(h.lr * h.weight_decay);
  const float omb1 = static_cast<float>(1.0 - h.beta1), omb2 = static_cast<float>(1.0 - h.beta2);
  const float eps = static_cast<float>(h.eps);
  for (std::size_t i = 0; i < p.size(); ++i) {
    float pi = p[i] - p[i] * decay;
    m[i] = m[i] + omb1 * (g[i] - m[i]);
    v[i] = v[i] + (g[i] * g[i] - v[i]) * omb2;
    p[i] = pi - (m[i] * alpha) / (std::sqrt(v[i]) + eps);
  }
}

void test_adam(optkern::Isa isa, int threads) {
  const std::size_t sizes[] = {0, 1, 17, 100003, 1000003};
  optkern::AdamGroup h;
  h.lr = 0.01;
  h.weight_decay = 0.1;
  h.weight_decay_mode = optkern::WeightDecay::decoupled_keras;
  std::vector<std::vector<float>> p, g, m, v, pr, mr, vr;
  for (std::size_t k = 0; k < 5; ++k) {
    p.push_back(random_vector(sizes[k], 1 + k, 1.0f));
    m.emplace_back(sizes[k], 0.0f);
    v.emplace_back(sizes[k], 0.0f);
  }
  pr = p, mr = m, vr = v;
  for (int step = 1; step <= 5; ++step) {
    std::vector<optkern::TensorOf<optkern::Adam, float>> tensors;
    for (std::size_t k = 0; k < 5; ++k) {
      g.push_back(random_vector(sizes[k], 100 * step + k, 0.1f));
      tensors.push_back(
          {p[k].data(), g.back().data(), {m[k].data(), v[k].data(), nullptr}, sizes[k], 1.0, 0});
      adam_reference(pr[k], g.back(), mr[k], vr[k], h, step);
    }
    optkern::fused_step<optkern::Adam, float>(tensors.data(), tensors.size(), &h, 1, step);
  }
  bool ok = true;
  for (std::size_t k = 0; k < 5; ++k)
    ok = ok && same_bits(p[k], pr[k]) && same_bits(m[k], mr[k]) && same_bits(v[k], vr[k]);
  check(ok, "fused_step<Adam> == written-out Keras AdamW", optkern::isa_name(isa), threads);
}

void test_sgd(optkern::Isa isa, int threads) {
  const std::size_t n = 300007;
  optkern::SgdGroup h;
  h.lr = 0.05;
  h.momentum = 0.9;
  h.nesterov = true;
  h.convention = optkern::Convention::torch;
  h.first_step = true;
  std::vector<float> p = random_vector(n, 7, 1.0f), b(n, 0.0f);
  std::vector<float> pr = p, br = b;
  for (int step = 0; step < 3; ++step) {
    const std::vector<float> g = random_vector(n, 50 + step, 0.1f);
    optkern::TensorOf<optkern::Sgd, float> t{p.data(), g.data(), {b.data()}, n, 1.0, 0};
    optkern::fused_step<optkern::Sgd, float>(&t, 1, &h, 1, step + 1);
    for (std::size_t i = 0; i < n; ++i) {
      br[i] = step == 0 ? g[i] : br[i] * 0.9f + 1.0f * g[i];
      pr[i] = pr[i] - 0.05f * (g[i] + 0.9f * br[i]);
    }
    h.first_step = false;
  }
  check(same_bits(p, pr) && same_bits(b, br), "fused_step<Sgd> == written-out torch Nesterov SGD",
        optkern::isa_name(isa), threads);
}

void test_sum_squares(optkern::Isa isa, int threads) {
  const std::vector<float> x = random_vector(123457, 3, 2.0f);
  const float* xs[] = {x.data()};
  const std::size_t sizes[] = {x.size()};
  double got = 0.0, want = 0.0;
  optkern::sum_squares(xs, sizes, 1, &got);
  for (float e : x) want += static_cast<double>(e) * e;
  check(std::fabs(got - want) <= 1e-12 * want, "sum_squares within 1e-12 of a double loop",
        optkern::isa_name(isa), threads);
}

}  // namespace

int main() {
  for (optkern::Isa isa : optkern::available_isas()) {
    optkern::set_isa(isa);
    for (int threads : {1, 2}) {
      optkern::set_num_threads(threads);
      test_adam(isa, threads);
      test_sgd(isa, threads);
      test_sum_squares(isa, threads);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
