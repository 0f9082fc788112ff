// SGD's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/sgd.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Sgd, sgd_update)
