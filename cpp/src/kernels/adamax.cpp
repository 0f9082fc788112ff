// Adamax's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/adamax.hpp"

OPTKERN_EXPORT_KERNELS(Adamax, adamax_update)
