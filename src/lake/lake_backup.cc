// Lake::Backup and Lake::Restore (doc/backup.md).

#include "dlake/lake_backup.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/manifest_backups.h"
#include "common/lake_layout.h"
#include "dlake/json.h"
#include "lake/backup_files.h"
#include "lake/lake_impl.h"
#include "storage/dataset_locks.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using backup::FileSink;

class Stopwatch {
 public:
  int64_t ElapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

Result<std::string> AbsolutePath(const std::string& path, const char* what) {
  if (path.empty()) return InvalidArgument("no ", what, " given");
  std::error_code ec;
  std::string out = fs::absolute(path, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve ", what, " '", path, "': ", ec.message());
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsSameOrBelow(const std::string& path, const std::string& folder) {
  return path == folder || path.rfind(folder + "/", 0) == 0;
}

// Files the lake changes in place rather than replacing by rename: copied, never linked, so
// that the backup and the restored lake do not share them.
bool IsMutableFile(const std::string& relative) {
  return relative == layout::kManifestFile || relative == layout::kSettingsFile ||
         relative.rfind(std::string(layout::kMetadataDir) + "/", 0) == 0 ||
         fs::path(relative).filename() == "_last_checkpoint";
}

// Holds the read lock of every dataset whose files are being linked, so that no writer deletes
// a file it replaced while the backup still needs it (doc/layout.md "Locks").
class ReadLocks {
 public:
  explicit ReadLocks(const StorageContext& ctx) : ctx_(ctx) {}
  Status Take(const DatasetId& dataset) {
    const std::string key = dataset.Path();
    if (locks_.count(key)) return Status::Ok();
    DLAKE_ASSIGN_OR_RETURN(auto lock, storage::LockForReading(ctx_, dataset));
    locks_.emplace(key, std::move(lock));
    return Status::Ok();
  }

 private:
  const StorageContext& ctx_;
  std::map<std::string, std::optional<FileLock>> locks_;
};

// The files the backed-up manifest lists, linked (or copied) under the backup's data/.
Status BackUpListedFiles(const StorageContext& ctx, FileSink& sink, ReadLocks& locks) {
  DLAKE_ASSIGN_OR_RETURN(auto listed,
                         catalog::ListManifestFiles(JoinPath(sink.root(), layout::kManifestFile)));
  // Datasets created between taking the locks and the manifest backup: their files were
  // unprotected only for that moment; a file deleted meanwhile is reported below.
  for (const auto& file : listed) {
    if (!file.dataset.exchange.empty()) DLAKE_RETURN_IF_ERROR(locks.Take(file.dataset));
  }
  for (const auto& file : listed) {
    Status placed = sink.LinkOrCopy(ctx.Abs(file.path), file.path);
    if (placed.code() == StatusCode::kNotFound) {
      return NotFound("data file '", file.path,
                      "' listed in the manifest is gone (replaced by a concurrent writer, or "
                      "missing: see 'dlake verify'); run the backup again");
    }
    DLAKE_RETURN_IF_ERROR(placed);
    if (sink.Checksum(file.path) != file.sha256) {
      return Corruption("data file '", ctx.Abs(file.path), "' does not match its manifest checksum",
                        " (expected ", file.sha256, ", found ", sink.Checksum(file.path),
                        "); run 'dlake verify'");
    }
  }
  return Status::Ok();
}

// The silver Delta tables, which the manifest does not list: their folder tree. A commit is
// written after the data files it names, so copying each table's _delta_log first and its
// data files after catches every file of the versions copied. Files that vanish meanwhile
// (vacuum, log cleanup) are no longer needed and skipped.
Status BackUpSilver(const StorageContext& ctx, FileSink& sink) {
  const std::string silver(layout::kSilverDir);
  std::vector<std::string> files = backup::ListTree(ctx.Abs(silver));
  std::stable_partition(files.begin(), files.end(), [](const std::string& f) {
    return f.find("_delta_log/") != std::string::npos;
  });
  for (const auto& file : files) {
    const std::string relative = silver + "/" + file;
    Status placed = IsMutableFile(relative) ? sink.Copy(ctx.Abs(relative), relative)
                                            : sink.LinkOrCopy(ctx.Abs(relative), relative);
    if (placed.code() == StatusCode::kNotFound) continue;
    DLAKE_RETURN_IF_ERROR(placed);
  }
  return Status::Ok();
}

// The run records under metadata/ (appended to, so copied), without the manifest backups.
Status BackUpMetadata(const StorageContext& ctx, FileSink& sink) {
  const std::string metadata(layout::kMetadataDir);
  const std::string skip =
      std::string(catalog::kManifestBackupsDir).substr(metadata.size() + 1);  // manifest-backups
  for (const auto& file : backup::ListTree(ctx.Abs(metadata), skip)) {
    const std::string relative = metadata + "/" + file;
    Status copied = sink.Copy(ctx.Abs(relative), relative);
    if (copied.code() == StatusCode::kNotFound) continue;
    DLAKE_RETURN_IF_ERROR(copied);
  }
  return Status::Ok();
}

Status RunBackup(Lake::Impl& impl, const BackupRequest& request, FileSink& sink) {
  const StorageContext& ctx = impl.ctx;
  ReadLocks locks(ctx);
  if (request.data) {
    DLAKE_ASSIGN_OR_RETURN(auto datasets, impl.manifest->Datasets(DatasetFilter{}));
    for (const auto& d : datasets) DLAKE_RETURN_IF_ERROR(locks.Take(d.id));
  }
  const std::string manifest(layout::kManifestFile);
  DLAKE_RETURN_IF_ERROR(impl.manifest->BackupTo(JoinPath(sink.root(), manifest)));
  DLAKE_RETURN_IF_ERROR(sink.Add(manifest));
  const std::string settings(layout::kSettingsFile);
  std::error_code ec;
  if (fs::exists(ctx.Abs(settings), ec))
    DLAKE_RETURN_IF_ERROR(sink.Copy(ctx.Abs(settings), settings));
  if (!request.data) return sink.Finish();
  // The data/ folder marks a backup made with data, even of a lake holding none.
  DLAKE_RETURN_IF_ERROR(ctx.env->CreateDirs(JoinPath(sink.root(), layout::kDataDir)));
  DLAKE_RETURN_IF_ERROR(BackUpListedFiles(ctx, sink, locks));
  DLAKE_RETURN_IF_ERROR(BackUpSilver(ctx, sink));
  DLAKE_RETURN_IF_ERROR(BackUpMetadata(ctx, sink));
  return sink.Finish();
}

// Checks the backup before anything is written: a backup with data, every file as recorded.
Result<std::vector<backup::ChecksumLine>> CheckBackup(const std::string& dir) {
  DLAKE_ASSIGN_OR_RETURN(auto lines, backup::ReadChecksums(dir));
  const bool has_manifest = std::any_of(lines.begin(), lines.end(), [](const auto& line) {
    return line.path == layout::kManifestFile;
  });
  if (!has_manifest) {
    return Corruption("backup '", dir, "' lists no ", layout::kManifestFile, " in ",
                      backup::kChecksumsFile);
  }
  std::error_code ec;
  if (!fs::is_directory(JoinPath(dir, layout::kDataDir), ec)) {
    return FailedPrecondition("backup '", dir,
                              "' holds only the manifest (made without --data); restore needs a "
                              "backup made with 'dlake backup DIR --data'");
  }
  DLAKE_RETURN_IF_ERROR(backup::VerifyChecksums(dir, lines));
  return lines;
}

// Builds the lake in `tmp` from the backup's files.
Status BuildLake(Env* env, const std::string& backup_dir,
                 const std::vector<backup::ChecksumLine>& lines, FileSink& sink) {
  for (const auto& line : lines) {
    const std::string from = JoinPath(backup_dir, line.path);
    DLAKE_RETURN_IF_ERROR(IsMutableFile(line.path) ? sink.Copy(from, line.path)
                                                   : sink.LinkOrCopy(from, line.path));
    if (sink.Checksum(line.path) != line.sha256) {
      return Corruption("backup file '", from, "' changed while it was restored");
    }
  }
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(JoinPath(sink.root(), layout::kDataDir)));
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(JoinPath(sink.root(), layout::kMetadataDir)));
  return sink.SyncDirs();
}

}  // namespace

