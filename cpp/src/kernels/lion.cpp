// Lion's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/lion.hpp"

OPTKERN_EXPORT_KERNELS(Lion, lion_update)
