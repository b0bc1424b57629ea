#pragma once
// An Env that forwards to the real one and fails chosen mutating operations, for testing that
// every failure point of a write leaves the lake as it was.

#include <atomic>
#include <string>

#include "dlake/common/env.h"

namespace dlake::testing {

class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  // The `n`-th mutating call from now (0-based) and every later one fails with `error` (an
  // errno value such as ENOSPC): a disk gone bad, where even cleanup fails. -1 disarms.
  void FailFrom(int n, int error) { Arm(n, error, /*only_once=*/false); }
  // Only the `n`-th mutating call from now fails: a transient fault; cleanup works.
  void FailOnly(int n, int error) { Arm(n, error, /*only_once=*/true); }
  int calls() const { return calls_; }

  Status CreateDirs(const std::string& path) override {
    DLAKE_RETURN_IF_ERROR(Tick("mkdir", path));
    return base_->CreateDirs(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    DLAKE_RETURN_IF_ERROR(Tick("rename", from));
    return base_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override {
    DLAKE_RETURN_IF_ERROR(Tick("unlink", path));
    return base_->RemoveFile(path);
  }
  Status RemoveEmptyDir(const std::string& path) override {
    DLAKE_RETURN_IF_ERROR(Tick("rmdir", path));
    return base_->RemoveEmptyDir(path);
  }
  Status SyncFile(const std::string& path) override {
    DLAKE_RETURN_IF_ERROR(Tick("fsync", path));
    return base_->SyncFile(path);
  }
  Status SyncDir(const std::string& path) override {
    DLAKE_RETURN_IF_ERROR(Tick("fsync", path));
    return base_->SyncDir(path);
  }
  Status WriteFileAtomic(const std::string& path, const std::string& contents) override {
    DLAKE_RETURN_IF_ERROR(Tick("write", path));
    return base_->WriteFileAtomic(path, contents);
  }
  Status AppendFile(const std::string& path, const std::string& contents) override {
    DLAKE_RETURN_IF_ERROR(Tick("append", path));
    return base_->AppendFile(path, contents);
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    DLAKE_RETURN_IF_ERROR(Tick("link", to));
    return base_->LinkFile(from, to);
  }
  Status SetModificationTime(const std::string& path, int64_t ms) override {
    DLAKE_RETURN_IF_ERROR(Tick("utimens", path));
    return base_->SetModificationTime(path, ms);
  }
  int64_t NowMs() override { return base_->NowMs(); }

 private:
  void Arm(int n, int error, bool only_once) {
    calls_ = 0;
    fail_from_ = n;
    errno_ = error;
    only_once_ = only_once;
  }

  Status Tick(const char* op, const std::string& path) {
    int n = calls_++;
    bool fails = fail_from_ >= 0 && (only_once_ ? n == fail_from_ : n >= fail_from_);
    if (fails) return IoErrorFromErrno(op, path, errno_);
    return Status::Ok();
  }

  Env* base_;
  std::atomic<int> calls_{0};
  int fail_from_ = -1;
  int errno_ = 0;
  bool only_once_ = false;
};

}  // namespace dlake::testing
