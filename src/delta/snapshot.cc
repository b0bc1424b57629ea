#include "delta/snapshot.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <unordered_map>

#include "common/file_util.h"
#include "delta/checkpoint.h"
#include "dlake/common/time.h"

namespace dlake::delta {
namespace {

// Reader features this reader implements (PROTOCOL.md "Table Features").
const std::set<std::string> kReaderFeatures = {"deletionVectors", "timestampNtz",
                                               "vacuumProtocolCheck"};
// Writer features this writer honours at writer version 7.
const std::set<std::string> kWriterFeatures = {"appendOnly", "invariants"};

// Accumulates the reconciled state while replaying actions in version order.
class Replay {
 public:
  void Apply(Action&& action) {
    std::visit(
        [this](auto&& a) {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, AddFile>) {
            std::string key = FileActionKey(a.path, a.deletion_vector);
            Drop(key);
            tombstones_.erase(key);
            index_[key] = adds_.size();
            adds_.push_back(std::forward<decltype(a)>(a));
          } else if constexpr (std::is_same_v<T, RemoveFile>) {
            std::string key = FileActionKey(a.path, a.deletion_vector);
            Drop(key);
            tombstones_[key] = std::forward<decltype(a)>(a);
          } else if constexpr (std::is_same_v<T, Protocol>) {
            protocol_ = std::forward<decltype(a)>(a);
          } else if constexpr (std::is_same_v<T, Metadata>) {
            metadata_ = std::forward<decltype(a)>(a);
          } else if constexpr (std::is_same_v<T, Txn>) {
            txns_[a.app_id] = std::forward<decltype(a)>(a);
          }
        },
        std::move(action));
  }

  Status Finish(Snapshot& snapshot) {
    if (!protocol_) return Corruption("'", snapshot.root, "': the log has no protocol action");
    if (!metadata_) return Corruption("'", snapshot.root, "': the log has no metaData action");
    snapshot.protocol = std::move(*protocol_);
    snapshot.metadata = std::move(*metadata_);
    snapshot.txns = std::move(txns_);
    for (auto& add : adds_) {
      if (add) snapshot.files.push_back(std::move(*add));
    }
    for (auto& [key, remove] : tombstones_) snapshot.tombstones.push_back(std::move(remove));
    return Status::Ok();
  }

 private:
  void Drop(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    adds_[it->second].reset();
    index_.erase(it);
  }

  std::optional<Protocol> protocol_;
  std::optional<Metadata> metadata_;
  std::map<std::string, Txn> txns_;
  std::vector<std::optional<AddFile>> adds_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, RemoveFile> tombstones_;
};

// The inCommitTimestamp of a commit, when its first action is a commitInfo carrying one.
std::optional<int64_t> InCommitTimestamp(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  if (!in || !std::getline(in, first)) return std::nullopt;
  auto json = nlohmann::json::parse(first, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("commitInfo")) return std::nullopt;
  const auto& info = json["commitInfo"];
  if (!info.is_object() || !info.contains("inCommitTimestamp") ||
      !info["inCommitTimestamp"].is_number_integer()) {
    return std::nullopt;
  }
  return info["inCommitTimestamp"].get<int64_t>();
}

Result<int64_t> CommitTime(const std::string& path) {
  if (auto ict = InCommitTimestamp(path)) return *ict;
  return FileMtimeMs(path);
}

Result<int64_t> VersionAt(const std::string& root, const LogListing& listing, int64_t ts) {
  DLAKE_ASSIGN_OR_RETURN(auto times, CommitTimestamps(root, listing));
  if (times.empty()) return NotFound("'", root, "' has no commit files to time travel over");
  std::optional<int64_t> found;
  for (const auto& [version, time] : times) {
    if (time <= ts) found = version;
  }
  if (!found) {
    return FailedPrecondition(
        "timestamp ", FormatTimestamp(ts), " is before the earliest available commit (version ",
        times.begin()->first, " at ", FormatTimestamp(times.begin()->second), ") of '", root, "'");
  }
  return *found;
}

}  // namespace

