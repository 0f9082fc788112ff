// Bindings of the loss kernels: argument checks, dtype split, GIL release.
// Every check runs before the kernel starts, so a refused call writes nothing.
#include "optkern/losses.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace optkern::bindings {
namespace {

namespace py = pybind11;
using npy = py::detail::npy_api;

std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d)
    s += std::to_string(a.shape(d)) + (a.ndim() == 1 ? "," : d + 1 < a.ndim() ? ", " : "");
  return s + ")";
}

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

int type_num(const py::array& a) {
  return py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr)->type_num;
}

bool is_native(const py::array& a) {
  return py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr)->byteorder !=
         '>';
}

bool is_float_type(int t) { return t == npy::NPY_FLOAT_ || t == npy::NPY_DOUBLE_; }

bool is_integer_type(int t) {
  return t == npy::NPY_BYTE_ || t == npy::NPY_UBYTE_ || t == npy::NPY_SHORT_ ||
         t == npy::NPY_USHORT_ || t == npy::NPY_INT_ || t == npy::NPY_UINT_ ||
         t == npy::NPY_LONG_ || t == npy::NPY_ULONG_ || t == npy::NPY_LONGLONG_ ||
         t == npy::NPY_ULONGLONG_;
}

// y_pred as an array of float32/float64 in C order (a copy only if the
// input is not one already; y_pred itself is never written).
py::array prediction(py::handle obj) {
  py::array a = py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::array>(obj)
                                               : py::array::ensure(obj);
  if (!a) throw py::type_error("y_pred must be an array of floats");
  if (!is_float_type(type_num(a)))
    throw py::type_error("y_pred has dtype " + dtype_str(a) + "; expected float32 or float64");
  if (!(a.flags() & npy::NPY_ARRAY_C_CONTIGUOUS_) || !(a.flags() & npy::NPY_ARRAY_ALIGNED_) ||
      !is_native(a))
    a = py::array::ensure(a, npy::NPY_ARRAY_C_CONTIGUOUS_ | npy::NPY_ARRAY_ALIGNED_);
  if (a.ndim() < 1) throw py::value_error("y_pred must have at least one axis (the class axis)");
  return a;
}

template <class T>
py::array as_contiguous(py::handle obj) {
  return py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
}

bool same_dims(const py::ssize_t* a, const py::ssize_t* b, py::ssize_t n) {
  for (py::ssize_t d = 0; d < n; ++d)
    if (a[d] != b[d]) return false;
  return true;
}

// The shape the loss sees, Keras's rule for ranks that differ by one: the
// side with an extra trailing 1 is squeezed, or the other side expanded when
// it is 1-D.
std::vector<py::ssize_t> dense_shape(const py::array& t, const py::array& p) {
  const py::ssize_t nt = t.ndim(), np_ = p.ndim();
  std::vector<py::ssize_t> pshape(p.shape(), p.shape() + np_);
  std::vector<py::ssize_t> tshape(t.shape(), t.shape() + nt);
  if (nt == np_ && same_dims(t.shape(), p.shape(), nt)) return pshape;
  const bool t_bigger = nt == np_ + 1;
  const py::array& big = t_bigger ? t : p;
  const py::array& small = t_bigger ? p : t;
  if ((nt == np_ + 1 || np_ == nt + 1) && big.shape(big.ndim() - 1) == 1 &&
      same_dims(big.shape(), small.shape(), small.ndim())) {
    if (small.ndim() == 1) return std::vector<py::ssize_t>(big.shape(), big.shape() + big.ndim());
    return std::vector<py::ssize_t>(small.shape(), small.shape() + small.ndim());
  }
  throw py::value_error("y_true has shape " + shape_str(t) + " but y_pred has shape " +
                        shape_str(p) + "; they must match");
}

template <class T>
struct Prepared {
  LossInput<T> in;
  std::vector<py::ssize_t> sample_shape;
  py::array y_true, weight;  // kept alive across the call
};

// Spans of memory, to refuse a grad_out that overlaps an input it must not.
bool overlaps(const py::array& a, const void* b, std::size_t bytes) {
  if (!a || a.nbytes() == 0 || bytes == 0) return false;
  const char* a0 = static_cast<const char*>(a.data());
  const char* b0 = static_cast<const char*>(b);
  return a0 < b0 + bytes && b0 < a0 + a.nbytes();
}

