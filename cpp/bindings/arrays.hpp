// Argument checks for arrays handed to the kernels: no conversion, no copy.
// An array that would need either is refused with an error naming it.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <vector>

namespace optkern::bindings {

namespace py = pybind11;

enum class Dtype { f32, f64 };

inline const char* dtype_name(Dtype d) { return d == Dtype::f32 ? "float32" : "float64"; }

// Labels like "grads['W1']": `names` holds the caller's labels of the tensors.
inline std::string label(const char* what, const py::list& names, std::size_t i) {
  std::string name = i < names.size() ? py::str(names[i]).cast<std::string>() : std::to_string(i);
  return std::string(what) + "[" + name + "]";
}

// A checked array: a strong reference plus what the kernels need.
struct ArrayRef {
  py::object owner;  // keeps the array alive while the GIL is released
  Dtype dtype = Dtype::f32;
  void* data = nullptr;  // null: absent (a slot a group does not use)
  std::size_t size = 0;
  int ndim = 0;
  const py::ssize_t* shape = nullptr;
};

inline std::string shape_string(const ArrayRef& a) {
  std::string s = "(";
  for (int d = 0; d < a.ndim; ++d)
    s += std::to_string(a.shape[d]) + (a.ndim == 1 ? "," : d + 1 < a.ndim ? ", " : "");
  return s + ")";
}

// Views obj as a C-contiguous, aligned, native-endian float32/float64 array;
// writable arrays must also be writeable. Throws TypeError/ValueError.
inline ArrayRef view_array(py::handle obj, const char* what, const py::list& names, std::size_t i,
                           bool writable) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(label(what, names, i) + " must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  const auto* proxy = py::detail::array_proxy(obj.ptr());
  const auto* descr = py::detail::array_descriptor_proxy(proxy->descr);
  Dtype dtype;
  if (descr->type_num == py::detail::npy_api::NPY_FLOAT_)
    dtype = Dtype::f32;
  else if (descr->type_num == py::detail::npy_api::NPY_DOUBLE_)
    dtype = Dtype::f64;
  else
    throw py::type_error(label(what, names, i) + " has dtype " +
                         std::string(py::str(obj.attr("dtype"))) + "; expected float32 or float64");
  if (descr->byteorder == '>')
    throw py::type_error(label(what, names, i) + " is big-endian; expected native byte order");
  const int flags = proxy->flags;
  if (!(flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_))
    throw py::value_error(label(what, names, i) +
                          " is not C-contiguous; optkern updates in place and never copies");
  if (!(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
    throw py::value_error(label(what, names, i) + " is not aligned to its dtype");
  if (writable && !(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_))
    throw py::value_error(label(what, names, i) + " is read-only; it must be writeable");
  std::size_t size = 1;
  for (int d = 0; d < proxy->nd; ++d) size *= static_cast<std::size_t>(proxy->dimensions[d]);
  return {py::reinterpret_borrow<py::object>(obj),
          dtype,
          proxy->data,
          size,
          proxy->nd,
          proxy->dimensions};
}

// Checks that `x` has the dtype and shape of `ref` (the parameter it belongs to).
inline void require_like(const ArrayRef& x, const ArrayRef& ref, const char* what,
                         const py::list& names, std::size_t i) {
  if (x.dtype != ref.dtype)
    throw py::type_error(label(what, names, i) + " has dtype " + dtype_name(x.dtype) +
                         " but its parameter is " + dtype_name(ref.dtype));
  bool same = x.ndim == ref.ndim;
  for (int d = 0; same && d < x.ndim; ++d) same = x.shape[d] == ref.shape[d];
  if (!same)
    throw py::value_error(label(what, names, i) + " has shape " + shape_string(x) +
                          " but its parameter has shape " + shape_string(ref));
}

// Memory a kernel reads (`grads`) must not overlap memory it writes, and
// written arrays must not overlap one another.
struct Span {
  const char* begin;
  const char* end;
  bool written;
  const char* what;
  std::size_t index;
};

void require_disjoint(std::vector<Span>& spans, const py::list& names);

// Length check of a per-tensor list.
inline void require_length(const py::list& list, std::size_t n, const char* what) {
  if (list.size() != n)
    throw py::value_error(std::string(what) + " has " + std::to_string(list.size()) +
                          (list.size() == 1 ? " entry" : " entries") + "; expected " +
                          std::to_string(n) + " (one per parameter)");
}

}  // namespace optkern::bindings
