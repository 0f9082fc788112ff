// The multi-tensor step of every optimizer (one line each).
#include "fused_step.hpp"

OPTKERN_INSTANTIATE_STEP(Adam)
OPTKERN_INSTANTIATE_STEP(Sgd)
OPTKERN_INSTANTIATE_STEP(Rmsprop)
OPTKERN_INSTANTIATE_STEP(Adamax)
OPTKERN_INSTANTIATE_STEP(Lion)
OPTKERN_INSTANTIATE_STEP(Nadam)
