// Adam's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/adam.hpp"

OPTKERN_EXPORT_KERNELS(Adam, adam_update)
