#include "errors.h"

#include <iterator>
#include <string>

namespace py = pybind11;

namespace dlake::python {
namespace {

struct ErrorClass {
  StatusCode code;
  const char* name;
  PyObject* builtin_base;  // a second base, or nullptr
  const char* doc;
};

const ErrorClass kErrorClasses[] = {
    {StatusCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError,
     "A bad argument: an unknown name, a bad date, a bad CSV row."},
    {StatusCode::kNotFound, "NotFoundError", PyExc_LookupError,
     "No such lake, dataset, file, table or column."},
    {StatusCode::kAlreadyExists, "AlreadyExistsError", nullptr,
     "The object to create is already there."},
    {StatusCode::kFailedPrecondition, "FailedPreconditionError", nullptr,
     "The lake is not in a state that allows the operation."},
    {StatusCode::kAborted, "AbortedError", nullptr,
     "A conflict with a concurrent operation; retrying may help."},
    {StatusCode::kUnavailable, "UnavailableError", PyExc_ConnectionError,
     "A network service (an exchange) is unreachable; retrying helps."},
    {StatusCode::kIoError, "IoError", PyExc_OSError,
     "The operating system refused a file operation."},
    {StatusCode::kCorruption, "CorruptionError", nullptr,
     "Stored data does not match its checksum or format."},
    {StatusCode::kInternal, "InternalError", nullptr,
     "A bug or an unexpected failure of a third-party library."},
};

// The classes, by StatusCode value; index 0 (kOk) holds DlakeError itself. Owned references
// that live as long as the process (the module is never unloaded).
PyObject* g_classes[static_cast<int>(StatusCode::kInternal) + 1] = {};

PyObject* NewClass(const char* name, PyObject* bases, const char* doc) {
  const std::string qualified = std::string("dlake.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (cls == nullptr) throw py::error_already_set();
  return cls;
}

}  // namespace

void RegisterErrors(py::module_& module) {
  PyObject* base = NewClass("DlakeError", PyExc_Exception,
                            "Base of every error dlake raises. `code` names the library's status "
                            "code; str(error) is the library's message.");
  PyObject_SetAttrString(base, "code", py::str("Unknown").ptr());
  g_classes[0] = base;
  module.add_object("DlakeError", py::reinterpret_borrow<py::object>(base));
  for (const ErrorClass& spec : kErrorClasses) {
    py::tuple bases = spec.builtin_base == nullptr
                          ? py::make_tuple(py::handle(base))
                          : py::make_tuple(py::handle(base), py::handle(spec.builtin_base));
    PyObject* cls = NewClass(spec.name, bases.ptr(), spec.doc);
    const std::string code(StatusCodeName(spec.code));
    PyObject_SetAttrString(cls, "code", py::str(code).ptr());
    g_classes[static_cast<int>(spec.code)] = cls;
    module.add_object(spec.name, py::reinterpret_borrow<py::object>(cls));
  }
}

void ThrowStatus(const Status& status) {
  const int code = static_cast<int>(status.code());
  PyObject* cls =
      code > 0 && code < static_cast<int>(std::size(g_classes)) ? g_classes[code] : g_classes[0];
  PyErr_SetString(cls, status.message().c_str());
  throw py::error_already_set();
}

}  // namespace dlake::python
