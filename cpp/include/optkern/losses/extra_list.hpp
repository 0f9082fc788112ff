// Registry lines of the losses beyond the core ones, in the form of list.hpp:
//   X(name, Kernel, targets)                                               \
// Their kernel headers are included by extra_kernels.hpp.
#pragma once

#define OPTKERN_EXTRA_LOSS_LIST(X)
