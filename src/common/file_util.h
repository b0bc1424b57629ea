#pragma once
// Small file helpers used across modules: checksums, advisory locks, path joins.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dlake/common/status.h"

namespace dlake {

struct FileDigest {
  std::string sha256;  // lower-case hex
  uint64_t bytes = 0;
};

// Streams the file through SHA-256 (bounded memory).
Result<FileDigest> Sha256File(const std::string& path);
// SHA-256 of bytes in memory, lower-case hex.
Result<std::string> Sha256Hex(std::string_view data);

// An advisory lock (flock) on a lock file, held until destruction. Works across processes and
// across threads of one process (each lock opens its own descriptor).
class FileLock {
 public:
  enum class Mode { kExclusive, kShared };
  // Blocks until the lock is granted. Creates the lock file and its folder if needed.
  static Result<FileLock> Acquire(const std::string& path, Mode mode = Mode::kExclusive);
  // Like Acquire but gives up at once: nullopt if another holder conflicts.
  static Result<std::optional<FileLock>> TryAcquire(const std::string& path, Mode mode);
  ~FileLock();
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

// "a" + "/" + "b", without doubling separators.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace dlake
