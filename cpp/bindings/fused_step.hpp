// Binding of one optimizer's fused step, generic over its descriptor Opt
// (optkern/optimizer.hpp): the group record class `<Name>Group`, built by
// keyword from Python, and `<name>_step`, which checks every array, then runs
// the step with the GIL released. All checks run before the first element is
// touched. No maths here.
#pragma once

#include <pybind11/pybind11.h>

#include <cctype>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "optkern/optkern.hpp"

namespace optkern::bindings {

// Per-tensor gradient factors: None → 1, a float → the same for all, or a list.
void grad_scales_of(const py::object& scales, std::size_t n, std::vector<double>& out);

// The group index of each tensor, from the groups' tensor counts.
void group_of_tensors(const py::list& counts, std::size_t n, std::vector<std::size_t>& group);

// Adds a's bytes to `spans` (nothing for an empty or absent array).
void add_span(std::vector<Span>& spans, const ArrayRef& a, bool written, const char* what,
              std::size_t i);

// Everything one step call builds, kept per thread and reused so that a step
// allocates nothing once the vectors have grown to the model's size.
template <class Opt>
struct Scratch {
  std::vector<typename Opt::Group> groups;
  std::vector<std::size_t> group_of;
  std::vector<double> scales;
  std::vector<ArrayRef> params, grads;
  std::vector<ArrayRef> slots[Opt::kSlots];  // slots[s][i]; data null where absent
  std::vector<Span> spans;
  std::vector<TensorOf<Opt, float>> f32;
  std::vector<TensorOf<Opt, double>> f64;
  std::vector<ArrayRef> averages, accums;  // empty when the control is off
  std::vector<char> no_decay;              // empty when every tensor decays
  StepControls controls;
  bool busy = false;

