// Adam's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/adam.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Adam, adam_update)
