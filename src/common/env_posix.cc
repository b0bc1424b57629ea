#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "dlake/common/env.h"

namespace dlake {
namespace {

// Closes a file descriptor on every path.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close(2)'s error, which may be a delayed write error.
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status SyncPath(const std::string& path, int flags) {
  ScopedFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return IoErrorFromErrno("cannot open for fsync", path, errno);
  if (::fsync(fd.get()) != 0) return IoErrorFromErrno("cannot fsync", path, errno);
  return Status::Ok();
}

std::string ParentDir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class PosixEnv : public Env {
 public:
  Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return IoError("cannot create folder '", path, "': ", ec.message());
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      int err = errno;
      return IoError("cannot rename '", from, "' to '", to, "': ", std::strerror(err));
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return IoErrorFromErrno("cannot remove", path, errno);
    }
    return Status::Ok();
  }

  Status RemoveEmptyDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
      return IoErrorFromErrno("cannot remove folder", path, errno);
    }
    return Status::Ok();
  }

  Status SyncFile(const std::string& path) override { return SyncPath(path, O_RDONLY); }

  Status SyncDir(const std::string& path) override {
    return SyncPath(path, O_RDONLY | O_DIRECTORY);
  }

  Status WriteFileAtomic(const std::string& path, const std::string& contents) override {
    std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    {
      ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (fd.get() < 0) return IoErrorFromErrno("cannot create", tmp, errno);
      size_t done = 0;
      while (done < contents.size()) {
        ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          int err = errno;
          ::unlink(tmp.c_str());
          return IoErrorFromErrno("cannot write", tmp, err);
        }
        done += static_cast<size_t>(n);
      }
      if (::fsync(fd.get()) != 0 || fd.Close() != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return IoErrorFromErrno("cannot flush", tmp, err);
      }
    }
    Status renamed = RenameFile(tmp, path);
    if (!renamed.ok()) {
      ::unlink(tmp.c_str());
      return renamed;
    }
    return SyncDir(ParentDir(path));
  }

  Status AppendFile(const std::string& path, const std::string& contents) override {
    ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (fd.get() < 0) return IoErrorFromErrno("cannot open for appending", path, errno);
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoErrorFromErrno("cannot append to", path, errno);
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || fd.Close() != 0) {
      return IoErrorFromErrno("cannot flush", path, errno);
    }
    return Status::Ok();
  }

  Status LinkFile(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) == 0) return Status::Ok();
    int err = errno;
    if (err == EEXIST) return AlreadyExists("'", to, "' already exists");
    return IoErrorFromErrno("cannot link '" + from + "' to", to, err);
  }

  Status SetModificationTime(const std::string& path, int64_t ms) override {
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = ms / 1000;
    times[1].tv_nsec = (ms % 1000) * 1000000;
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
      return IoErrorFromErrno("cannot set the modification time of", path, errno);
    }
    return Status::Ok();
  }

  int64_t NowMs() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace dlake
