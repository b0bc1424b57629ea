#include "delta/log_files.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/file_util.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;

constexpr size_t kVersionDigits = 20;

// The leading 20-digit version of a log file name, or nullopt.
std::optional<int64_t> LeadingVersion(const std::string& name) {
  if (name.size() < kVersionDigits + 1) return std::nullopt;
  for (size_t i = 0; i < kVersionDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
  }
  if (name[kVersionDigits] != '.') return std::nullopt;
  int64_t version = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + kVersionDigits, version);
  if (ec != std::errc() || end != name.data() + kVersionDigits) return std::nullopt;  // > int64
  return version;
}

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct MultiPartSeen {
  int total = 0;
  std::map<int, std::string> parts;
};

std::string RandomHex(size_t digits) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out += kHex[rng() & 15];
  return out;
}

}  // namespace

std::string LogDir(const std::string& table_root) { return JoinPath(table_root, "_delta_log"); }

std::string CommitFileName(int64_t version) {
  char name[40];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  return name;
}

std::string CommitPath(const std::string& table_root, int64_t version) {
  return JoinPath(LogDir(table_root), CommitFileName(version));
}

std::string ClassicCheckpointPath(const std::string& table_root, int64_t version) {
  char name[48];
  std::snprintf(name, sizeof(name), "%020lld.checkpoint.parquet", static_cast<long long>(version));
  return JoinPath(LogDir(table_root), name);
}

Result<LogListing> ListLog(const std::string& table_root) {
  std::string dir = LogDir(table_root);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("'", table_root, "' is not a Delta table: no _delta_log folder");
  }
  LogListing listing;
  std::map<int64_t, MultiPartSeen> multi_parts;
  std::map<int64_t, std::vector<std::string>> v2;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    auto version = LeadingVersion(name);
    if (!version) continue;
    std::string rest = name.substr(kVersionDigits);
    std::string path = it->path().string();
    if (rest == ".json") {
      listing.commits[*version] = path;
    } else if (rest == ".checkpoint.parquet") {
      listing.checkpoints[*version] = {*version, CheckpointFiles::Kind::kClassic, {path}};
    } else if (EndsWith(rest, ".parquet") && rest.rfind(".checkpoint.", 0) == 0) {
      // Multi-part: .checkpoint.0000000001.0000000003.parquet; v2: .checkpoint.<uuid>.parquet
      int part = 0, total = 0;
      if (std::sscanf(rest.c_str(), ".checkpoint.%10d.%10d.parquet", &part, &total) == 2 &&
          rest.size() == std::string(".checkpoint.0000000001.0000000001.parquet").size()) {
        auto& seen = multi_parts[*version];
        seen.total = total;
        seen.parts[part] = path;
      } else {
        v2[*version].push_back(path);
      }
    } else if (EndsWith(rest, ".json") && rest.rfind(".checkpoint.", 0) == 0) {
      v2[*version].push_back(path);
    }
  }
  if (ec) return IoError("cannot list '", dir, "': ", ec.message());
  for (auto& [version, seen] : multi_parts) {
    if (listing.checkpoints.count(version)) continue;
    if (static_cast<int>(seen.parts.size()) != seen.total) continue;  // incomplete: unusable
    CheckpointFiles files{version, CheckpointFiles::Kind::kMultiPart, {}};
    for (auto& [part, path] : seen.parts) files.paths.push_back(path);
    listing.checkpoints[version] = std::move(files);
  }
  for (auto& [version, paths] : v2) {
    if (listing.checkpoints.count(version)) continue;
    listing.checkpoints[version] = {version, CheckpointFiles::Kind::kV2, {paths.front()}};
  }
  return listing;
}

std::optional<LastCheckpoint> ReadLastCheckpoint(const std::string& table_root) {
  auto text = ReadTextFile(JoinPath(LogDir(table_root), "_last_checkpoint"));
  if (!text.ok()) return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("version") ||
      !json["version"].is_number_integer()) {
    return std::nullopt;
  }
  LastCheckpoint last;
  last.version = json["version"].get<int64_t>();
  if (json.contains("size") && json["size"].is_number_integer()) last.size = json["size"];
  if (json.contains("parts") && json["parts"].is_number_integer()) {
    last.parts = json["parts"].get<int64_t>();
  }
  last.raw = json;
  return last;
}

Status WriteLastCheckpoint(Env& env, const std::string& table_root, const LastCheckpoint& last) {
  nlohmann::json json = last.raw.is_object() ? last.raw : nlohmann::json::object();
  json["version"] = last.version;
  json["size"] = last.size;
  if (last.parts) json["parts"] = *last.parts;
  return env.WriteFileAtomic(JoinPath(LogDir(table_root), "_last_checkpoint"), json.dump());
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '", path, "'");
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return IoError("cannot read '", path, "'");
  return out.str();
}

Result<int64_t> FileMtimeMs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return IoErrorFromErrno("cannot stat", path, errno);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Status PutCommitIfAbsent(Env& env, const std::string& table_root, int64_t version,
                         const std::string& contents, int64_t mtime_ms) {
  std::string log_dir = LogDir(table_root);
  std::string tmp_dir = JoinPath(log_dir, ".tmp");
  DLAKE_RETURN_IF_ERROR(env.CreateDirs(tmp_dir));
  std::string tmp = JoinPath(tmp_dir, CommitFileName(version) + "." + RandomHex(16));
  DLAKE_RETURN_IF_ERROR(env.WriteFileAtomic(tmp, contents));
  Status linked = env.SetModificationTime(tmp, mtime_ms);
  if (linked.ok()) linked = env.LinkFile(tmp, CommitPath(table_root, version));
  Status removed = env.RemoveFile(tmp);
  if (linked.code() == StatusCode::kAlreadyExists) {
    return Aborted("version ", version, " of '", table_root, "' was committed by another writer");
  }
  DLAKE_RETURN_IF_ERROR(linked);
  // The version is in the log now: readers see it and its data files must stay. A failed folder
  // fsync cannot undo that, so it is only logged (a power cut could still lose the commit; its
  // data files would then be orphans for VACUUM). A leftover temporary file is harmless.
  (void)removed;
  Status synced = env.SyncDir(log_dir);
  if (!synced.ok()) {
    spdlog::warn("version {} of '{}' is committed but the log folder was not fsynced: {}", version,
                 table_root, synced.ToString());
  }
  return Status::Ok();
}

}  // namespace dlake::delta
