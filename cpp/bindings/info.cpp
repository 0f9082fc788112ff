// Bindings of build information, ISA selection and thread control.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "optkern/optkern.hpp"

namespace optkern::bindings {

namespace py = pybind11;

namespace {

std::vector<std::string> available_isa_names() {
  std::vector<std::string> names;
  for (Isa isa : available_isas()) names.emplace_back(isa_name(isa));
  return names;
}

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}

}  // namespace

void register_info(py::module_& m) {
  m.def(
      "isa", [] { return std::string(isa_name(active_isa())); },
      "The instruction set whose kernels are in use.");
  m.def("available_isas", &available_isa_names,
        "Instruction sets this build has kernels for and this CPU supports, lowest first.");
  m.def(
      "set_isa", [](const std::string& name) { set_isa(parse_isa(name)); }, py::arg("name"),
      "Selects the kernels of one instruction set (scalar, avx2 or avx512).");
  m.def("openmp", &openmp_enabled, "Whether this build uses OpenMP.");
  m.def("num_threads", &num_threads, "Threads used by optkern's parallel regions.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"),
        "Sets the threads used by optkern's parallel regions (n >= 1).");
  m.attr("compiler") = compiler();
  m.attr("chunk_elements") = kChunkElements;
  m.attr("parallel_min_elements") = kParallelMinElements;
}

}  // namespace optkern::bindings
