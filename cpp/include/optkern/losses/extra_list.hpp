// Registry lines of the losses beyond the core ones, in the form of list.hpp:
//   X(name, Kernel, targets)                                               \
// Their kernel headers are included by extra_kernels.hpp.
// Hinge and SquaredHinge have a second kind for labels that are all 0 or 1,
// which Keras maps to −1/+1 (the Python class picks it per call).
#pragma once

#define OPTKERN_EXTRA_LOSS_LIST(X)                                                                \
  X(mean_absolute_percentage_error, ElementwiseLoss<MeanAbsolutePercentageError>, dense)          \
  X(mean_squared_logarithmic_error, ElementwiseLoss<MeanSquaredLogarithmicError>, dense)          \
  X(log_cosh, ElementwiseLoss<LogCosh>, dense)                                                    \
  X(cosine_similarity, RowwiseLoss<CosineSimilarity>, dense)                                      \
  X(hinge, ElementwiseLoss<Hinge<false>>, dense)                                                  \
  X(hinge_binary_labels, ElementwiseLoss<Hinge<true>>, dense)                                     \
  X(squared_hinge, ElementwiseLoss<SquaredHinge<false>>, dense)                                   \
  X(squared_hinge_binary_labels, ElementwiseLoss<SquaredHinge<true>>, dense)                      \
  X(categorical_hinge, RowwiseLoss<CategoricalHinge>, dense)                                      \
  X(kl_divergence, ElementwiseLoss<KLDivergence>, dense)                                          \
  X(poisson, ElementwiseLoss<Poisson>, dense)                                                     \
  X(binary_focal_crossentropy, ElementwiseLoss<BinaryFocalCrossentropy<false>>, dense)            \
  X(binary_focal_crossentropy_from_logits, ElementwiseLoss<BinaryFocalCrossentropy<true>>, dense) \
  X(categorical_focal_crossentropy, RowwiseLoss<CategoricalFocalCrossentropy<false>>, dense)      \
  X(categorical_focal_crossentropy_from_logits, RowwiseLoss<CategoricalFocalCrossentropy<true>>,  \
    dense)
