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

}  // namespace

void register_reductions(py::module_& m) {
  m.def("sum_squares", &sum_squares_py, py::arg("arrays"), py::arg("names"),
        "Per-array sums of squares, accumulated in double with a fixed order "
        "(bitwise identical for any thread count and ISA).");
}

}  // namespace optkern::bindings
