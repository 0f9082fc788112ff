// RMSprop's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/rmsprop.hpp"

OPTKERN_EXPORT_KERNELS(Rmsprop, rmsprop_update)
