#include "lake/backup_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/file_util.h"

namespace dlake::backup {
namespace {

namespace fs = std::filesystem;

bool IsHex64(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A relative '/'-separated path that stays inside its folder.
bool IsInsidePath(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  for (const auto& part : fs::path(path)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

}  // namespace

Status FileSink::MakeParent(const std::string& relative) {
  fs::path dir = fs::path(JoinPath(root_, relative)).parent_path();
  if (dirs_.count(dir.string())) return Status::Ok();
  DLAKE_RETURN_IF_ERROR(env_->CreateDirs(dir.string()));
  // Every folder up to the root may be new: each needs its own fsync.
  for (; dir.string().size() > root_.size(); dir = dir.parent_path()) dirs_.insert(dir.string());
  return Status::Ok();
}

Status FileSink::Record(const std::string& relative, bool linked, bool copied) {
  DLAKE_ASSIGN_OR_RETURN(FileDigest digest, Sha256File(JoinPath(root_, relative)));
  checksums_[relative] = digest.sha256;
  bytes_ += static_cast<int64_t>(digest.bytes);
  linked_ += linked ? 1 : 0;
  copied_ += copied ? 1 : 0;
  return Status::Ok();
}

Status FileSink::LinkOrCopy(const std::string& from, const std::string& relative) {
  DLAKE_RETURN_IF_ERROR(MakeParent(relative));
  const std::string to = JoinPath(root_, relative);
  Status linked = env_->LinkFile(from, to);
  if (linked.ok()) return Record(relative, /*linked=*/true, /*copied=*/false);
  if (linked.code() == StatusCode::kAlreadyExists) return linked;
  // EXDEV (the target is on another file system), EPERM (links not allowed there), ENOENT:
  // Copy tells a vanished source apart.
  return Copy(from, relative);
}

Status FileSink::Copy(const std::string& from, const std::string& relative) {
  DLAKE_RETURN_IF_ERROR(MakeParent(relative));
  const std::string to = JoinPath(root_, relative);
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::none, ec);
  if (ec) {
    std::error_code exists_ec;
    if (!fs::exists(from, exists_ec)) return NotFound("'", from, "' is gone");
    return IoError("cannot copy '", from, "' to '", to, "': ", ec.message());
  }
  DLAKE_RETURN_IF_ERROR(env_->SyncFile(to));
  return Record(relative, /*linked=*/false, /*copied=*/true);
}

Status FileSink::Add(const std::string& relative) {
  dirs_.insert(fs::path(JoinPath(root_, relative)).parent_path().string());
  return Record(relative, /*linked=*/false, /*copied=*/false);
}

const std::string& FileSink::Checksum(const std::string& relative) const {
  static const std::string kNone;
  auto it = checksums_.find(relative);
  return it == checksums_.end() ? kNone : it->second;
}

Status FileSink::SyncDirs() {
  // Deepest folders first, so each parent's entry for a new child folder is synced after it.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    DLAKE_RETURN_IF_ERROR(env_->SyncDir(*it));
  }
  return env_->SyncDir(root_);
}

Status FileSink::Finish() {
  DLAKE_RETURN_IF_ERROR(SyncDirs());
  std::string text;
  for (const auto& [path, sha256] : checksums_) text += sha256 + "  " + path + "\n";
  return env_->WriteFileAtomic(JoinPath(root_, kChecksumsFile), text);
}

Result<std::vector<ChecksumLine>> ReadChecksums(const std::string& dir) {
  const std::string path = JoinPath(dir, kChecksumsFile);
  std::ifstream in(path);
  if (!in) {
    return NotFound("'", dir, "' is not a dlake backup: no readable ", kChecksumsFile);
  }
  std::vector<ChecksumLine> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    // sha256sum writes "<hex>  <path>" (two spaces; "<hex> *<path>" in binary mode).
    if (line.size() < 67 || !IsHex64(line.substr(0, 64)) || line[64] != ' ' ||
        (line[65] != ' ' && line[65] != '*') || !IsInsidePath(line.substr(66))) {
      return Corruption(path, ":", number, ": not a '<sha256>  <relative path>' line");
    }
    out.push_back({line.substr(0, 64), line.substr(66)});
  }
  if (in.bad()) return IoError("cannot read '", path, "'");
  return out;
}

Status VerifyChecksums(const std::string& dir, const std::vector<ChecksumLine>& lines) {
  for (const auto& line : lines) {
    const std::string path = JoinPath(dir, line.path);
    auto digest = Sha256File(path);
    if (!digest.ok()) {
      return NotFound("backup file '", path, "' listed in ", kChecksumsFile,
                      " cannot be read: ", digest.status().message());
    }
    if (digest->sha256 != line.sha256) {
      return Corruption("backup file '", path, "' does not match ", kChecksumsFile, " (expected ",
                        line.sha256, ", found ", digest->sha256, ")");
    }
  }
  return Status::Ok();
}

Status RequireEmptyDir(Env* env, const std::string& dir, const char* what, bool* created) {
  std::error_code ec;
  *created = false;
  if (!fs::exists(dir, ec)) {
    DLAKE_RETURN_IF_ERROR(env->CreateDirs(dir));
    *created = true;
    return Status::Ok();
  }
  if (!fs::is_directory(dir, ec)) {
    return FailedPrecondition(what, " '", dir, "' exists and is not a folder");
  }
  if (!fs::is_empty(dir, ec) || ec) {
    return FailedPrecondition(what, " '", dir, "' is not empty; give a new or empty folder");
  }
  return Status::Ok();
}

void RemoveContents(const std::string& dir, bool remove_dir) {
  std::error_code ec;
  if (remove_dir) {
    fs::remove_all(dir, ec);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

std::vector<std::string> ListTree(const std::string& dir, const std::string& skip) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string relative = it->path().lexically_relative(dir).generic_string();
    if (name.front() == '.' || relative == skip) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec)) out.push_back(relative);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dlake::backup
