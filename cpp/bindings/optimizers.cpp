// Bindings of the multi-tensor optimizer steps: argument checks, dtype split,
// GIL release. All checks run before the first element is touched.
#include <pybind11/pybind11.h>

#include <cmath>
#include <vector>

#include "arrays.hpp"
#include "optkern/optkern.hpp"

namespace optkern::bindings {
namespace {

// Fields of a group tuple, read with the C API (this runs every step).
double float_field(const py::tuple& t, std::size_t i) {
  const double x = PyFloat_AsDouble(PyTuple_GET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i)));
  if (x == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  return x;
}

long long int_field(const py::tuple& t, std::size_t i) {
  const long long x = PyLong_AsLongLong(PyTuple_GET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i)));
  if (x == -1 && PyErr_Occurred()) throw py::error_already_set();
  return x;
}

bool bool_field(const py::tuple& t, std::size_t i) {
  const int x = PyObject_IsTrue(PyTuple_GET_ITEM(t.ptr(), static_cast<Py_ssize_t>(i)));
  if (x < 0) throw py::error_already_set();
  return x != 0;
}

Convention convention_field(const py::tuple& t, std::size_t i) {
  const long long x = int_field(t, i);
  if (x < 0 || x > 1) throw py::value_error("convention must be 0 (keras) or 1 (torch)");
  return static_cast<Convention>(x);
}

WeightDecay weight_decay_field(const py::tuple& t, std::size_t i) {
  const long long x = int_field(t, i);
  if (x < 0 || x > 3) throw py::value_error("weight_decay_mode must be in 0..3");
  return static_cast<WeightDecay>(x);
}

py::tuple group_tuple(const py::handle& h, std::size_t fields, const char* kind) {
  if (!PyTuple_Check(h.ptr()) || static_cast<std::size_t>(PyTuple_GET_SIZE(h.ptr())) != fields)
    throw py::value_error(std::string("an ") + kind + " group must be a tuple of " +
                          std::to_string(fields) + " fields");
  return py::reinterpret_borrow<py::tuple>(h);
}

// Per-tensor gradient factors: None → 1, a float → the same for all, or a list.
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

// The group index of each tensor, from the groups' "count" fields.
void group_of_tensors(const std::vector<std::size_t>& counts, std::size_t n,
                      std::vector<std::size_t>& group) {
  for (std::size_t gi = 0; gi < counts.size(); ++gi) group.insert(group.end(), counts[gi], gi);
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

constexpr std::size_t kMaxSlots = 3;

// Everything one step call builds, kept per thread and reused so that a
// step allocates nothing once the vectors have grown to the model's size.
template <class Group, class Tensor32, class Tensor64>
struct Scratch {
  std::vector<Group> groups;
  std::vector<std::size_t> counts, group_of;
  std::vector<double> scales;
  std::vector<ArrayRef> params, grads;
  std::vector<ArrayRef> slots[kMaxSlots];  // slots[s][i]; data null where absent
  std::vector<Span> spans;
  std::vector<Tensor32> f32;
  std::vector<Tensor64> f64;
  bool busy = false;

  void clear() {
    groups.clear(), counts.clear(), group_of.clear(), scales.clear();
    params.clear(), grads.clear(), spans.clear(), f32.clear(), f64.clear();
    for (auto& s : slots) s.clear();
  }
};

// Holds a scratch for one call: the thread's own, or a fresh one if a call
// re-entered on this thread (through a Python callback) is using it. Clears
// it, dropping its array references, when the call ends.
template <class S>
class Lease {
 public:
  explicit Lease(S& shared) : scratch_(shared.busy ? local_ : shared) { scratch_.busy = true; }
  ~Lease() {
    scratch_.clear();
    scratch_.busy = false;
  }
  S& get() { return scratch_; }

 private:
  S local_;
  S& scratch_;
};

struct SlotList {
  const char* what;
  const py::object* list;  // a list, or None for a slot nobody uses
};

// Checks params, grads and state slots: arrays the kernels can use in place,
// like their parameter, written memory shared with nothing. needs(s, i) says
// whether tensor i's group uses slot s.
template <class S, class Needs>
void check_tensors(S& sc, const py::list& params, const py::list& grads,
                   std::initializer_list<SlotList> slot_lists, Needs needs,
                   const py::list& names) {
  const std::size_t n = params.size();
  require_length(grads, n, "grads");
  for (std::size_t i = 0; i < n; ++i) {
    sc.params.push_back(view_array(params[i], "params", names, i, true));
    sc.grads.push_back(view_array(grads[i], "grads", names, i, false));
    require_like(sc.grads[i], sc.params[i], "grads", names, i);
    add_span(sc.spans, sc.params[i], true, "params", i);
    add_span(sc.spans, sc.grads[i], false, "grads", i);
  }
  std::size_t s = 0;
  for (const SlotList& slot : slot_lists) {
    std::vector<ArrayRef>& refs = sc.slots[s];
    refs.resize(n);
    if (!slot.list->is_none()) {
      const py::list list = *slot.list;
      require_length(list, n, slot.what);
      for (std::size_t i = 0; i < n; ++i) {
        const py::handle item = PyList_GET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i));
        if (item.is_none()) continue;
        refs[i] = view_array(item, slot.what, names, i, true);
        require_like(refs[i], sc.params[i], slot.what, names, i);
        add_span(sc.spans, refs[i], true, slot.what, i);
      }
    }
    for (std::size_t i = 0; i < n; ++i)
      if (needs(s, i) && refs[i].data == nullptr && sc.params[i].size > 0)
        throw py::value_error(label(slot.what, names, i) +
                              " is required by its group's settings");
    ++s;
  }
  require_disjoint(sc.spans, names);
}

