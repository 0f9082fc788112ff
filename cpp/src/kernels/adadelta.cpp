// Adadelta's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/adadelta.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Adadelta, adadelta_update)
