#pragma once
// Delta log actions (PROTOCOL.md "Actions") and their newline-delimited JSON form. Parsing keeps
// what a reader needs and ignores unknown fields and actions; serialising writes exactly the
// fields a (1,2) writer must or should write.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "delta/deletion_vector.h"
#include "dlake/common/status.h"

namespace dlake::delta {

// A partition value as stored in the log: nullopt (JSON null) and "" both mean NULL.
using PartitionValues = std::map<std::string, std::optional<std::string>>;

struct Protocol {
  int min_reader_version = 1;
  int min_writer_version = 2;
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;
};

struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::string format_provider = "parquet";
  std::map<std::string, std::string> format_options;
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  std::optional<int64_t> created_time;
};

struct AddFile {
  std::string path;  // decoded once from the log's URI-encoded form; relative or absolute URI
  PartitionValues partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::optional<std::string> stats;  // the JSON text, parsed lazily (see stats.h)
  std::map<std::string, std::string> tags;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
};

struct RemoveFile {
  std::string path;  // decoded, as AddFile::path
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  bool extended_file_metadata = false;
  PartitionValues partition_values;
  std::optional<int64_t> size;
  std::optional<DeletionVectorDescriptor> deletion_vector;
};

struct Txn {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

// Any JSON object; we write timestamp, operation, operationParameters, operationMetrics,
// readVersion, isBlindAppend, engineInfo.
struct CommitInfo {
  nlohmann::json value = nlohmann::json::object();
};

// cdc, domainMetadata, checkpointMetadata, sidecar: recognised so that a reader can refuse or
// skip them knowingly; kept as raw JSON.
struct OtherAction {
  std::string kind;
  nlohmann::json value;
};

using Action = std::variant<Protocol, Metadata, AddFile, RemoveFile, Txn, CommitInfo, OtherAction>;

// The remove action that takes `file` out of the table at `now_ms`, with extendedFileMetadata
// (partition values and size) so VACUUM and readers of the tombstone need nothing else.
RemoveFile RemoveFor(const AddFile& file, int64_t now_ms, bool data_change);

// The key of a file action for reconciliation: path + deletion vector id.
std::string FileActionKey(const std::string& path,
                          const std::optional<DeletionVectorDescriptor>& dv);

// Parses one action object ({"add":{…}}). Unknown action kinds give nullopt. `where` names the
// source ("_delta_log/00000000000000000003.json:4") in errors.
Result<std::optional<Action>> ParseAction(const nlohmann::json& line, std::string_view where);
// Parses a whole commit file's text: one JSON object per non-empty line.
Result<std::vector<Action>> ParseCommit(std::string_view text, std::string_view where);

nlohmann::json ActionToJson(const Action& action);
// One line per action, each ending in '\n'.
std::string SerializeCommit(const std::vector<Action>& actions);

// RFC 2396 escaping of file paths in the log: what add.path holds for a relative path.
std::string EncodePath(std::string_view path);
Result<std::string> DecodePath(std::string_view encoded);

}  // namespace dlake::delta
