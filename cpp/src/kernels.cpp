// Instantiates every kernel for one instruction set. CMake compiles this file
// once per ISA with that ISA's -m flags and -DOPTKERN_TARGET=<name>.
#include "kernel_table.hpp"
#include "optkern/adam.hpp"
#include "optkern/reduce.hpp"
#include "optkern/sgd.hpp"

namespace optkern::OPTKERN_TARGET {

extern const KernelTable kernels;
const KernelTable kernels = {
    &adam_update<float>,        &adam_update<double>,
    &sgd_update<float>,         &sgd_update<double>,
    &sum_squares_lanes<float>,  &sum_squares_lanes<double>,
};

}  // namespace optkern::OPTKERN_TARGET
