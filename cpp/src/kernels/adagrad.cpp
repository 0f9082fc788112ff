// Adagrad's kernels for one instruction set (CMake compiles this once per ISA).
#include "optkern/optimizers/adagrad.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(Adagrad, adagrad_update)
