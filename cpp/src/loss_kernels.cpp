// Instantiates every loss kernel for one instruction set (compiled once per
// ISA, like kernels.cpp). One #include per loss; the table follows list.hpp.
#include "loss_table.hpp"
#include "optkern/losses/binary_crossentropy.hpp"
#include "optkern/losses/extra_kernels.hpp"
#include "optkern/losses/huber.hpp"
#include "optkern/losses/kernel.hpp"
#include "optkern/losses/mean_absolute_error.hpp"
#include "optkern/losses/mean_squared_error.hpp"
#include "optkern/losses/probability_crossentropy.hpp"
#include "optkern/losses/softmax_crossentropy.hpp"

namespace optkern::OPTKERN_TARGET {

extern const LossKernelTable loss_kernels;
const LossKernelTable loss_kernels = {
#define OPTKERN_LOSS_F32(name, kernel, targets) &kernel::rows<float>,
#define OPTKERN_LOSS_F64(name, kernel, targets) &kernel::rows<double>,
    {OPTKERN_LOSS_LIST(OPTKERN_LOSS_F32)},
    {OPTKERN_LOSS_LIST(OPTKERN_LOSS_F64)},
#undef OPTKERN_LOSS_F32
#undef OPTKERN_LOSS_F64
    &vmath_apply<float>,
    &vmath_apply<double>,
};

}  // namespace optkern::OPTKERN_TARGET
