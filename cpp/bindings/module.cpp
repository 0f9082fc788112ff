// optkern._core: the pybind11 module. One register_* per area.
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <string>

#include "optkern/optkern.hpp"

namespace py = pybind11;

namespace optkern::bindings {
void register_info(py::module_& m);
void register_optimizers(py::module_& m);
void register_reductions(py::module_& m);
void register_losses(py::module_& m);
}  // namespace optkern::bindings

PYBIND11_MODULE(_core, m) {
  m.doc() = "optkern's native kernels (internal; use the optkern package).";
  m.attr("__version__") = OPTKERN_VERSION;
  // OPTKERN_ISA forces a lower instruction set; one the CPU lacks fails the import.
  if (const char* forced = std::getenv("OPTKERN_ISA"); forced && *forced) {
    try {
      optkern::set_isa(optkern::parse_isa(forced));
    } catch (const std::invalid_argument& e) {
      throw py::import_error(std::string("OPTKERN_ISA=") + forced + ": " + e.what());
    }
  }
  optkern::bindings::register_info(m);
  optkern::bindings::register_optimizers(m);
  optkern::bindings::register_reductions(m);
  optkern::bindings::register_losses(m);
}