template <class T>
py::object run(LossKind kind, const LossParams& params, Reduction reduction, py::handle y_true,
               const py::array& pred, py::handle sample_weight, py::handle grad_out,
               bool want_grad) {
  Prepared<T> prep;
  LossInput<T>& in = prep.in;
  std::vector<py::ssize_t> shape;
  if (loss_targets(kind) == LossTargets::labels) {
    py::array t = py::isinstance<py::array>(y_true) ? py::reinterpret_borrow<py::array>(y_true)
                                                    : py::array::ensure(y_true);
    if (!t) throw py::type_error("y_true must be an array of integer class labels");
    const int tn = type_num(t);
    if (!is_integer_type(tn))
      throw py::type_error("y_true has dtype " + dtype_str(t) +
                           "; a sparse loss takes integer class labels");
    const bool fits = (tn == npy::NPY_INT_ || tn == npy::NPY_LONG_ || tn == npy::NPY_LONGLONG_) &&
                      (t.itemsize() == 4 || t.itemsize() == 8) &&
                      (t.flags() & npy::NPY_ARRAY_C_CONTIGUOUS_) &&
                      (t.flags() & npy::NPY_ARRAY_ALIGNED_) && is_native(t);
    if (!fits) t = as_contiguous<std::int64_t>(t);
    const py::ssize_t k = pred.ndim() - 1;
    const bool ok = (t.ndim() == k && same_dims(t.shape(), pred.shape(), k)) ||
                    (t.ndim() == k + 1 && t.shape(k) == 1 && same_dims(t.shape(), pred.shape(), k));
    if (!ok)
      throw py::value_error("y_true has shape " + shape_str(t) + " but y_pred has shape " +
                            shape_str(pred) +
                            "; expected one label per row, shape y_pred.shape[:-1]");
    in.labels = t.data();
    in.label_bytes = static_cast<int>(t.itemsize());
    shape.assign(pred.shape(), pred.shape() + pred.ndim());
    prep.y_true = t;
  } else {
    py::array t = as_contiguous<T>(y_true);
    if (!t) throw py::type_error("y_true must be an array of numbers");
    shape = dense_shape(t, pred);
    in.y_true = static_cast<const T*>(t.data());
    prep.y_true = t;
  }
  in.y_pred = static_cast<const T*>(pred.data());
  in.cols = static_cast<std::size_t>(shape.back());
  shape.pop_back();
  in.rows = 1;
  for (py::ssize_t s : shape) in.rows *= static_cast<std::size_t>(s);
  prep.sample_shape = shape;

  if (!sample_weight.is_none()) {
    py::array w = as_contiguous<T>(sample_weight);
    const auto n = static_cast<std::size_t>(w.size());
    if (n != in.rows && n != 1)
      throw py::value_error("sample_weight has " + std::to_string(n) +
                            " elements; expected one per sample (" + std::to_string(in.rows) +
                            ") or a single one");
    in.sample_weight = static_cast<const T*>(w.data());
    in.weight_stride = n == 1 && in.rows != 1 ? 0 : 1;
    prep.weight = w;
  }

  py::array grad;
  if (want_grad) {
    if (grad_out.is_none()) {
      grad = py::array(pred.dtype(),
                       std::vector<py::ssize_t>(pred.shape(), pred.shape() + pred.ndim()));
    } else {
      if (!py::isinstance<py::array>(grad_out))
        throw py::type_error("grad_out must be a numpy.ndarray");
      grad = py::reinterpret_borrow<py::array>(grad_out);
      if (type_num(grad) != type_num(pred))
        throw py::type_error("grad_out has dtype " + dtype_str(grad) + " but y_pred has " +
                             dtype_str(pred));
      if (grad.ndim() != pred.ndim() || !same_dims(grad.shape(), pred.shape(), pred.ndim()))
        throw py::value_error("grad_out has shape " + shape_str(grad) + " but y_pred has shape " +
                              shape_str(pred));
      const int f = grad.flags();
      if (!(f & npy::NPY_ARRAY_C_CONTIGUOUS_) || !(f & npy::NPY_ARRAY_ALIGNED_) || !is_native(grad))
        throw py::value_error("grad_out must be C-contiguous, aligned and in native byte order");
      if (!(f & npy::NPY_ARRAY_WRITEABLE_)) throw py::value_error("grad_out is read-only");
      const std::size_t bytes = static_cast<std::size_t>(grad.nbytes());
      if (overlaps(prep.y_true, grad.data(), bytes) || overlaps(prep.weight, grad.data(), bytes))
        throw py::value_error("grad_out shares memory with y_true or sample_weight");
      if (overlaps(pred, grad.data(), bytes) && grad.data() != pred.data())
        throw py::value_error(
            "grad_out partly overlaps y_pred; it may be y_pred itself or "
            "memory of its own");
    }
    in.grad = static_cast<T*>(grad.mutable_data());
  }

  py::array per_sample;
  if (reduction == Reduction::none) {
    per_sample = py::array(pred.dtype(), prep.sample_shape);
    in.per_sample = static_cast<T*>(per_sample.mutable_data());
  }

  double value;
  {
    py::gil_scoped_release release;
    value = loss<T>(kind, in, reduction, params);
  }
  py::object result =
      reduction == Reduction::none ? py::object(per_sample) : py::object(py::float_(value));
  if (!want_grad) return result;
  return py::make_tuple(result, grad);
}

