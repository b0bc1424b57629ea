#pragma once

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace dlake {

// The small, documented set of error codes used across module boundaries.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (bad flag, bad CSV row, bad date)
  kNotFound,            // a lake, file, dataset or column does not exist
  kAlreadyExists,       // the object to create is already there
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kAborted,             // a conflict with a concurrent operation; retrying may help
  kUnavailable,         // a network service is unreachable; retrying helps
  kIoError,             // the operating system refused a file operation
  kCorruption,          // stored data does not match its checksum or format
  kInternal,            // a bug or an unexpected third-party failure
};

std::string_view StatusCodeName(StatusCode code);

namespace internal {
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace internal

// Outcome of an operation: OK, or a code with a message that names what failed, on which object,
// and why. Cheap to copy when OK. Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

template <typename... Args>
Status InvalidArgument(Args&&... args) {
  return Status(StatusCode::kInvalidArgument, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status NotFound(Args&&... args) {
  return Status(StatusCode::kNotFound, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status AlreadyExists(Args&&... args) {
  return Status(StatusCode::kAlreadyExists, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status FailedPrecondition(Args&&... args) {
  return Status(StatusCode::kFailedPrecondition, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status Aborted(Args&&... args) {
  return Status(StatusCode::kAborted, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status Unavailable(Args&&... args) {
  return Status(StatusCode::kUnavailable, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status IoError(Args&&... args) {
  return Status(StatusCode::kIoError, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status Corruption(Args&&... args) {
  return Status(StatusCode::kCorruption, internal::StrCat(std::forward<Args>(args)...));
}
template <typename... Args>
Status Internal(Args&&... args) {
  return Status(StatusCode::kInternal, internal::StrCat(std::forward<Args>(args)...));
}

// An IoError for a failed system call: "<what> '<path>': <strerror(err)>".
Status IoErrorFromErrno(std::string_view what, std::string_view path, int err);

// A value or the Status explaining why there is none. Never holds an OK status without a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status(StatusCode::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }

  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> data_;
};

namespace internal {
inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace dlake

#define DLAKE_CONCAT_INNER(a, b) a##b
#define DLAKE_CONCAT(a, b) DLAKE_CONCAT_INNER(a, b)

// Returns the Status of `expr` (a Status or a Result) from the current function if it is not OK.
#define DLAKE_RETURN_IF_ERROR(expr)                                      \
  do {                                                                   \
    ::dlake::Status _dlake_status = ::dlake::internal::ToStatus((expr)); \
    if (!_dlake_status.ok()) return _dlake_status;                       \
  } while (false)

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into `lhs`.
#define DLAKE_ASSIGN_OR_RETURN(lhs, rexpr) \
  DLAKE_ASSIGN_OR_RETURN_IMPL(DLAKE_CONCAT(_dlake_result_, __LINE__), lhs, rexpr)
#define DLAKE_ASSIGN_OR_RETURN_IMPL(result, lhs, rexpr) \
  auto result = (rexpr);                                \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
