// The training controls' kernels for one instruction set (compiled once per ISA).
#include "dispatch.hpp"
#include "optkern/controls.hpp"

OPTKERN_EXPORT_KERNELS(AccumulateKernel, accumulate_grads)
OPTKERN_EXPORT_KERNELS(AverageGradsKernel, average_grads)
OPTKERN_EXPORT_KERNELS(EmaKernel, ema_update)
