// Every optimizer of the C++ API (one line each).
#pragma once

#include "optkern/optimizers/adam.hpp"
#include "optkern/optimizers/sgd.hpp"
#include "optkern/optimizers/rmsprop.hpp"
