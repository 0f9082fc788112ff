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
    throw py::value_error("the groups hold " + std::to_string(group.size()) + " parameters but " +
                          std::to_string(n) + " were given");
}

void add_span(std::vector<Span>& spans, const ArrayRef& a, bool written, const char* what,
              std::size_t i) {
  if (a.size == 0 || a.data == nullptr) return;
  const char* b = static_cast<const char*>(a.data);
  const std::size_t item = a.dtype == Dtype::f32 ? 4 : 8;
  spans.push_back({b, b + a.size * item, written, what, i});
}

namespace {

// One optional per-tensor array list of the controls tuple.
void control_arrays(const py::object& obj, std::size_t n, const std::vector<ArrayRef>& params,
                    const py::list& names, const char* what, std::vector<ArrayRef>& out,
                    std::vector<Span>& spans) {
  if (obj.is_none()) return;
  const py::list list = obj;
  require_length(list, n, what);
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = view_array(list[i], what, names, i, true);
    require_like(out[i], params[i], what, names, i);
    add_span(spans, out[i], true, what, i);
  }
}

}  // namespace

void read_controls(const py::object& obj, std::size_t n, const std::vector<ArrayRef>& params,
                   const py::list& names, StepControls& c, std::vector<ArrayRef>& averages,
                   std::vector<ArrayRef>& accums, std::vector<char>& no_decay,
                   std::vector<Span>& spans) {
  const py::tuple t = obj;
  if (t.size() != 7)
    throw py::value_error(
        "controls must be (update, accum_steps, ema_momentum, "
        "ema_overwrite, averages, accumulators, no_decay)");
  c.update = t[0].cast<bool>();
  c.accum_steps = t[1].cast<double>();
  c.ema_momentum = t[2].cast<double>();
  c.ema_overwrite = t[3].cast<bool>();
  if (!(c.accum_steps >= 1.0)) throw py::value_error("accum_steps must be >= 1");
  control_arrays(t[4], n, params, names, "average", averages, spans);
  control_arrays(t[5], n, params, names, "gradient_accumulator", accums, spans);
  if (!t[6].is_none()) {
    const py::list flags = t[6];
    require_length(flags, n, "no_decay");
    no_decay.resize(n);
    for (std::size_t i = 0; i < n; ++i) no_decay[i] = flags[i].cast<bool>() ? 1 : 0;
  }
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
