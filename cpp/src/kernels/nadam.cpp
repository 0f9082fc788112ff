// Nadam's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/nadam.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Nadam, nadam_update)
