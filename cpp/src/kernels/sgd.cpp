// SGD's kernels for one instruction set (CMake compiles this once per ISA).
#include "dispatch.hpp"
#include "optkern/optimizers/sgd.hpp"

OPTKERN_EXPORT_KERNELS(Sgd, sgd_update)
