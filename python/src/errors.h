#pragma once
// dlake's Python exceptions: one class per StatusCode under dlake.DlakeError, each carrying the
// library's message unchanged. Classes that match a built-in meaning also derive from it
// (NotFoundError is a LookupError, InvalidArgumentError a ValueError, IoError an OSError,
// UnavailableError a ConnectionError), so generic handlers catch them too.
//
// Everything here needs the GIL.

#include <pybind11/pybind11.h>

#include <utility>

#include "dlake/common/status.h"

namespace dlake::python {

// Creates the classes and adds them to `module`. Called once, from the module's init.
void RegisterErrors(pybind11::module_& module);

// Raises `status` (not OK) as its Python exception: sets the Python error and throws
// pybind11::error_already_set, which pybind11 hands back to the interpreter.
[[noreturn]] void ThrowStatus(const Status& status);

inline void Check(const Status& status) {
  if (!status.ok()) ThrowStatus(status);
}

template <typename T>
T Check(Result<T> result) {
  if (!result.ok()) ThrowStatus(result.status());
  return std::move(result).value();
}

}  // namespace dlake::python
