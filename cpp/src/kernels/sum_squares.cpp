// The sum-of-squares kernel for one instruction set (compiled once per ISA).
#include "dispatch.hpp"
#include "optkern/reduce.hpp"

OPTKERN_EXPORT_KERNELS(SumSquares, sum_squares_lanes)
OPTKERN_EXPORT_KERNELS(GradStats, grad_stats_lanes)
