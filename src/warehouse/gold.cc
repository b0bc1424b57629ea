// `dlake gold dump | snapshot` (doc/warehouse.md "Gold"): the warehouse exported under
// data/gold/, each file written under a temporary name and renamed into place.

#include <algorithm>
#include <filesystem>
#include <regex>

#include "common/file_util.h"
#include "common/subprocess.h"
#include "dlake/common/time.h"
#include "dlake/warehouse/warehouse.h"
#include "warehouse/open_target.h"
#include "warehouse/schema.h"
#include "warehouse/views.h"

namespace dlake::warehouse {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDumpsDir = "data/gold/dumps";
constexpr const char* kSnapshotsDir = "data/gold/snapshots";
constexpr const char* kDumpPrefix = "full_backup_";

// YYYY-MM-DD_HH-MM-SS (UTC)
std::string Stamp(int64_t ms) {
  std::string text = FormatTimestamp(ms).substr(0, 19);  // 2024-01-05T12:30:00
  text[10] = '_';
  std::replace(text.begin() + 11, text.end(), ':', '-');
  return text;
}

// The pg_dump that matches the server's major version (Debian keeps one per version), else
// whichever is on PATH.
Result<std::string> PgDumpFor(SqlTarget& target) {
  DLAKE_ASSIGN_OR_RETURN(SqlRows rows,
                         target.Query("SHOW server_version_num", "reading the server version"));
  const std::string candidate =
      "/usr/lib/postgresql/" + std::to_string(rows.Int(0, 0) / 10000) + "/bin/pg_dump";
  std::error_code ec;
  if (fs::exists(candidate, ec)) return candidate;
  return std::string("pg_dump");
}

Status DumpPostgres(const WarehouseContext& ctx, SqlTarget& target, const std::string& tmp) {
  DLAKE_ASSIGN_OR_RETURN(std::string pg_dump, PgDumpFor(target));
  DLAKE_ASSIGN_OR_RETURN(std::vector<std::string> environment, PostgresEnvironment(ctx.url));
  DLAKE_ASSIGN_OR_RETURN(
      ProcessOutcome outcome,
      RunProcess({pg_dump, "--format=plain", "--no-owner", "--no-privileges", "--file=" + tmp},
                 environment));
  if (outcome.exit_code != 0) {
    std::string stderr_text = outcome.stderr_text;
    while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
    return FailedPrecondition("pg_dump of ", target.Describe(), " failed (",
                              outcome.signal != 0
                                  ? "signal " + std::to_string(outcome.signal)
                                  : "exit code " + std::to_string(outcome.exit_code),
                              "): ", stderr_text);
  }
  return Status::Ok();
}

// Whether `name` is a dump this program wrote: full_backup_YYYY-MM-DD_HH-MM-SS[.sql].
bool IsDumpName(const std::string& name) {
  static const std::regex pattern(R"(full_backup_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(\.sql)?)");
  return std::regex_match(name, pattern);
}

// The dumps in the folder, oldest first (names sort by time). Other entries are never touched.
std::vector<std::string> ExistingDumps(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (IsDumpName(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// fsync a dump: the file, or the export folder's files and the folder.
Status SyncTree(Env& env, const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return env.SyncFile(path);
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) DLAKE_RETURN_IF_ERROR(env.SyncFile(entry.path().string()));
  }
  return env.SyncDir(path);
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return IoError("cannot remove '", path, "': ", ec.message());
  return Status::Ok();
}

int64_t SizeOf(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return static_cast<int64_t>(fs::file_size(path, ec));
  int64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec)) bytes += static_cast<int64_t>(entry.file_size(ec));
  }
  return bytes;
}

}  // namespace

Result<DumpReport> DumpGold(const WarehouseContext& ctx, const DumpRequest& request) {
  if (request.keep < 0) return InvalidArgument("--keep must be 0 (keep all) or more");
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  Env* env = ctx.runtime->env();
  const std::string dir = JoinPath(ctx.lake, kDumpsDir);
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(dir));
  const bool postgres = target->dialect().name() == "postgresql";
  const std::string name =
      std::string(kDumpPrefix) + Stamp(env->NowMs()) + (postgres ? ".sql" : "");
  const std::string final_path = JoinPath(dir, name);
  const std::string tmp = JoinPath(dir, ".tmp-" + name);
  DLAKE_RETURN_IF_ERROR(RemoveTree(tmp));
  Status dumped =
      postgres ? DumpPostgres(ctx, *target, tmp)
               : target
                     ->Execute("EXPORT DATABASE " + SqlLiteral(tmp) + " (FORMAT csv, HEADER true)",
                               "exporting the embedded warehouse")
                     .status();
  if (!dumped.ok()) {
    (void)RemoveTree(tmp);
    return dumped;
  }
  DLAKE_RETURN_IF_ERROR(SyncTree(*env, tmp));
  DLAKE_RETURN_IF_ERROR(RemoveTree(final_path));  // a second dump within the same second
  DLAKE_RETURN_IF_ERROR(env->RenameFile(tmp, final_path));
  DLAKE_RETURN_IF_ERROR(env->SyncDir(dir));

  DumpReport report;
  report.path = final_path;
  report.bytes = SizeOf(final_path);
  if (request.keep > 0) {
    std::vector<std::string> dumps = ExistingDumps(dir);
    const size_t excess =
        dumps.size() > static_cast<size_t>(request.keep) ? dumps.size() - request.keep : 0;
    for (size_t i = 0; i < excess; ++i) {
      if (dumps[i] == name) continue;  // never the dump just written (a clock set back)
      DLAKE_RETURN_IF_ERROR(RemoveTree(JoinPath(dir, dumps[i])));
      report.removed.push_back(JoinPath(dir, dumps[i]));
    }
  }
  return report;
}

Status CheckSnapshotRequest(const SnapshotRequest& request) {
  std::vector<std::string> known;
  for (const auto& table : WarehouseTables()) known.push_back(table.name);
  for (const auto& view : WarehouseViews(PostgresDialect())) known.push_back(view.name);
  for (const auto& name : request.names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return InvalidArgument("'", name,
                             "' is neither a warehouse table nor a vw_ view (see `dlake warehouse "
                             "status` and doc/warehouse.md)");
    }
  }
  return Status::Ok();
}

Result<SnapshotReport> SnapshotGold(const WarehouseContext& ctx, const SnapshotRequest& request) {
  DLAKE_RETURN_IF_ERROR(CheckSnapshotRequest(request));
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  std::vector<std::string> names = request.names;
  if (names.empty()) {
    for (const auto& table : WarehouseTables()) names.push_back(table.name);
  }
  Env* env = ctx.runtime->env();
  const std::string dir = JoinPath(ctx.lake, kSnapshotsDir);
  DLAKE_RETURN_IF_ERROR(env->CreateDirs(dir));
  const std::string stamp = Stamp(env->NowMs());
  SnapshotReport report;
  for (const auto& name : names) {
    const std::string file = name + "-" + stamp + ".csv";
    const std::string tmp = JoinPath(dir, ".tmp-" + file);
    auto rows = target->CopyOut("SELECT * FROM " + name, tmp);
    if (!rows.ok()) {
      (void)env->RemoveFile(tmp);
      return rows.status();
    }
    DLAKE_RETURN_IF_ERROR(env->SyncFile(tmp));
    DLAKE_RETURN_IF_ERROR(env->RenameFile(tmp, JoinPath(dir, file)));
    report.files.push_back({name, JoinPath(dir, file), *rows});
  }
  DLAKE_RETURN_IF_ERROR(env->SyncDir(dir));
  return report;
}

}  // namespace dlake::warehouse
