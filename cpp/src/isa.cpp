// Runtime choice of the kernels (dispatch.hpp): the best ISA the CPU supports, unless
// OPTKERN_ISA (read by the bindings at import) or set_isa asks for a lower one.
#include <atomic>
#include <stdexcept>

#include "optkern/optkern.hpp"

namespace optkern {
namespace {

bool cpu_has(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return true;
#if defined(OPTKERN_HAVE_AVX2)
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#if defined(OPTKERN_HAVE_AVX512)
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif
    default:
      return false;
  }
}

Isa best_isa() {
  const std::vector<Isa> isas = available_isas();
  return isas.back();
}

std::atomic<int> g_active{-1};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return "scalar";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (name == isa_name(isa)) return isa;
  throw std::invalid_argument("unknown ISA '" + name + "'; expected scalar, avx2 or avx512");
}

std::vector<Isa> available_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (cpu_has(isa)) isas.push_back(isa);
  return isas;
}

Isa active_isa() {
  int active = g_active.load(std::memory_order_acquire);
  if (active < 0) {
    active = static_cast<int>(best_isa());
    g_active.store(active, std::memory_order_release);
  }
  return static_cast<Isa>(active);
}

void set_isa(Isa isa) {
  if (!cpu_has(isa)) {
    std::string have;
    for (Isa a : available_isas()) have += std::string(have.empty() ? "" : ", ") + isa_name(a);
    throw std::invalid_argument(std::string("ISA '") + isa_name(isa) +
                                "' is not available on this CPU/build (available: " + have + ")");
  }
  g_active.store(static_cast<int>(isa), std::memory_order_release);
}

}  // namespace optkern
