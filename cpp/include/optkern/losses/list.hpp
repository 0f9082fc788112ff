// The registry of loss kernels: one line per loss.
//
// X(name, Kernel, targets)
//   name     the kind's identifier: LossKind::name in C++, _core.LossKind.name
//            in Python (bound by name, no number is written anywhere else).
//   Kernel   the kernel struct in the per-ISA namespace (see kernel.hpp); an
//            elementwise loss is ElementwiseLoss<Functor>, a loss computed
//            row by row is RowwiseLoss<Functor>. No comma may appear in it.
//   targets  dense (y_true has y_pred's shape) or labels (integer class
//            labels, one per row).
//
// Adding a loss: see the steps at the top of optkern/losses.hpp.
#pragma once

#define OPTKERN_LOSS_LIST(X)                                                               \
  X(mean_squared_error, ElementwiseLoss<MeanSquaredError>, dense)                          \
  X(mean_absolute_error, ElementwiseLoss<MeanAbsoluteError>, dense)                        \
  X(huber, ElementwiseLoss<Huber>, dense)                                                  \
  X(binary_crossentropy, ElementwiseLoss<BinaryCrossentropy>, dense)                       \
  X(binary_crossentropy_from_logits, ElementwiseLoss<BinaryCrossentropyFromLogits>, dense) \
  X(categorical_crossentropy, RowwiseLoss<CategoricalCrossentropy>, dense)                 \
  X(categorical_crossentropy_from_logits, SoftmaxCrossentropy<false>, dense)               \
  X(sparse_categorical_crossentropy, SparseCategoricalCrossentropy, labels)                \
  X(sparse_categorical_crossentropy_from_logits, SoftmaxCrossentropy<true>, labels)        \
  OPTKERN_EXTRA_LOSS_LIST(X)

// Losses beyond the core ones are listed in extra_list.hpp (their kernel
// headers in extra_kernels.hpp), so that they are added without touching
// this file.
#include "optkern/losses/extra_list.hpp"
