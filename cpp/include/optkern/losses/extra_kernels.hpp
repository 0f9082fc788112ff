// Kernel headers of the losses listed in extra_list.hpp, one include each.
// Included only by the per-ISA kernel source (cpp/src/loss_kernels.cpp).
#pragma once

#include "optkern/losses/focal.hpp"
#include "optkern/losses/hinge.hpp"
#include "optkern/losses/probabilistic.hpp"
#include "optkern/losses/regression_extra.hpp"
