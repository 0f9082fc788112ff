// Lion's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/lion.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Lion, lion_update)
