// The multi-tensor step of every optimizer (one line each).
#include "fused_step.hpp"

OPTKERN_INSTANTIATE_STEP(Adam)
OPTKERN_INSTANTIATE_STEP(Sgd)
OPTKERN_INSTANTIATE_STEP(Rmsprop)
