// Every optimizer of the C++ API (one line each).
#pragma once

#include "optkern/optimizers/adadelta.hpp"
#include "optkern/optimizers/adagrad.hpp"
#include "optkern/optimizers/adam.hpp"
#include "optkern/optimizers/adamax.hpp"
#include "optkern/optimizers/lion.hpp"
#include "optkern/optimizers/nadam.hpp"
#include "optkern/optimizers/rmsprop.hpp"
#include "optkern/optimizers/sgd.hpp"
