// Bindings of the multi-tensor optimizer steps: argument checks, dtype split,
// GIL release. All checks run before the first element is touched.
#include <pybind11/pybind11.h>

#include <cmath>
#include <vector>

#include "arrays.hpp"
#include "optkern/optkern.hpp"

namespace optkern::bindings {
namespace {

// Per-tensor gradient factors: None → 1, a float → the same for all, or a list.
std::vector<double> grad_scales_of(const py::object& scales, std::size_t n) {
  if (scales.is_none()) return std::vector<double>(n, 1.0);
  if (py::isinstance<py::float_>(scales) || py::isinstance<py::int_>(scales))
    return std::vector<double>(n, scales.cast<double>());
  const py::list list = scales;
  require_length(list, n, "grad_scales");
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = list[i].cast<double>();
  return out;
}

// The group index of each tensor, from the groups' "count" fields.
std::vector<std::size_t> group_of_tensors(const std::vector<std::size_t>& counts, std::size_t n) {
  std::vector<std::size_t> group;
  group.reserve(n);
  for (std::size_t gi = 0; gi < counts.size(); ++gi) group.insert(group.end(), counts[gi], gi);
  if (group.size() != n)
    throw py::value_error("the groups hold " + std::to_string(group.size()) +
                          " parameters but " + std::to_string(n) + " were given");
  return group;
}

void add_span(std::vector<Span>& spans, const ArrayRef& a, bool written, const char* what,
              std::size_t i) {
  if (a.size == 0) return;
  const char* b = static_cast<const char*>(a.data);
  const std::size_t item = a.dtype == Dtype::f32 ? 4 : 8;
  spans.push_back({b, b + a.size * item, written, what, i});
}

// The per-tensor arrays of one step, checked: params and states writeable and
// like their parameter, no written memory shared with anything else.
struct CheckedTensors {
  std::vector<ArrayRef> params, grads;
  std::vector<std::vector<ArrayRef>> slots;  // slots[s][i]; data null where absent
};

CheckedTensors check_tensors(const py::list& params, const py::list& grads,
                             const std::vector<std::pair<const char*, py::object>>& slot_lists,
                             const std::vector<std::vector<bool>>& slot_needed,
                             const py::list& names) {
  const std::size_t n = params.size();
  require_length(grads, n, "grads");
  CheckedTensors out;
  std::vector<Span> spans;
  out.params.reserve(n);
  out.grads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.params.push_back(view_array(params[i], "params", names, i, true));
    out.grads.push_back(view_array(grads[i], "grads", names, i, false));
    require_like(out.grads[i], out.params[i], "grads", names, i);
    add_span(spans, out.params[i], true, "params", i);
    add_span(spans, out.grads[i], false, "grads", i);
  }
  for (std::size_t s = 0; s < slot_lists.size(); ++s) {
    const char* what = slot_lists[s].first;
    const py::object& obj = slot_lists[s].second;
    std::vector<ArrayRef> refs(n, ArrayRef{py::array(), Dtype::f32, nullptr, 0});
    if (!obj.is_none()) {
      const py::list list = obj;
      require_length(list, n, what);
      for (std::size_t i = 0; i < n; ++i) {
        if (list[i].is_none()) continue;
        refs[i] = view_array(list[i], what, names, i, true);
        require_like(refs[i], out.params[i], what, names, i);
        add_span(spans, refs[i], true, what, i);
      }
    }
    for (std::size_t i = 0; i < n; ++i)
      if (slot_needed[s][i] && refs[i].data == nullptr && out.params[i].size > 0)
        throw py::value_error(label(what, names, i) + " is required by its group's settings");
    out.slots.push_back(std::move(refs));
  }
  require_disjoint(spans, names);
  return out;
}

template <class T>
T* data_of(const ArrayRef& a) {
  return static_cast<T*>(a.data);
}

// ---- Adam -------------------------------------------------------------------
// Group tuple: (count, step, lr, beta1, beta2, eps, weight_decay, clip,
//               convention, weight_decay_mode, amsgrad, maximize)
AdamGroup adam_group_of(const py::handle& h, std::size_t& count) {
  const py::tuple t = py::reinterpret_borrow<py::tuple>(h);
  if (t.size() != 12) throw py::value_error("an Adam group tuple has 12 fields");
  count = t[0].cast<std::size_t>();
  AdamGroup g;
  g.step = t[1].cast<std::int64_t>();
  g.lr = t[2].cast<double>();
  g.beta1 = t[3].cast<double>();
  g.beta2 = t[4].cast<double>();
  g.eps = t[5].cast<double>();
  g.weight_decay = t[6].cast<double>();
  g.clip = t[7].cast<double>();
  g.convention = static_cast<Convention>(t[8].cast<int>());
  g.weight_decay_mode = static_cast<WeightDecay>(t[9].cast<int>());
  g.amsgrad = t[10].cast<bool>();
  g.maximize = t[11].cast<bool>();
  return g;
}

void adam_step_py(const py::list& groups, const py::list& params, const py::list& grads,
                  const py::object& exp_avg, const py::object& exp_avg_sq,
                  const py::object& max_exp_avg_sq, const py::object& grad_scales,
                  const py::list& names) {
  const std::size_t n = params.size();
  std::vector<AdamGroup> gs;
  std::vector<std::size_t> counts(groups.size());
  for (std::size_t gi = 0; gi < groups.size(); ++gi) gs.push_back(adam_group_of(groups[gi], counts[gi]));
  const std::vector<std::size_t> group = group_of_tensors(counts, n);
  std::vector<bool> all(n, true), amsgrad(n);
  for (std::size_t i = 0; i < n; ++i) amsgrad[i] = gs[group[i]].amsgrad;
  const std::vector<double> scales = grad_scales_of(grad_scales, n);
  const CheckedTensors c = check_tensors(
      params, grads,
      {{"exp_avg", exp_avg}, {"exp_avg_sq", exp_avg_sq}, {"max_exp_avg_sq", max_exp_avg_sq}},
      {all, all, amsgrad}, names);

  std::vector<AdamTensor<float>> f32;
  std::vector<AdamTensor<double>> f64;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& vmax = c.slots[2][i];
    if (c.params[i].dtype == Dtype::f32)
      f32.push_back({data_of<float>(c.params[i]), data_of<float>(c.grads[i]),
                     data_of<float>(c.slots[0][i]), data_of<float>(c.slots[1][i]),
                     amsgrad[i] ? data_of<float>(vmax) : nullptr, c.params[i].size, scales[i],
                     group[i]});
    else
      f64.push_back({data_of<double>(c.params[i]), data_of<double>(c.grads[i]),
                     data_of<double>(c.slots[0][i]), data_of<double>(c.slots[1][i]),
                     amsgrad[i] ? data_of<double>(vmax) : nullptr, c.params[i].size, scales[i],
                     group[i]});
  }
  py::gil_scoped_release release;
  if (!f32.empty()) adam_step(f32.data(), f32.size(), gs.data());
  if (!f64.empty()) adam_step(f64.data(), f64.size(), gs.data());
}