  void clear() {
    groups.clear(), group_of.clear(), scales.clear();
    averages.clear(), accums.clear(), no_decay.clear();
    controls = StepControls{};
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

// Checks params, grads and the state slots (a sequence of Opt::kSlots lists,
// or None for a slot no group uses): arrays the kernels can use in place, like
// their parameter, written memory shared with nothing, every slot a tensor's
// group uses present.
template <class Opt>
void check_tensors(Scratch<Opt>& sc, const py::list& params, const py::list& grads,
                   const py::sequence& slot_lists, const py::list& names) {
  const std::size_t n = params.size();
  require_length(grads, n, "grads");
  for (std::size_t i = 0; i < n; ++i) {
    sc.params.push_back(view_array(params[i], "params", names, i, true));
    sc.grads.push_back(view_array(grads[i], "grads", names, i, false));
    require_like(sc.grads[i], sc.params[i], "grads", names, i);
    add_span(sc.spans, sc.params[i], true, "params", i);
    add_span(sc.spans, sc.grads[i], false, "grads", i);
  }
  if (slot_lists.size() != Opt::kSlots)
    throw py::value_error(std::string(Opt::name) + " takes " + std::to_string(Opt::kSlots) +
                          " state slot lists, got " + std::to_string(slot_lists.size()));
  for (std::size_t s = 0; s < Opt::kSlots; ++s) {
    const char* what = Opt::slot_names[s];
    std::vector<ArrayRef>& refs = sc.slots[s];
    refs.resize(n);
    const py::object list_obj = slot_lists[s];
    if (!list_obj.is_none()) {
      const py::list list = list_obj;
      require_length(list, n, what);
      for (std::size_t i = 0; i < n; ++i) {
        const py::handle item = PyList_GET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i));
        if (item.is_none()) continue;
        refs[i] = view_array(item, what, names, i, true);
        require_like(refs[i], sc.params[i], what, names, i);
        add_span(sc.spans, refs[i], true, what, i);
      }
    }
    for (std::size_t i = 0; i < n; ++i)
      if (Opt::uses_slot(sc.groups[sc.group_of[i]], s) && refs[i].data == nullptr &&
          sc.params[i].size > 0)
        throw py::value_error(label(what, names, i) + " is required by its group's settings");
  }
  require_disjoint(sc.spans, names);
}

// Reads the controls argument of a step: None (a plain step), or a tuple
// (update, accum_steps, ema_momentum, ema_overwrite, averages, accumulators,
// no_decay), the lists None or one entry per tensor. Call after check_tensors;
// every array is checked like a state slot.
void read_controls(const py::object& obj, std::size_t n, const std::vector<ArrayRef>& params,
                   const py::list& names, StepControls& c, std::vector<ArrayRef>& averages,
                   std::vector<ArrayRef>& accums, std::vector<char>& no_decay,
                   std::vector<Span>& spans);

template <class T>
T* data_of(const ArrayRef& a) {
  return static_cast<T*>(a.data);
}

template <class Opt, class T>
TensorOf<Opt, T> tensor_record(const Scratch<Opt>& sc, std::size_t i) {
  TensorOf<Opt, T> x{};
  x.param = data_of<T>(sc.params[i]);
  x.grad = data_of<T>(sc.grads[i]);
  const auto& group = sc.groups[sc.group_of[i]];
  for (std::size_t s = 0; s < Opt::kSlots; ++s)
    x.slots[s] = Opt::uses_slot(group, s) ? data_of<T>(sc.slots[s][i]) : nullptr;
  x.size = sc.params[i].size;
  x.grad_scale = sc.scales[i];
  x.group = sc.group_of[i];
  if (!sc.averages.empty()) x.average = data_of<T>(sc.averages[i]);
  if (!sc.accums.empty()) x.accum = data_of<T>(sc.accums[i]);
  if (!sc.no_decay.empty()) x.no_decay = sc.no_decay[i] != 0;
  return x;
}

// <name>_step(groups, counts, step, lrs, params, grads, slots, grad_scales, names,
// controls=None): one step over all tensors; groups[k] (a <Name>Group) holds
// counts[k] consecutive tensors and runs at learning rate lrs[k]; controls as
// read_controls describes.
template <class Opt>
void step_py(const py::list& groups, const py::list& counts, std::int64_t step, const py::list& lrs,
             const py::list& params, const py::list& grads, const py::sequence& slots,
             const py::object& grad_scales, const py::list& names, const py::object& controls) {
  using S = Scratch<Opt>;
  thread_local S shared;
  Lease<S> lease(shared);
  S& sc = lease.get();
  const std::size_t n = params.size();
  if (lrs.size() != groups.size() || counts.size() != groups.size())
    throw py::value_error("lrs and counts must hold one entry per group");
  for (std::size_t k = 0; k < groups.size(); ++k) {
    sc.groups.push_back(groups[k].template cast<const typename Opt::Group&>());
    const double lr = PyFloat_AsDouble(PyList_GET_ITEM(lrs.ptr(), static_cast<Py_ssize_t>(k)));
    if (lr == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    sc.groups.back().lr = lr;
  }
  group_of_tensors(counts, n, sc.group_of);
  grad_scales_of(grad_scales, n, sc.scales);
  check_tensors(sc, params, grads, slots, names);
  if (!controls.is_none()) {
    read_controls(controls, n, sc.params, names, sc.controls, sc.averages, sc.accums, sc.no_decay,
                  sc.spans);
    require_disjoint(sc.spans, names);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (sc.params[i].dtype == Dtype::f32)
      sc.f32.push_back(tensor_record<Opt, float>(sc, i));
    else
      sc.f64.push_back(tensor_record<Opt, double>(sc, i));
  }
  py::gil_scoped_release release;
  if (!sc.f32.empty())
    fused_step<Opt, float>(sc.f32.data(), sc.f32.size(), sc.groups.data(), sc.groups.size(), step,
                           sc.controls);
  if (!sc.f64.empty())
    fused_step<Opt, double>(sc.f64.data(), sc.f64.size(), sc.groups.data(), sc.groups.size(), step,
                            sc.controls);
}

// "adam" → "AdamGroup".
inline std::string group_class_name(const char* name) {
  std::string s(name);
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s + "Group";
}

// Binds Opt's group record (keyword construction, readable fields, repr) and
// its step function.
template <class Opt>
void bind_optimizer(py::module_& m) {
  using Group = typename Opt::Group;
  const std::string cls_name = group_class_name(Opt::name);
  py::class_<Group> cls(m, cls_name.c_str());
  for_each_field(Opt::fields(), [&](const auto& f) { cls.def_readwrite(f.name, f.member); });
  cls.def(
      py::init([cls_name](const py::kwargs& kwargs) {
        Group g;
        std::size_t used = 0;
        for_each_field(Opt::fields(), [&](const auto& f) {
          if (!kwargs.contains(f.name)) return;
          using Value = std::remove_reference_t<decltype(g.*(f.member))>;
          g.*(f.member) = kwargs[f.name].template cast<Value>();
          ++used;
        });
        if (used != kwargs.size()) {
          std::string known;
          for_each_field(Opt::fields(), [&](const auto& f) {
            known += std::string(known.empty() ? "" : ", ") + f.name;
          });
          throw py::type_error(cls_name + " got an unknown field; fields: " + known);
        }
        return g;
      }),
      ("A " + std::string(Opt::name) + " parameter group's hyperparameters, by keyword.").c_str());
  cls.def("__repr__", [cls_name](const py::object& self) {
    std::string out = cls_name + "(";
    bool first = true;
    for_each_field(Opt::fields(), [&](const auto& f) {
      out +=
          std::string(first ? "" : ", ") + f.name + "=" + std::string(py::repr(self.attr(f.name)));
      first = false;
    });
    return out + ")";
  });
  const std::string step_name = std::string(Opt::name) + "_step";
  const std::string doc = "One fused " + std::string(Opt::name) +
                          " step over all tensors, in place (see the optkern front-ends).";
  m.def(step_name.c_str(), &step_py<Opt>, py::arg("groups"), py::arg("counts"), py::arg("step"),
        py::arg("lrs"), py::arg("params"), py::arg("grads"), py::arg("slots"),
        py::arg("grad_scales"), py::arg("names"), py::arg("controls") = py::none(), doc.c_str());
}

}  // namespace optkern::bindings
