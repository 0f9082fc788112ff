// Binding of the deterministic sum-of-squares reduction.
#include <pybind11/pybind11.h>

#include <vector>

#include "arrays.hpp"
#include "optkern/optkern.hpp"

namespace optkern::bindings {
namespace {

template <class T>
void sums_of(const std::vector<ArrayRef>& arrays, Dtype dtype, std::vector<double>& out) {
  std::vector<const T*> ptrs;
  std::vector<std::size_t> sizes, where;
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    if (arrays[i].dtype != dtype) continue;
    ptrs.push_back(static_cast<const T*>(arrays[i].data));
    sizes.push_back(arrays[i].size);
    where.push_back(i);
  }
  std::vector<double> sums(ptrs.size());
  {
    py::gil_scoped_release release;
    sum_squares(ptrs.data(), sizes.data(), ptrs.size(), sums.data());
  }
  for (std::size_t j = 0; j < where.size(); ++j) out[where[j]] = sums[j];
}

// [Σ x² for x in arrays], each in double, deterministic.
py::list sum_squares_py(const py::list& arrays, const py::list& names) {
  std::vector<ArrayRef> refs;
  for (std::size_t i = 0; i < arrays.size(); ++i)
    refs.push_back(view_array(arrays[i], "grads", names, i, false));
  std::vector<double> out(refs.size(), 0.0);
  sums_of<float>(refs, Dtype::f32, out);
  sums_of<double>(refs, Dtype::f64, out);
  py::list result(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) result[i] = py::float_(out[i]);
  return result;
}

template <class T>
bool stats_of(const std::vector<ArrayRef>& grads, const std::vector<ArrayRef>& accs, Dtype dtype,
              double k, bool squares, bool finite, std::vector<double>& out) {
  std::vector<const T*> gs, as;
  std::vector<std::size_t> sizes, where;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].dtype != dtype) continue;
    gs.push_back(static_cast<const T*>(grads[i].data));
    as.push_back(accs.empty() ? nullptr : static_cast<const T*>(accs[i].data));
    sizes.push_back(grads[i].size);
    where.push_back(i);
  }
  if (gs.empty()) return true;
  std::vector<double> sums(gs.size(), 0.0);
  bool all_finite;
  {
    py::gil_scoped_release release;
    all_finite =
        grad_stats(gs.data(), as.data(), k, sizes.data(), gs.size(), squares, finite, sums.data());
  }
  for (std::size_t j = 0; j < where.size(); ++j) out[where[j]] = sums[j];
  return all_finite;
}

// grad_stats(grads, names, accumulators, accum_steps, squares, finite) ->
// (sums or None, all finite): one read of the grads (and accumulators).
py::tuple grad_stats_py(const py::list& grads, const py::list& names,
                        const py::object& accumulators, double accum_steps, bool squares,
                        bool finite) {
  std::vector<ArrayRef> refs, accs;
  for (std::size_t i = 0; i < grads.size(); ++i)
    refs.push_back(view_array(grads[i], "grads", names, i, false));
  if (!accumulators.is_none()) {
    const py::list list = accumulators;
    require_length(list, refs.size(), "gradient_accumulator");
    for (std::size_t i = 0; i < refs.size(); ++i) {
      accs.push_back(view_array(list[i], "gradient_accumulator", names, i, false));
      require_like(accs[i], refs[i], "gradient_accumulator", names, i);
    }
  }
  if (!(accum_steps >= 1.0)) throw py::value_error("accum_steps must be >= 1");
  std::vector<double> out(refs.size(), 0.0);
  bool ok = stats_of<float>(refs, accs, Dtype::f32, accum_steps, squares, finite, out);
  ok = stats_of<double>(refs, accs, Dtype::f64, accum_steps, squares, finite, out) && ok;
  py::object sums = py::none();
  if (squares) {
    py::list result(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) result[i] = py::float_(out[i]);
    sums = result;
  }
  return py::make_tuple(sums, py::bool_(ok));
}

}  // namespace

void register_reductions(py::module_& m) {
  m.def("sum_squares", &sum_squares_py, py::arg("arrays"), py::arg("names"),
        "Per-array sums of squares, accumulated in double with a fixed order "
        "(bitwise identical for any thread count and ISA).");
  m.def("grad_stats", &grad_stats_py, py::arg("grads"), py::arg("names"), py::arg("accumulators"),
        py::arg("accum_steps"), py::arg("squares"), py::arg("finite"),
        "One read of the grads before a step: (per-array sums of squares of g, or of "
        "(g + a)/k with accumulators a, as sum_squares; or None without squares), and "
        "whether every grad element is finite.");
}

}  // namespace optkern::bindings