// Reads the group tuples and their learning rates (a list, one per group),
// then each tensor's group and gradient factor.
template <class S, class Parse>
void read_groups(S& sc, const py::list& groups, const py::list& lrs, std::size_t n,
                 const py::object& grad_scales, Parse parse) {
  if (lrs.size() != groups.size())
    throw py::value_error("lrs must hold one learning rate per group");
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    std::size_t count = 0;
    sc.groups.push_back(parse(groups[gi], count));
    const double lr = PyFloat_AsDouble(PyList_GET_ITEM(lrs.ptr(), static_cast<Py_ssize_t>(gi)));
    if (lr == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    sc.groups.back().lr = lr;
    sc.counts.push_back(count);
  }
  group_of_tensors(sc.counts, n, sc.group_of);
  grad_scales_of(grad_scales, n, sc.scales);
}

// Runs step(tensors, groups) on the float32 and the float64 tensors, GIL released.
template <class S, class Step>
void run_without_gil(const S& sc, Step step) {
  py::gil_scoped_release release;
  if (!sc.f32.empty()) step(sc.f32, sc.groups);
  if (!sc.f64.empty()) step(sc.f64, sc.groups);
}

template <class T>
T* data_of(const ArrayRef& a) {
  return static_cast<T*>(a.data);
}

// ---- Adam ----------------------------------------------------------------------
// Group tuple: (count, beta1, beta2, eps, weight_decay, clip, convention,
//               weight_decay_mode, amsgrad, maximize); lr and step come apart.
AdamGroup adam_group_of(const py::handle& h, std::size_t& count) {
  const py::tuple t = group_tuple(h, 10, "Adam");
  count = static_cast<std::size_t>(int_field(t, 0));
  AdamGroup g;
  g.beta1 = float_field(t, 1);
  g.beta2 = float_field(t, 2);
  g.eps = float_field(t, 3);
  g.weight_decay = float_field(t, 4);
  g.clip = float_field(t, 5);
  g.convention = convention_field(t, 6);
  g.weight_decay_mode = weight_decay_field(t, 7);
  g.amsgrad = bool_field(t, 8);
  g.maximize = bool_field(t, 9);
  return g;
}

