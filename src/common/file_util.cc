#include "common/file_util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace dlake {

namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)>;

Result<DigestContext> NewSha256() {
  DigestContext ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Internal("cannot initialise SHA-256");
  }
  return ctx;
}

std::string FinishHex(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size_t{md_len} * 2);
  for (unsigned int i = 0; i < md_len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xf];
  }
  return hex;
}

}  // namespace

Result<FileDigest> Sha256File(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorFromErrno("cannot open", path, errno);
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  DLAKE_ASSIGN_OR_RETURN(DigestContext ctx, NewSha256());
  FileDigest digest;
  std::vector<unsigned char> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoErrorFromErrno("cannot read", path, errno);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    digest.bytes += static_cast<uint64_t>(n);
  }
  digest.sha256 = FinishHex(ctx.get());
  return digest;
}

Result<std::string> Sha256Hex(std::string_view data) {
  DLAKE_ASSIGN_OR_RETURN(DigestContext ctx, NewSha256());
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return FinishHex(ctx.get());
}

namespace {

// Opens (creating) the lock file and applies flock `operation`. Returns -1 with errno EWOULDBLOCK
// when a non-blocking request conflicts.
Result<int> LockFile(const std::string& path, int operation) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot open lock file", path, errno);
  while (::flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return -1;
    return IoErrorFromErrno("cannot lock", path, err);
  }
  return fd;
}

int FlockOperation(FileLock::Mode mode) {
  return mode == FileLock::Mode::kExclusive ? LOCK_EX : LOCK_SH;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, Mode mode) {
  DLAKE_ASSIGN_OR_RETURN(int fd, LockFile(path, FlockOperation(mode)));
  return FileLock(fd);
}

Result<std::optional<FileLock>> FileLock::TryAcquire(const std::string& path, Mode mode) {
  DLAKE_ASSIGN_OR_RETURN(int fd, LockFile(path, FlockOperation(mode) | LOCK_NB));
  if (fd < 0) return std::optional<FileLock>();
  return std::optional<FileLock>(FileLock(fd));
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() != '/') out += '/';
  out.append(b.front() == '/' ? b.substr(1) : b);
  return out;
}

}  // namespace dlake