py::object dispatch(LossKind kind, const LossParams& params, Reduction reduction, py::handle y_true,
                    py::handle y_pred, py::handle sample_weight, py::handle grad_out,
                    bool want_grad) {
  const py::array pred = prediction(y_pred);
  if (type_num(pred) == npy::NPY_FLOAT_)
    return run<float>(kind, params, reduction, y_true, pred, sample_weight, grad_out, want_grad);
  return run<double>(kind, params, reduction, y_true, pred, sample_weight, grad_out, want_grad);
}

template <class T>
py::array vmath_of(int fn, py::array x) {
  py::array out(x.dtype(), std::vector<py::ssize_t>{x.size()});
  {
    py::gil_scoped_release release;
    vmath_apply_active<T>(fn, static_cast<const T*>(x.data()), static_cast<T*>(out.mutable_data()),
                          static_cast<std::size_t>(x.size()));
  }
  return out;
}

// exp / log / log1p of optkern's vector maths on the active ISA (for the tests).
py::array vmath_py(const std::string& name, py::handle obj) {
  const int fn = name == "exp" ? 0 : name == "log" ? 1 : name == "log1p" ? 2 : -1;
  if (fn < 0) throw py::value_error("name must be 'exp', 'log' or 'log1p'");
  py::array x = py::array::ensure(obj, npy::NPY_ARRAY_C_CONTIGUOUS_ | npy::NPY_ARRAY_ALIGNED_);
  if (!x || !is_float_type(type_num(x)))
    throw py::type_error("x must be an array of float32 or float64");
  if (type_num(x) == npy::NPY_FLOAT_) return vmath_of<float>(fn, x);
  return vmath_of<double>(fn, x);
}

}  // namespace

void register_losses(py::module_& m) {
  py::enum_<LossKind> kinds(m, "LossKind", "The loss kernels, by name.");
#define OPTKERN_LOSS_BIND(name, kernel, targets) kinds.value(#name, LossKind::name);
  OPTKERN_LOSS_LIST(OPTKERN_LOSS_BIND)
#undef OPTKERN_LOSS_BIND

  py::enum_<Reduction>(m, "Reduction", "How per-sample losses become the value.")
      .value("none", Reduction::none)
      .value("sum", Reduction::sum)
      .value("sum_over_batch_size", Reduction::sum_over_batch_size)
      .value("mean", Reduction::mean)
      .value("mean_with_sample_weight", Reduction::mean_with_sample_weight);

  py::class_<LossParams>(m, "LossParams", "A loss's arguments, as given.")
      .def(py::init<>())
      .def_readwrite("label_smoothing", &LossParams::label_smoothing)
      .def_readwrite("delta", &LossParams::delta)
      .def_readwrite("z_loss", &LossParams::z_loss)
      .def_readwrite("alpha", &LossParams::alpha)
      .def_readwrite("gamma", &LossParams::gamma)
      .def_readwrite("apply_class_balancing", &LossParams::apply_class_balancing)
      .def_readwrite("has_ignore_class", &LossParams::has_ignore_class)
      .def_readwrite("ignore_class", &LossParams::ignore_class);

  m.def(
      "loss",
      [](LossKind kind, const LossParams& params, Reduction reduction, py::handle y_true,
         py::handle y_pred, py::handle sample_weight) {
        return dispatch(kind, params, reduction, y_true, y_pred, sample_weight, py::none(), false);
      },
      py::arg("kind"), py::arg("params"), py::arg("reduction"), py::arg("y_true"),
      py::arg("y_pred"), py::arg("sample_weight"),
      "The reduced loss (a float), or the per-sample losses L·w for Reduction.none. "
      "sample_weight: None, or one weight per sample (C order) or a single one.");
  m.def(
      "loss_value_and_grad",
      [](LossKind kind, const LossParams& params, Reduction reduction, py::handle y_true,
         py::handle y_pred, py::handle sample_weight, py::handle grad_out) {
        return dispatch(kind, params, reduction, y_true, y_pred, sample_weight, grad_out, true);
      },
      py::arg("kind"), py::arg("params"), py::arg("reduction"), py::arg("y_true"),
      py::arg("y_pred"), py::arg("sample_weight"), py::arg("grad_out"),
      "(value, d(value)/d(y_pred)) from one pass; the gradient goes into grad_out when "
      "given (it may be y_pred itself), else into a new array.");
  m.def("vmath", &vmath_py, py::arg("name"), py::arg("x"),
        "optkern's own exp/log/log1p on the active ISA, elementwise (for testing).");
}

}  // namespace optkern::bindings
