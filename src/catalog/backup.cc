// Manifest backups: the online copy (Manifest::BackupTo), the rotated automatic backups and
// reading a backed-up manifest's file list.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "catalog/manifest_backups.h"
#include "catalog/sqlite.h"
#include "common/file_util.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/env.h"
#include "dlake/common/time.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsReason(std::string_view reason) {
  return !reason.empty() && std::all_of(reason.begin(), reason.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// "20240105T123000Z"
std::string CompactUtc(int64_t ms) {
  const int64_t day = DayOf(ms);
  const CivilDate date = CivilFromDay(day);
  const int64_t second_of_day = (ms - DayStartMs(day)) / kMsPerSecond;
  char text[32];
  std::snprintf(text, sizeof(text), "%04d%02d%02dT%02d%02d%02dZ", date.year, date.month, date.day,
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60));
  return text;
}

// Deletes the oldest automatic backups in `dir` beyond the newest `keep`. The names sort by
// time, since the timestamp comes first and has a fixed width.
Status PruneBackups(const std::string& dir, int keep) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && catalog::IsManifestBackupName(name)) names.push_back(name);
  }
  if (ec) return IoError("cannot list manifest backups in '", dir, "': ", ec.message());
  if (static_cast<int>(names.size()) <= keep) return Status::Ok();
  std::sort(names.begin(), names.end());
  const size_t excess = names.size() - static_cast<size_t>(keep);
  for (size_t i = 0; i < excess; ++i) {
    DLAKE_RETURN_IF_ERROR(Env::Default()->RemoveFile(JoinPath(dir, names[i])));
  }
  return Env::Default()->SyncDir(dir);
}

}  // namespace

Status Manifest::BackupTo(const std::string& path) {
  Env* env = Env::Default();
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  DLAKE_RETURN_IF_ERROR(env->RemoveFile(tmp));
  Status copied;
  {
    std::lock_guard lock(mu_);
    copied = db_->BackupInto(tmp);
  }
  if (copied.ok()) copied = env->SyncFile(tmp);
  if (copied.ok()) copied = env->RenameFile(tmp, path);
  if (!copied.ok()) {
    (void)env->RemoveFile(tmp);
    (void)env->RemoveFile(tmp + "-journal");
    return copied.WithContext("cannot back up manifest '" + db_->path() + "' to '" + path + "'");
  }
  return env->SyncDir(fs::path(path).parent_path().string());
}

namespace catalog {

std::string ManifestBackupName(int64_t now_ms, int schema_version, std::string_view reason) {
  return "manifest-" + CompactUtc(now_ms) + "-v" + std::to_string(schema_version) + "-" +
         std::string(reason) + ".db";
}

bool IsManifestBackupName(std::string_view name) {
  // manifest-yyyymmddThhmmssZ-v<digits>-<reason>.db
  constexpr std::string_view kPrefix = "manifest-";
  constexpr std::string_view kSuffix = ".db";
  if (name.size() < kPrefix.size() + 16 + 4 + kSuffix.size()) return false;
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  if (name.substr(name.size() - kSuffix.size()) != kSuffix) return false;
  std::string_view rest = name.substr(kPrefix.size(), name.size() - kPrefix.size() - 3);
  if (!IsDigits(rest.substr(0, 8)) || rest[8] != 'T' || !IsDigits(rest.substr(9, 6)) ||
      rest[15] != 'Z' || rest.substr(16, 2) != "-v") {
    return false;
  }
  rest.remove_prefix(18);
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return false;
  return IsDigits(rest.substr(0, dash)) && IsReason(rest.substr(dash + 1));
}

Result<std::string> BackupManifestRotating(Manifest& manifest, const std::string& lake_root,
                                           std::string_view reason, int keep, int64_t now_ms) {
  if (!IsReason(reason)) {
    return InvalidArgument("bad manifest backup reason '", reason,
                           "': use lower-case letters, digits and '-'");
  }
  if (keep < 1) return InvalidArgument("manifest backups to keep must be 1 or more, not ", keep);
  const std::string dir = JoinPath(lake_root, kManifestBackupsDir);
  DLAKE_RETURN_IF_ERROR(Env::Default()->CreateDirs(dir));
  DLAKE_ASSIGN_OR_RETURN(int version, manifest.SchemaVersion());
  const std::string path =
      JoinPath(dir, ManifestBackupName(now_ms ? now_ms : SystemClockMs(), version, reason));
  DLAKE_RETURN_IF_ERROR(manifest.BackupTo(path));
  DLAKE_RETURN_IF_ERROR(PruneBackups(dir, keep));
  return path;
}

Result<std::vector<ListedFile>> ListManifestFiles(const std::string& manifest_path) {
  DLAKE_ASSIGN_OR_RETURN(auto db, sqlite::Database::OpenReadOnly(manifest_path));
  DLAKE_ASSIGN_OR_RETURN(auto version_stmt, db->Prepare("PRAGMA user_version"));
  DLAKE_ASSIGN_OR_RETURN(bool has_version, version_stmt.Step());
  const int64_t version = has_version ? version_stmt.ColumnInt64(0) : 0;
  std::vector<ListedFile> out;
  if (version < 1) return out;
  DLAKE_ASSIGN_OR_RETURN(
      auto files, db->Prepare("SELECT f.path, f.sha256, f.bytes, d.exchange, d.market, d.symbol, "
                              "d.type, d.period FROM files f JOIN datasets d ON d.id = "
                              "f.dataset_id"));
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, files.Step());
    if (!row) break;
    out.push_back({files.ColumnText(0),
                   DatasetId{files.ColumnText(3), files.ColumnText(4), files.ColumnText(5),
                             files.ColumnText(6), files.ColumnText(7)},
                   files.ColumnText(1), files.ColumnInt64(2)});
  }
  if (version >= 6) {  // lake_files arrived in version 6 (doc/manifest.md)
    DLAKE_ASSIGN_OR_RETURN(auto lake_files,
                           db->Prepare("SELECT path, sha256, bytes FROM lake_files"));
    while (true) {
      DLAKE_ASSIGN_OR_RETURN(bool row, lake_files.Step());
      if (!row) break;
      out.push_back({lake_files.ColumnText(0), DatasetId{}, lake_files.ColumnText(1),
                     lake_files.ColumnInt64(2)});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace catalog
}  // namespace dlake
