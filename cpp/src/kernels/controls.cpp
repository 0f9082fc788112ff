// The training controls' kernels for one instruction set (compiled once per ISA).
#include "optkern/controls.hpp"

#include "dispatch.hpp"

OPTKERN_EXPORT_KERNELS(AccumulateKernel, accumulate_grads)
OPTKERN_EXPORT_KERNELS(AverageGradsKernel, average_grads)
OPTKERN_EXPORT_KERNELS(EmaKernel, ema_update)
