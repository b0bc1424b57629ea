#include "batch_arrays.h"

#include <pybind11/numpy.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "errors.h"

namespace py = pybind11;

namespace dlake::python {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
// numpy's NaT.
constexpr int64_t kNaT = std::numeric_limits<int64_t>::min();

// A 1-D array over the vector's buffer; the array owns the vector from now on.
template <typename T>
py::array VectorToArray(std::vector<T>&& values, const py::dtype& dtype) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 8, "numpy element size");
  if (values.empty()) return py::array(dtype, std::vector<py::ssize_t>{0});
  auto* owned = new std::vector<T>(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array(dtype, std::vector<py::ssize_t>{static_cast<py::ssize_t>(owned->size())},
                   std::vector<py::ssize_t>{static_cast<py::ssize_t>(sizeof(T))}, owned->data(),
                   owner);
}

// The NULL mask (inverted by PrepareForNumpy: 1 = NULL) as a bool array.
py::array MaskArray(std::vector<uint8_t>&& mask) {
  return VectorToArray(std::move(mask), py::dtype("bool"));
}

// Python str objects (UTF-8; undecodable bytes replaced) or None, in an object array.
py::array StringsToArray(const Column& column) {
  const size_t n = column.size();
  py::array out(py::dtype("object"), std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)});
  auto** cells = static_cast<PyObject**>(out.mutable_data());
  for (size_t i = 0; i < n; ++i) {
    PyObject* value = nullptr;
    if (column.valid[i] == 0) {  // inverted by PrepareForNumpy: 0 = a value
      const std::string& s = column.strings[i];
      value = PyUnicode_DecodeUTF8(s.data(), static_cast<py::ssize_t>(s.size()), "replace");
      if (value == nullptr) throw py::error_already_set();
    } else {
      value = Py_None;
      Py_INCREF(value);
    }
    PyObject* old = cells[i];
    cells[i] = value;
    Py_XDECREF(old);
  }
  return out;
}

}  // namespace

Status PrepareForNumpy(RecordBatch& batch, const std::string& timestamp_column) {
  for (Column& column : batch.columns) {
    const size_t n = column.size();
    if (column.name == timestamp_column && column.type == ColumnType::kInt64) {
      for (size_t i = 0; i < n; ++i) {
        int64_t& ts = column.ints[i];
        if (column.valid[i] == 0) {
          ts = kNaT;
        } else if (ts > std::numeric_limits<int64_t>::max() / kNsPerMs || ts <= kNaT / kNsPerMs) {
          return InvalidArgument("'", timestamp_column, "' value ", ts,
                                 " ms is outside the range of pandas timestamps (1677-2262)");
        } else {
          ts *= kNsPerMs;
        }
      }
    }
    if (column.type == ColumnType::kDouble) {
      for (size_t i = 0; i < n; ++i) {
        if (column.valid[i] == 0) column.doubles[i] = std::numeric_limits<double>::quiet_NaN();
      }
    }
    // From here on 1 = NULL.
    for (uint8_t& v : column.valid) v = v == 0 ? 1 : 0;
  }
  return Status::Ok();
}

py::list ColumnsToPython(RecordBatch&& batch, const std::string& timestamp_column) {
  py::list out;
  for (Column& column : batch.columns) {
    py::str name(column.name);
    switch (column.type) {
      case ColumnType::kInt64:
        if (column.name == timestamp_column) {
          out.append(py::make_tuple(name, "timestamp",
                                    VectorToArray(std::move(column.ints), py::dtype("M8[ns]")),
                                    py::none()));
        } else {
          py::array mask = MaskArray(std::move(column.valid));
          out.append(py::make_tuple(
              name, "int64", VectorToArray(std::move(column.ints), py::dtype("int64")), mask));
        }
        break;
      case ColumnType::kDouble:
        out.append(py::make_tuple(name, "float64",
                                  VectorToArray(std::move(column.doubles), py::dtype("float64")),
                                  py::none()));
        break;
      case ColumnType::kBool: {
        py::array mask = MaskArray(std::move(column.valid));
        out.append(py::make_tuple(name, "bool",
                                  VectorToArray(std::move(column.bools), py::dtype("bool")), mask));
        break;
      }
      case ColumnType::kString:
        out.append(py::make_tuple(name, "string", StringsToArray(column), py::none()));
        break;
    }
  }
  return out;
}

py::list RowsToPython(Result<RecordBatch> rows, const std::string& timestamp_column) {
  RecordBatch batch = Check(std::move(rows));
  Status prepared;
  {
    py::gil_scoped_release release;
    prepared = PrepareForNumpy(batch, timestamp_column);
  }
  Check(prepared);
  return ColumnsToPython(std::move(batch), timestamp_column);
}

}  // namespace dlake::python
