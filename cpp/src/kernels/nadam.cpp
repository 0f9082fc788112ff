// Nadam's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/nadam.hpp"

OPTKERN_EXPORT_KERNELS(Nadam, nadam_update)
