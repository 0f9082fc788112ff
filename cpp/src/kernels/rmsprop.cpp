// RMSprop's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/rmsprop.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Rmsprop, rmsprop_update)