void adam_step_py(const py::list& groups, std::int64_t step, const py::list& lrs,
                  const py::list& params, const py::list& grads,
                  const py::object& exp_avg, const py::object& exp_avg_sq,
                  const py::object& max_exp_avg_sq, const py::object& grad_scales,
                  const py::list& names) {
  using S = Scratch<AdamGroup, AdamTensor<float>, AdamTensor<double>>;
  thread_local S shared;
  Lease<S> lease(shared);
  S& sc = lease.get();
  const std::size_t n = params.size();
  read_groups(sc, groups, lrs, n, grad_scales, adam_group_of);
  for (AdamGroup& g : sc.groups) g.step = step;
  auto needs = [&](std::size_t slot, std::size_t i) {
    return slot < 2 || sc.groups[sc.group_of[i]].amsgrad;
  };
  check_tensors(sc, params, grads,
                {{"exp_avg", &exp_avg}, {"exp_avg_sq", &exp_avg_sq},
                 {"max_exp_avg_sq", &max_exp_avg_sq}},
                needs, names);

  for (std::size_t i = 0; i < n; ++i) {
    const bool amsgrad = needs(2, i);
    const ArrayRef &p = sc.params[i], &g = sc.grads[i];
    const ArrayRef &m = sc.slots[0][i], &v = sc.slots[1][i], &vmax = sc.slots[2][i];
    if (p.dtype == Dtype::f32)
      sc.f32.push_back({data_of<float>(p), data_of<float>(g), data_of<float>(m),
                        data_of<float>(v), amsgrad ? data_of<float>(vmax) : nullptr, p.size,
                        sc.scales[i], sc.group_of[i]});
    else
      sc.f64.push_back({data_of<double>(p), data_of<double>(g), data_of<double>(m),
                        data_of<double>(v), amsgrad ? data_of<double>(vmax) : nullptr, p.size,
                        sc.scales[i], sc.group_of[i]});
  }
  run_without_gil(sc, [](const auto& tensors, const auto& groups) {
    adam_step(tensors.data(), tensors.size(), groups.data(), groups.size());
  });
}

// ---- SGD -----------------------------------------------------------------------
// Group tuple: (count, momentum, dampening, weight_decay, clip, convention,
//               weight_decay_mode, nesterov, first_step, maximize); lr comes apart.
SgdGroup sgd_group_of(const py::handle& h, std::size_t& count) {
  const py::tuple t = group_tuple(h, 10, "SGD");
  count = static_cast<std::size_t>(int_field(t, 0));
  SgdGroup g;
  g.momentum = float_field(t, 1);
  g.dampening = float_field(t, 2);
  g.weight_decay = float_field(t, 3);
  g.clip = float_field(t, 4);
  g.convention = convention_field(t, 5);
  g.weight_decay_mode = weight_decay_field(t, 6);
  g.nesterov = bool_field(t, 7);
  g.first_step = bool_field(t, 8);
  g.maximize = bool_field(t, 9);
  return g;
}

void sgd_step_py(const py::list& groups, const py::list& lrs, const py::list& params,
                 const py::list& grads,
                 const py::object& momentum_buffers, const py::object& grad_scales,
                 const py::list& names) {
  using S = Scratch<SgdGroup, SgdTensor<float>, SgdTensor<double>>;
  thread_local S shared;
  Lease<S> lease(shared);
  S& sc = lease.get();
  const std::size_t n = params.size();
  read_groups(sc, groups, lrs, n, grad_scales, sgd_group_of);
  auto needs = [&](std::size_t, std::size_t i) {
    return sc.groups[sc.group_of[i]].momentum != 0.0;
  };
  check_tensors(sc, params, grads, {{"momentum_buffer", &momentum_buffers}}, needs, names);

  for (std::size_t i = 0; i < n; ++i) {
    const ArrayRef &p = sc.params[i], &g = sc.grads[i], &b = sc.slots[0][i];
    const bool momentum = needs(0, i);
    if (p.dtype == Dtype::f32)
      sc.f32.push_back({data_of<float>(p), data_of<float>(g),
                        momentum ? data_of<float>(b) : nullptr, p.size, sc.scales[i],
                        sc.group_of[i]});
    else
      sc.f64.push_back({data_of<double>(p), data_of<double>(g),
                        momentum ? data_of<double>(b) : nullptr, p.size, sc.scales[i],
                        sc.group_of[i]});
  }
  run_without_gil(sc, [](const auto& tensors, const auto& groups) {
    sgd_step(tensors.data(), tensors.size(), groups.data(), groups.size());
  });
}

}  // namespace

void register_optimizers(py::module_& m) {
  m.def("adam_step", &adam_step_py, py::arg("groups"), py::arg("step"), py::arg("lrs"),
        py::arg("params"), py::arg("grads"),
        py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"),
        py::arg("grad_scales"), py::arg("names"),
        "One fused Adam step over all tensors, in place (see optkern.Adam).");
  m.def("sgd_step", &sgd_step_py, py::arg("groups"), py::arg("lrs"), py::arg("params"),
        py::arg("grads"),
        py::arg("momentum_buffers"), py::arg("grad_scales"), py::arg("names"),
        "One fused SGD step over all tensors, in place (see optkern.SGD).");
}

}  // namespace optkern::bindings
