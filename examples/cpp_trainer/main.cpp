// A linear softmax classifier trained in C++ with optkern's fused kernels:
// the sparse softmax cross-entropy (loss and gradient in one pass) and the
// multi-tensor Adam step. No Python involved.
//
// Data: Gaussian blobs, one per class, generated here. Model: logits = x·W + b.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "optkern/losses.hpp"
#include "optkern/optkern.hpp"

namespace {

constexpr std::size_t kSamples = 4000, kFeatures = 8, kClasses = 5, kBatch = 100;
constexpr int kEpochs = 20;

struct Data {
  std::vector<float> x;              // kSamples × kFeatures
  std::vector<std::int64_t> labels;  // kSamples
};

// kClasses blobs of unit spread around random centres.
Data make_blobs(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(kClasses * kFeatures);
  for (float& c : centres) c = 2.0f * normal(rng);
  Data d{std::vector<float>(kSamples * kFeatures), std::vector<std::int64_t>(kSamples)};
  for (std::size_t i = 0; i < kSamples; ++i) {
    const std::size_t k = i % kClasses;
    d.labels[i] = static_cast<std::int64_t>(k);
    for (std::size_t j = 0; j < kFeatures; ++j)
      d.x[i * kFeatures + j] = centres[k * kFeatures + j] + normal(rng);
  }
  return d;
}

// logits[r] = x[r]·W + b for `rows` rows starting at x.
void forward(const float* x, std::size_t rows, const std::vector<float>& w,
             const std::vector<float>& b, float* logits) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < kClasses; ++k) {
      float z = b[k];
      for (std::size_t j = 0; j < kFeatures; ++j) z += x[r * kFeatures + j] * w[j * kClasses + k];
      logits[r * kClasses + k] = z;
    }
}

}  // namespace

int main() {
  const Data data = make_blobs(7);
  std::printf("optkern C++ core: isa %s, %d threads\n", optkern::isa_name(optkern::active_isa()),
              optkern::num_threads());

  // Parameters, their gradients and Adam's two state arrays (m, v) per tensor.
  std::vector<float> w(kFeatures * kClasses, 0.0f), b(kClasses, 0.0f);
  std::vector<float> dw(w.size()), db(b.size());
  std::vector<float> mw(w.size()), vw(w.size()), mb(b.size()), vb(b.size());

  optkern::AdamGroup adam;  // Keras Adam: beta1 0.9, beta2 0.999, eps 1e-7
  adam.lr = 0.01;
  // One record per tensor: {param, grad, {m, v, v̂ (amsgrad only)}, size, grad_scale, group}.
  const optkern::TensorOf<optkern::Adam, float> tensors[] = {
      {w.data(), dw.data(), {mw.data(), vw.data(), nullptr}, w.size(), 1.0, 0},
      {b.data(), db.data(), {mb.data(), vb.data(), nullptr}, b.size(), 1.0, 0},
  };

  std::vector<float> logits(kBatch * kClasses), dlogits(kBatch * kClasses);
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    double epoch_loss = 0.0;
    for (std::size_t start = 0; start < kSamples; start += kBatch) {
      const float* x = &data.x[start * kFeatures];
      forward(x, kBatch, w, b, logits.data());

      // Mean cross-entropy over the batch and its gradient d(loss)/d(logits).
      optkern::LossInput<float> in;
      in.labels = &data.labels[start];
      in.label_bytes = 8;
      in.y_pred = logits.data();
      in.rows = kBatch;
      in.cols = kClasses;
      in.grad = dlogits.data();
      epoch_loss +=
          optkern::loss(optkern::LossKind::sparse_categorical_crossentropy_from_logits, in,
                        optkern::Reduction::sum_over_batch_size, optkern::LossParams{});

      // Backward through the linear layer: dW = xᵀ·dlogits, db = Σ_rows dlogits.
      std::fill(dw.begin(), dw.end(), 0.0f);
      std::fill(db.begin(), db.end(), 0.0f);
      for (std::size_t r = 0; r < kBatch; ++r)
        for (std::size_t k = 0; k < kClasses; ++k) {
          const float g = dlogits[r * kClasses + k];
          db[k] += g;
          for (std::size_t j = 0; j < kFeatures; ++j)
            dw[j * kClasses + k] += x[r * kFeatures + j] * g;
        }

      // One fused Adam step over both tensors.
      optkern::fused_step<optkern::Adam, float>(tensors, 2, &adam, 1, ++step);
    }
    std::printf("epoch %2d  loss %.4f\n", epoch, epoch_loss / (kSamples / kBatch));
  }

  std::vector<float> all(kSamples * kClasses);
  forward(data.x.data(), kSamples, w, b, all.data());
  std::size_t correct = 0;
  for (std::size_t i = 0; i < kSamples; ++i) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < kClasses; ++k)
      if (all[i * kClasses + k] > all[i * kClasses + best]) best = k;
    correct += static_cast<std::int64_t>(best) == data.labels[i];
  }
  std::printf("final accuracy: %.4f\n", static_cast<double>(correct) / kSamples);
  return 0;
}