std::string Snapshot::FilePath(const std::string& relative) const {
  if (relative.rfind("file://", 0) == 0) return relative.substr(7);
  if (relative.rfind("file:", 0) == 0) return relative.substr(5);
  if (!relative.empty() && relative[0] == '/') return relative;
  return JoinPath(root, relative);
}

bool Snapshot::IsPartitionColumn(const std::string& name) const {
  for (const auto& column : metadata.partition_columns) {
    if (column.size() == name.size() &&
        std::equal(column.begin(), column.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return true;
    }
  }
  return false;
}

Schema Snapshot::DataSchema() const {
  Schema data;
  for (const auto& field : schema.fields) {
    if (!IsPartitionColumn(field.name)) data.fields.push_back(field);
  }
  return data;
}

std::vector<Action> Snapshot::StateActions() const {
  std::vector<Action> actions;
  actions.emplace_back(protocol);
  actions.emplace_back(metadata);
  for (const auto& [app, txn] : txns) actions.emplace_back(txn);
  for (const auto& add : files) {
    AddFile copy = add;
    copy.data_change = false;
    actions.emplace_back(std::move(copy));
  }
  for (const auto& remove : tombstones) {
    RemoveFile copy = remove;
    copy.data_change = false;
    actions.emplace_back(std::move(copy));
  }
  return actions;
}

std::string Snapshot::Config(const std::string& key, const std::string& fallback) const {
  auto it = metadata.configuration.find(key);
  return it == metadata.configuration.end() ? fallback : it->second;
}

Result<int64_t> LatestVersion(const LogListing& listing) {
  int64_t latest = -1;
  if (!listing.commits.empty()) latest = listing.commits.rbegin()->first;
  if (!listing.checkpoints.empty()) {
    latest = std::max(latest, listing.checkpoints.rbegin()->first);
  }
  if (latest < 0) return NotFound("the _delta_log folder holds no commits");
  return latest;
}

Result<std::map<int64_t, int64_t>> CommitTimestamps(const std::string& root,
                                                    const LogListing& listing) {
  std::map<int64_t, int64_t> times;
  for (const auto& [version, path] : listing.commits) {
    DLAKE_ASSIGN_OR_RETURN(times[version], CommitTime(path));
  }
  return times;
}

Result<std::vector<Action>> ReadCommit(const std::string& root, int64_t version) {
  std::string path = CommitPath(root, version);
  DLAKE_ASSIGN_OR_RETURN(auto text, ReadTextFile(path));
  return ParseCommit(text, path);
}

Status CheckReadSupported(const Protocol& protocol, const Metadata& metadata) {
  if (protocol.min_reader_version > 3) {
    return FailedPrecondition("the table needs Delta reader version ", protocol.min_reader_version,
                              "; dlake reads versions 1 to 3");
  }
  auto mapping = metadata.configuration.find("delta.columnMapping.mode");
  if (mapping != metadata.configuration.end() && mapping->second != "none") {
    return FailedPrecondition("the table uses reader feature 'columnMapping' (mode '",
                              mapping->second, "'), which dlake does not implement");
  }
  if (protocol.min_reader_version == 3 && protocol.reader_features) {
    for (const auto& feature : *protocol.reader_features) {
      if (feature == "columnMapping") continue;  // mode none: nothing to map
      if (!kReaderFeatures.count(feature)) {
        return FailedPrecondition("the table uses reader feature '", feature,
                                  "', which dlake does not implement");
      }
    }
  }
  return Status::Ok();
}

Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata) {
  DLAKE_RETURN_IF_ERROR(CheckReadSupported(protocol, metadata));
  if (protocol.min_reader_version > 1) {
    return FailedPrecondition("the table needs Delta reader version ", protocol.min_reader_version,
                              "; dlake writes only tables at reader version 1");
  }
  int writer = protocol.min_writer_version;
  if (writer <= 2) return Status::Ok();
  if (writer < 7) {
    static const char* kWhat[] = {"",
                                  "",
                                  "",
                                  "CHECK constraints",
                                  "change data feed and "
                                  "generated columns",
                                  "column mapping",
                                  "identity columns"};
    return FailedPrecondition("the table needs Delta writer version ", writer, " (", kWhat[writer],
                              "); dlake writes tables up to writer version 2");
  }
  if (writer > 7) {
    return FailedPrecondition("the table needs Delta writer version ", writer,
                              "; dlake writes tables up to writer version 2");
  }
  for (const auto& feature : protocol.writer_features.value_or(std::vector<std::string>{})) {
    if (!kWriterFeatures.count(feature)) {
      return FailedPrecondition("the table uses writer feature '", feature,
                                "', which dlake does not implement; it can be read, not written");
    }
  }
  return Status::Ok();
}

