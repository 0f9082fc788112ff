// Bindings of the optimizer steps: the shared enums, then one line per
// optimizer (fused_step.hpp does the rest).
#include <pybind11/pybind11.h>

#include "fused_step.hpp"

namespace optkern::bindings {

void grad_scales_of(const py::object& scales, std::size_t n, std::vector<double>& out) {
  if (scales.is_none()) {
    out.assign(n, 1.0);
  } else if (py::isinstance<py::float_>(scales) || py::isinstance<py::int_>(scales)) {
    out.assign(n, scales.cast<double>());
  } else {
    const py::list list = scales;
    require_length(list, n, "grad_scales");
    out.resize(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = list[i].cast<double>();
  }
}

void group_of_tensors(const py::list& counts, std::size_t n, std::vector<std::size_t>& group) {
  for (std::size_t k = 0; k < counts.size(); ++k)
    group.insert(group.end(), counts[k].cast<std::size_t>(), k);
  if (group.size() != n)
    throw py::value_error("the groups hold " + std::to_string(group.size()) +
                          " parameters but " + std::to_string(n) + " were given");
}

void add_span(std::vector<Span>& spans, const ArrayRef& a, bool written, const char* what,
              std::size_t i) {
  if (a.size == 0 || a.data == nullptr) return;
  const char* b = static_cast<const char*>(a.data);
  const std::size_t item = a.dtype == Dtype::f32 ? 4 : 8;
  spans.push_back({b, b + a.size * item, written, what, i});
}

void register_optimizers(py::module_& m) {
  py::enum_<Convention>(m, "Convention", "Which framework's formulas an update follows.")
      .value("keras", Convention::keras)
      .value("torch", Convention::torch);
  py::enum_<WeightDecay>(m, "WeightDecay", "How weight decay enters an update.")
      .value("none", WeightDecay::none)
      .value("l2", WeightDecay::l2)
      .value("decoupled_keras", WeightDecay::decoupled_keras)
      .value("decoupled_torch", WeightDecay::decoupled_torch);

  bind_optimizer<Adam>(m);
  bind_optimizer<Sgd>(m);
  bind_optimizer<Rmsprop>(m);
  bind_optimizer<Adamax>(m);
  bind_optimizer<Lion>(m);
  bind_optimizer<Nadam>(m);
  bind_optimizer<Adagrad>(m);
  bind_optimizer<Adadelta>(m);
}

}  // namespace optkern::bindings
