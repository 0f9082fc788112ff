// Adadelta's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/adadelta.hpp"

OPTKERN_EXPORT_KERNELS(Adadelta, adadelta_update)
