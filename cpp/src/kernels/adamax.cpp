// Adamax's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/adamax.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Adamax, adamax_update)
