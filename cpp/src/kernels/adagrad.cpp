// Adagrad's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/adagrad.hpp"

OPTKERN_EXPORT_KERNELS(Adagrad, adagrad_update)
