#include "lake/strays.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "storage/dataset_locks.h"
#include "storage/partition.h"

namespace dlake {
namespace fs = std::filesystem;

namespace {

// Top-level folders under data/ that belong to the medallion layers. Bronze files are lake files
// and checked on their own (FindBronzeStrays); silver holds Delta tables, whose _delta_log lists
// their files. Feature datasets live under features/ and are checked here like the others.
const std::set<std::string> kReservedDataDirs = {"bronze", "silver", "gold"};

bool ProcessAlive(const std::string& pid_text) {
  char* end = nullptr;
  long pid = std::strtol(pid_text.c_str(), &end, 10);
  if (end == pid_text.c_str() || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// A temporary file ".tmp-<pid>-<n>-<name>" whose writer process is gone.
bool IsDeadWritersTemp(const std::string& name) {
  if (!storage::IsTempName(name)) return false;
  std::string rest = name.substr(storage::kTempPrefix.size());
  return !ProcessAlive(rest.substr(0, rest.find('-')));
}

// Does the dataset folder "E/M/S/T/P" or "features/SET/VERSION/E/S" (relative to data/) match
// the filter?
bool DirMatches(const DatasetFilter& filter, const std::vector<std::string>& parts) {
  if (parts.size() < 5) return true;
  if (parts[0] == "features") {
    return filter.Matches(
        DatasetId{parts[3], "", parts[4], std::string(kTypeFeature), parts[1] + "@" + parts[2]});
  }
  return filter.Matches(DatasetId{parts[0], parts[1], parts[2], parts[3], parts[4]});
}

// Bytes of a file, or of every file below a folder.
int64_t SizeOf(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    auto size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

}  // namespace

Result<std::unordered_set<std::string>> ListedPaths(const StorageContext& ctx,
                                                    const DatasetFilter& filter) {
  std::unordered_set<std::string> listed;
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->Files(filter));
  for (const auto& f : files) listed.insert(f.path);
  DLAKE_ASSIGN_OR_RETURN(auto pending, ctx.manifest->PendingDeletes(filter));
  listed.insert(pending.begin(), pending.end());
  return listed;
}

void FindDatasetStrays(const StorageContext& ctx, const DatasetFilter& filter,
                       const std::unordered_set<std::string>& listed, Strays& strays) {
  const fs::path data = ctx.Abs(storage::kDataDir);
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    fs::path rel = fs::relative(it->path(), data);
    std::vector<std::string> parts;
    for (const auto& p : rel) parts.push_back(p.string());
    if (it.depth() == 0 && it->is_directory() && kReservedDataDirs.count(parts[0])) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory()) {
      if (parts.size() == 5 && !DirMatches(filter, parts)) it.disable_recursion_pending();
      continue;
    }
    if (!DirMatches(filter, parts)) continue;
    const std::string name = it->path().filename().string();
    const std::string lake_rel = std::string(storage::kDataDir) + "/" + rel.generic_string();
    if (storage::IsTempName(name)) {
      // A live writer's temporary file is work in progress, not a leftover.
      if (IsDeadWritersTemp(name)) strays.leftovers.push_back(lake_rel);
    } else if (!listed.count(lake_rel)) {
      strays.orphans.push_back(lake_rel);
    }
  }
  // Spill folders of DuckDB instances whose process is gone.
  for (const auto& entry : fs::directory_iterator(ctx.Abs(storage::kTmpDir), ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("duckdb-") && !ProcessAlive(name.substr(7))) {
      strays.leftovers.push_back(std::string(storage::kTmpDir) + "/" + name);
    }
  }
}

void FindBronzeStrays(const StorageContext& ctx, const std::vector<LakeFile>& registered,
                      Strays& strays) {
  std::unordered_set<std::string> listed;
  for (const auto& f : registered) listed.insert(f.path);
  const std::string bronze = ctx.Abs(std::string(layout::kBronzeDir));
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(bronze, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory()) continue;
    const std::string name = it->path().filename().string();
    const std::string rel =
        std::string(layout::kBronzeDir) + "/" + fs::relative(it->path(), bronze).generic_string();
    if (storage::IsTempName(name)) {
      if (IsDeadWritersTemp(name)) strays.leftovers.push_back(rel);
    } else if (!listed.count(rel)) {
      strays.orphans.push_back(rel);
    }
  }
}

std::optional<DatasetId> DatasetOfPath(const std::string& rel) {
  std::vector<std::string> parts;
  for (const auto& p : fs::path(rel)) parts.push_back(p.string());
  if (parts.size() < 7 || parts[0] != storage::kDataDir) return std::nullopt;
  auto id = DatasetId::Make(parts[1], parts[2], parts[3], parts[4], parts[5]);
  if (!id.ok() ||
      id->Path() != parts[1] + "/" + parts[2] + "/" + parts[3] + "/" + parts[4] + "/" + parts[5]) {
    return std::nullopt;
  }
  return *id;
}

Status RemoveStrays(const StorageContext& ctx, const DatasetFilter& filter, const Strays& strays,
                    std::vector<std::string>& removed, int64_t& bytes_freed) {
  auto remove = [&](const std::string& rel) {
    const std::string path = ctx.Abs(rel);
    const int64_t bytes = SizeOf(path);
    std::error_code ec;
    if (fs::remove_all(path, ec) > 0 && !ec) {
      removed.push_back(rel);
      bytes_freed += bytes;
    }
  };
  for (const auto& rel : strays.leftovers) remove(rel);  // their processes are gone

  std::map<std::string, std::pair<DatasetId, std::vector<std::string>>> by_dataset;
  for (const auto& rel : strays.orphans) {
    std::optional<DatasetId> id = DatasetOfPath(rel);
    if (!id) {
      remove(rel);  // outside any dataset folder: no dataset writer puts files there
      continue;
    }
    auto& entry = by_dataset[id->Path()];
    entry.first = *id;
    entry.second.push_back(rel);
  }
  DLAKE_ASSIGN_OR_RETURN(auto pending, ctx.manifest->PendingDeletes(filter));
  for (const auto& rel : pending) {
    if (std::optional<DatasetId> id = DatasetOfPath(rel)) by_dataset[id->Path()].first = *id;
  }
  for (auto& [name, entry] : by_dataset) {
    const DatasetId& id = entry.first;
    DLAKE_ASSIGN_OR_RETURN(FileLock lock, storage::LockForWriting(ctx, id));
    DLAKE_ASSIGN_OR_RETURN(auto listed, ListedPaths(ctx, DatasetFilter::Of(id)));
    for (const auto& rel : entry.second) {
      if (!listed.count(rel)) remove(rel);
    }
    DLAKE_RETURN_IF_ERROR(storage::CollectGarbage(ctx, id));
  }
  return Status::Ok();
}

}  // namespace dlake