// ---- SGD --------------------------------------------------------------------
// Group tuple: (count, lr, momentum, dampening, weight_decay, clip, convention,
//               weight_decay_mode, nesterov, first_step, maximize)
SgdGroup sgd_group_of(const py::handle& h, std::size_t& count) {
  const py::tuple t = py::reinterpret_borrow<py::tuple>(h);
  if (t.size() != 11) throw py::value_error("an SGD group tuple has 11 fields");
  count = t[0].cast<std::size_t>();
  SgdGroup g;
  g.lr = t[1].cast<double>();
  g.momentum = t[2].cast<double>();
  g.dampening = t[3].cast<double>();
  g.weight_decay = t[4].cast<double>();
  g.clip = t[5].cast<double>();
  g.convention = static_cast<Convention>(t[6].cast<int>());
  g.weight_decay_mode = static_cast<WeightDecay>(t[7].cast<int>());
  g.nesterov = t[8].cast<bool>();
  g.first_step = t[9].cast<bool>();
  g.maximize = t[10].cast<bool>();
  return g;
}

void sgd_step_py(const py::list& groups, const py::list& params, const py::list& grads,
                 const py::object& momentum_buffers, const py::object& grad_scales,
                 const py::list& names) {
  const std::size_t n = params.size();
  std::vector<SgdGroup> gs;
  std::vector<std::size_t> counts(groups.size());
  for (std::size_t gi = 0; gi < groups.size(); ++gi) gs.push_back(sgd_group_of(groups[gi], counts[gi]));
  const std::vector<std::size_t> group = group_of_tensors(counts, n);
  std::vector<bool> needs_buffer(n);
  for (std::size_t i = 0; i < n; ++i) needs_buffer[i] = gs[group[i]].momentum != 0.0;
  const std::vector<double> scales = grad_scales_of(grad_scales, n);
  const CheckedTensors c =
      check_tensors(params, grads, {{"momentum_buffer", momentum_buffers}}, {needs_buffer}, names);

  std::vector<SgdTensor<float>> f32;
  std::vector<SgdTensor<double>> f64;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& buf = c.slots[0][i];
    if (c.params[i].dtype == Dtype::f32)
      f32.push_back({data_of<float>(c.params[i]), data_of<float>(c.grads[i]),
                     needs_buffer[i] ? data_of<float>(buf) : nullptr, c.params[i].size,
                     scales[i], group[i]});
    else
      f64.push_back({data_of<double>(c.params[i]), data_of<double>(c.grads[i]),
                     needs_buffer[i] ? data_of<double>(buf) : nullptr, c.params[i].size,
                     scales[i], group[i]});
  }
  py::gil_scoped_release release;
  if (!f32.empty()) sgd_step(f32.data(), f32.size(), gs.data());
  if (!f64.empty()) sgd_step(f64.data(), f64.size(), gs.data());
}

}  // namespace

void register_optimizers(py::module_& m) {
  m.def("adam_step", &adam_step_py, py::arg("groups"), py::arg("params"), py::arg("grads"),
        py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"),
        py::arg("grad_scales"), py::arg("names"),
        "One fused Adam step over all tensors, in place (see optkern.Adam).");
  m.def("sgd_step", &sgd_step_py, py::arg("groups"), py::arg("params"), py::arg("grads"),
        py::arg("momentum_buffers"), py::arg("grad_scales"), py::arg("names"),
        "One fused SGD step over all tensors, in place (see optkern.SGD).");
}

}  // namespace optkern::bindings