Result<Snapshot> LoadSnapshot(duck::Connection& conn, const std::string& root,
                              const VersionSpec& at) {
  DLAKE_ASSIGN_OR_RETURN(LogListing listing, ListLog(root));
  auto latest_or = LatestVersion(listing);
  if (!latest_or.ok()) return latest_or.status().WithContext(root);
  int64_t latest = *latest_or;
  int64_t target = latest;
  if (at.version) {
    if (*at.version < 0 || *at.version > latest) {
      return NotFound("version ", *at.version, " of '", root, "' does not exist (latest is ",
                      latest, ")");
    }
    target = *at.version;
  } else if (at.timestamp_ms) {
    DLAKE_ASSIGN_OR_RETURN(target, VersionAt(root, listing, *at.timestamp_ms));
  }

  const CheckpointFiles* checkpoint = nullptr;
  for (auto it = listing.checkpoints.begin(); it != listing.checkpoints.end(); ++it) {
    if (it->first <= target) checkpoint = &it->second;
  }
  int64_t first_commit = checkpoint ? checkpoint->version + 1 : 0;
  for (int64_t v = first_commit; v <= target; ++v) {
    if (!listing.commits.count(v)) {
      return FailedPrecondition("cannot reconstruct version ", target, " of '", root,
                                "': the log file for version ", v,
                                " is missing (cleaned up, and no checkpoint covers it)");
    }
  }

  Snapshot snapshot;
  snapshot.root = root;
  snapshot.version = target;
  Replay replay;
  if (checkpoint) {
    if (checkpoint->kind == CheckpointFiles::Kind::kV2) {
      return FailedPrecondition("version ", checkpoint->version, " of '", root,
                                "' is stored as a v2 checkpoint (reader feature 'v2Checkpoint'), "
                                "which dlake does not implement");
    }
    DLAKE_ASSIGN_OR_RETURN(auto actions, ReadCheckpoint(conn, *checkpoint));
    for (auto& action : actions) replay.Apply(std::move(action));
    snapshot.checkpoint_version = checkpoint->version;
  }
  for (int64_t v = first_commit; v <= target; ++v) {
    DLAKE_ASSIGN_OR_RETURN(auto text, ReadTextFile(listing.commits.at(v)));
    DLAKE_ASSIGN_OR_RETURN(auto actions, ParseCommit(text, listing.commits.at(v)));
    for (auto& action : actions) replay.Apply(std::move(action));
  }
  DLAKE_RETURN_IF_ERROR(replay.Finish(snapshot));
  DLAKE_RETURN_IF_ERROR(
      CheckReadSupported(snapshot.protocol, snapshot.metadata).WithContext("'" + root + "'"));
  auto schema = ParseSchema(snapshot.metadata.schema_string);
  if (!schema.ok()) return schema.status().WithContext("'" + root + "' metaData");
  snapshot.schema = std::move(schema).value();
  for (const auto& column : snapshot.metadata.partition_columns) {
    if (!snapshot.schema.Find(column)) {
      return Corruption("'", root, "': partition column '", column, "' is not in the schema");
    }
  }
  if (auto it = listing.commits.find(target); it != listing.commits.end()) {
    DLAKE_ASSIGN_OR_RETURN(snapshot.timestamp_ms, CommitTime(it->second));
  } else if (checkpoint) {
    DLAKE_ASSIGN_OR_RETURN(snapshot.timestamp_ms, FileMtimeMs(checkpoint->paths.front()));
  }
  return snapshot;
}

}  // namespace dlake::delta