Result<BackupReport> Lake::Backup(const BackupRequest& request) {
  Stopwatch watch;
  DLAKE_ASSIGN_OR_RETURN(std::string dir, AbsolutePath(request.dir, "backup folder"));
  if (IsSameOrBelow(dir, root()) || IsSameOrBelow(root(), dir)) {
    return InvalidArgument("backup folder '", dir, "' overlaps the lake '", root(),
                           "'; choose a folder outside it");
  }
  bool created = false;
  DLAKE_RETURN_IF_ERROR(backup::RequireEmptyDir(impl_->ctx.env, dir, "backup folder", &created));
  FileSink sink(impl_->ctx.env, dir);
  Status status = RunBackup(*impl_, request, sink);
  if (!status.ok()) {
    backup::RemoveContents(dir, created);
    return status.WithContext("backup of '" + root() + "' into '" + dir + "' failed");
  }
  BackupReport report;
  report.dir = dir;
  report.data = request.data;
  DLAKE_ASSIGN_OR_RETURN(report.schema_version, SchemaVersion());
  report.files = sink.files();
  report.bytes = sink.bytes();
  report.linked = sink.linked();
  report.copied = sink.copied();
  report.elapsed_ms = watch.ElapsedMs();
  return report;
}

Result<RestoreReport> Lake::Restore(const RestoreRequest& request, const LakeOptions& options) {
  Stopwatch watch;
  DLAKE_ASSIGN_OR_RETURN(std::string backup_dir, AbsolutePath(request.backup_dir, "backup"));
  DLAKE_ASSIGN_OR_RETURN(std::string lake_dir, AbsolutePath(request.lake_dir, "lake folder"));
  DLAKE_ASSIGN_OR_RETURN(auto lines, CheckBackup(backup_dir));
  std::error_code ec;
  if (fs::exists(lake_dir, ec) &&
      (!fs::is_directory(lake_dir, ec) || !fs::is_empty(lake_dir, ec))) {
    return FailedPrecondition("cannot restore into '", lake_dir,
                              "': it exists and is not an empty folder");
  }
  // Built beside the target and renamed into place: the lake appears whole or not at all.
  Env* env = options.runtime ? options.runtime->env() : Env::Default();
  const std::string tmp = lake_dir + ".tmp-" + std::to_string(::getpid());
  backup::RemoveContents(tmp, /*remove_dir=*/true);
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(tmp));
  FileSink sink(env, tmp);
  Status built = BuildLake(env, backup_dir, lines, sink);
  if (built.ok()) built = env->RenameFile(tmp, lake_dir);
  if (built.ok()) built = env->SyncDir(fs::path(lake_dir).parent_path().string());
  if (!built.ok()) {
    backup::RemoveContents(tmp, /*remove_dir=*/true);
    return built.WithContext("restore of '" + backup_dir + "' into '" + lake_dir + "' failed");
  }
  RestoreReport report;
  report.lake = lake_dir;
  report.files = sink.files();
  report.bytes = sink.bytes();
  report.linked = sink.linked();
  report.copied = sink.copied();
  DLAKE_ASSIGN_OR_RETURN(auto lake, Lake::Open(lake_dir, options));
  DLAKE_ASSIGN_OR_RETURN(report.schema_version, lake->SchemaVersion());
  VerifyRequest verify;
  verify.check_data = false;
  DLAKE_ASSIGN_OR_RETURN(report.verify, lake->Verify(verify));
  report.elapsed_ms = watch.ElapsedMs();
  return report;
}

std::string ToJson(const BackupReport& r, int indent) {
  nlohmann::json json = {{"dir", r.dir},
                         {"data", r.data},
                         {"schema_version", r.schema_version},
                         {"files", r.files},
                         {"bytes", r.bytes},
                         {"linked", r.linked},
                         {"copied", r.copied},
                         {"elapsed_ms", r.elapsed_ms}};
  return json.dump(indent);
}

std::string ToJson(const RestoreReport& r, int indent) {
  nlohmann::json json = {{"lake", r.lake},
                         {"schema_version", r.schema_version},
                         {"files", r.files},
                         {"bytes", r.bytes},
                         {"linked", r.linked},
                         {"copied", r.copied},
                         {"ok", r.verify.ok()},
                         {"verify", nlohmann::json::parse(ToJson(r.verify, -1))},
                         {"elapsed_ms", r.elapsed_ms}};
  return json.dump(indent);
}

}  // namespace dlake
