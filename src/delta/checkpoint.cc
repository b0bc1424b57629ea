#include "delta/checkpoint.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "common/file_util.h"

namespace dlake::delta {
namespace {

using nlohmann::json;

// The action columns we read and the fields of each that ParseAction uses. Writers add others
// (add.stats_parsed, add.partitionValues_parsed, remove.tags, …); selecting only these keeps
// them out of the JSON we build per row.
struct ActionColumn {
  std::string_view name;
  std::vector<std::string_view> fields;
};

const std::vector<ActionColumn>& ReadColumns() {
  static const std::vector<ActionColumn> kColumns = {
      {"protocol", {"minReaderVersion", "minWriterVersion", "readerFeatures", "writerFeatures"}},
      {"metaData",
       {"id", "name", "description", "format", "schemaString", "partitionColumns", "configuration",
        "createdTime"}},
      {"add",
       {"path", "partitionValues", "size", "modificationTime", "dataChange", "stats", "tags",
        "deletionVector", "baseRowId", "defaultRowCommitVersion"}},
      {"remove",
       {"path", "deletionTimestamp", "dataChange", "extendedFileMetadata", "partitionValues",
        "size", "deletionVector"}},
      {"txn", {"appId", "version", "lastUpdated"}},
  };
  return kColumns;
}

// The classic checkpoint schema we write (PROTOCOL.md "Checkpoint Schema" for a (1,2) table),
// as a json_transform structure, in Spark's column order. Integer widths are part of the
// format: Spark and delta-kernel read minReaderVersion/minWriterVersion as int32.
constexpr std::string_view kWriteStructure = R"json({
  "txn": {"appId": "VARCHAR", "version": "BIGINT", "lastUpdated": "BIGINT"},
  "add": {"path": "VARCHAR", "partitionValues": "MAP(VARCHAR, VARCHAR)", "size": "BIGINT",
          "modificationTime": "BIGINT", "dataChange": "BOOLEAN", "stats": "VARCHAR",
          "tags": "MAP(VARCHAR, VARCHAR)"},
  "remove": {"path": "VARCHAR", "deletionTimestamp": "BIGINT", "dataChange": "BOOLEAN",
             "extendedFileMetadata": "BOOLEAN", "partitionValues": "MAP(VARCHAR, VARCHAR)",
             "size": "BIGINT"},
  "metaData": {"id": "VARCHAR", "name": "VARCHAR", "description": "VARCHAR",
               "format": {"provider": "VARCHAR", "options": "MAP(VARCHAR, VARCHAR)"},
               "schemaString": "VARCHAR", "partitionColumns": ["VARCHAR"],
               "configuration": "MAP(VARCHAR, VARCHAR)", "createdTime": "BIGINT"},
  "protocol": {"minReaderVersion": "INTEGER", "minWriterVersion": "INTEGER"}
})json";

constexpr std::string_view kStagingTable = "dlake_checkpoint_actions";

std::string ReadParquet(const std::string& path) {
  return "read_parquet(" + duck::QuoteLiteral(path) + ", file_row_number = true)";
}

// The first column of a DESCRIBE: column names of a query.
Result<std::vector<std::string>> DescribeNames(duck::Connection& conn, const std::string& select,
                                               const std::string& purpose) {
  DLAKE_ASSIGN_OR_RETURN(auto result, conn.Query("DESCRIBE " + select, purpose));
  std::vector<std::string> names;
  for (size_t row = 0; row < result.RowCount(); ++row) names.push_back(result.GetString(0, row));
  return names;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names) {
    if (n == name) return true;
  }
  return false;
}

// `CASE WHEN "add" IS NULL THEN NULL ELSE to_json(struct_pack(path := "add"."path", …)) END`
// over the fields of `column` that both the file and ParseAction know. Empty when none.
std::string ActionJsonExpr(const ActionColumn& column, const std::vector<std::string>& present) {
  std::string quoted = duck::QuoteIdentifier(column.name);
  std::string fields;
  for (std::string_view field : column.fields) {
    if (!Contains(present, field)) continue;
    if (!fields.empty()) fields += ", ";
    std::string f = duck::QuoteIdentifier(field);
    fields += f + " := " + quoted + "." + f;
  }
  if (fields.empty()) return "";
  return "CASE WHEN " + quoted + " IS NULL THEN NULL ELSE to_json(struct_pack(" + fields +
         "))::VARCHAR END";
}

// Struct NULLs become JSON nulls; ParseAction treats absent and null alike except inside
// nested structs (format, deletionVector), so drop them there. Map values stay: a null
// partition value is meaningful.
void DropNullMembers(json& object) {
  for (auto it = object.begin(); it != object.end();) {
    it = it->is_null() ? object.erase(it) : std::next(it);
  }
}

Status ParseRow(std::string_view kind, std::string_view text, const std::string& where,
                std::vector<Action>& out) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Corruption(where, ": ", kind, " is not a JSON object after conversion");
  }
  DropNullMembers(body);
  for (const char* nested : {"format", "deletionVector"}) {
    if (auto it = body.find(nested); it != body.end() && it->is_object()) DropNullMembers(*it);
  }
  auto action = ParseAction(json{{std::string(kind), std::move(body)}}, where);
  if (!action.ok()) return Status(StatusCode::kCorruption, action.status().message());
  if (*action) out.push_back(std::move(**action));
  return Status::Ok();
}

// A V2 checkpoint under a classic name keeps its files in sidecars; reading only its inline
// rows would lose them.
Status RefuseSidecars(duck::Connection& conn, const std::string& path,
                      const std::vector<std::string>& columns) {
  if (!Contains(columns, "sidecar")) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto result,
                         conn.Query("SELECT count(\"sidecar\") FROM " + ReadParquet(path),
                                    "count sidecars in checkpoint '" + path + "'"));
  if (result.GetInt64(0, 0) == 0) return Status::Ok();
  return FailedPrecondition("checkpoint '", path,
                            "' is a V2 checkpoint with sidecar files, which is not supported");
}

// The query that turns a checkpoint file's action rows into JSON: file_row_number, then one
// JSON column per action kind in `kinds`.
struct ReadPlan {
  std::string sql;
  std::vector<std::string_view> kinds;
};

Result<ReadPlan> PlanRead(duck::Connection& conn, const std::string& path) {
  const std::string from = " FROM " + ReadParquet(path);
  const std::string purpose = "read checkpoint '" + path + "'";
  DLAKE_ASSIGN_OR_RETURN(auto columns, DescribeNames(conn, "SELECT *" + from, purpose));
  DLAKE_RETURN_IF_ERROR(RefuseSidecars(conn, path, columns));
  ReadPlan plan;
  std::string select = "SELECT file_row_number";
  std::string where;
  for (const auto& column : ReadColumns()) {
    if (!Contains(columns, column.name)) continue;
    std::string quoted = duck::QuoteIdentifier(column.name);
    DLAKE_ASSIGN_OR_RETURN(auto fields, DescribeNames(conn, "SELECT " + quoted + ".*" + from,
                                                      purpose + " column " + quoted));
    std::string expr = ActionJsonExpr(column, fields);
    if (expr.empty()) continue;
    plan.kinds.push_back(column.name);
    select += ", " + expr;
    where += (where.empty() ? " WHERE " : " OR ") + quoted + " IS NOT NULL";
  }
  if (plan.kinds.empty()) {
    return Corruption("checkpoint '", path, "' has none of the columns protocol, metaData, add, ",
                      "remove, txn");
  }
  plan.sql = select + from + where;
  return plan;
}

// Streams the file's action rows into `out`: memory holds one chunk of JSON at a time.
Status ReadCheckpointFile(duck::Connection& conn, const std::string& path,
                          std::vector<Action>& out) {
  DLAKE_ASSIGN_OR_RETURN(ReadPlan plan, PlanRead(conn, path));
  const std::string purpose = "read checkpoint '" + path + "'";
  DLAKE_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(plan.sql, purpose));
  DLAKE_ASSIGN_OR_RETURN(auto result, stmt.ExecuteStreaming());
  for (;;) {
    auto chunk = result.NextChunk();
    if (!chunk.ok()) return chunk.status().WithContext(purpose);
    if (!*chunk || chunk->size() == 0) return Status::Ok();
    const int64_t* row_numbers = chunk->Data<int64_t>(0);
    for (size_t row = 0; row < chunk->size(); ++row) {
      for (size_t k = 0; k < plan.kinds.size(); ++k) {
        if (!chunk->IsValid(k + 1, row)) continue;
        std::string where = path + " row " + std::to_string(row_numbers[row]);
        DLAKE_RETURN_IF_ERROR(ParseRow(plan.kinds[k], chunk->GetString(k + 1, row), where, out));
      }
    }
  }
}

struct ActionCounts {
  int64_t protocol = 0, metadata = 0, add = 0, remove = 0, txn = 0;
  int64_t total() const { return protocol + metadata + add + remove + txn; }
  bool operator==(const ActionCounts&) const = default;
};

// What a classic (1,2) checkpoint can hold: anything else would be dropped by its schema.
Result<ActionCounts> CountState(const std::vector<Action>& state, const std::string& path) {
  ActionCounts counts;
  for (const auto& action : state) {
    Status status = std::visit(
        [&](const auto& a) -> Status {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, Protocol>) {
            ++counts.protocol;
            if (a.reader_features || a.writer_features) {
              return InvalidArgument("cannot write checkpoint '", path,
                                     "': the protocol has table features, which a classic ",
                                     "(1,2) checkpoint cannot hold");
            }
          } else if constexpr (std::is_same_v<T, Metadata>) {
            ++counts.metadata;
          } else if constexpr (std::is_same_v<T, AddFile>) {
            ++counts.add;
            if (a.deletion_vector || a.base_row_id || a.default_row_commit_version) {
              return InvalidArgument("cannot write checkpoint '", path, "': add '", a.path,
                                     "' has a deletion vector or row tracking fields");
            }
          } else if constexpr (std::is_same_v<T, RemoveFile>) {
            ++counts.remove;
            if (a.deletion_vector) {
              return InvalidArgument("cannot write checkpoint '", path, "': remove '", a.path,
                                     "' has a deletion vector");
            }
          } else if constexpr (std::is_same_v<T, Txn>) {
            ++counts.txn;
          } else {
            return InvalidArgument("cannot write checkpoint '", path,
                                   "': a checkpoint holds no commitInfo or other actions");
          }
          return Status::Ok();
        },
        action);
    DLAKE_RETURN_IF_ERROR(status);
  }
  if (counts.protocol != 1 || counts.metadata != 1) {
    return InvalidArgument("cannot write checkpoint '", path, "': the state has ", counts.protocol,
                           " protocol and ", counts.metadata,
                           " metaData actions; it needs one of each");
  }
  return counts;
}

// Counts the rows of the written file whose required fields are all set, by action.
// json_transform turns a field it cannot convert into NULL instead of failing, so this is what
// catches a mismatch between ActionToJson and kWriteStructure.
Result<ActionCounts> CountWritten(duck::Connection& conn, const std::string& path) {
  static constexpr std::string_view kComplete[] = {
      "protocol.minReaderVersion IS NOT NULL AND protocol.minWriterVersion IS NOT NULL",
      "metaData.id IS NOT NULL AND metaData.format.provider IS NOT NULL AND "
      "metaData.format.options IS NOT NULL AND metaData.schemaString IS NOT NULL AND "
      "metaData.partitionColumns IS NOT NULL AND metaData.configuration IS NOT NULL",
      "\"add\".path IS NOT NULL AND \"add\".partitionValues IS NOT NULL AND "
      "\"add\".size IS NOT NULL AND \"add\".modificationTime IS NOT NULL AND "
      "\"add\".dataChange IS NOT NULL",
      "remove.path IS NOT NULL AND remove.dataChange IS NOT NULL",
      "txn.appId IS NOT NULL AND txn.\"version\" IS NOT NULL",
  };
  std::string sql;
  for (std::string_view complete : kComplete) {
    sql += sql.empty() ? "SELECT " : ", ";
    sql += "count(*) FILTER (WHERE " + std::string(complete) + ")";
  }
  DLAKE_ASSIGN_OR_RETURN(auto result, conn.Query(sql + " FROM " + ReadParquet(path),
                                                 "check written checkpoint '" + path + "'"));
  return ActionCounts{result.GetInt64(0, 0), result.GetInt64(1, 0), result.GetInt64(2, 0),
                      result.GetInt64(3, 0), result.GetInt64(4, 0)};
}

// Stages the actions as JSON lines in a temporary table and has DuckDB convert them to the
// checkpoint's typed structs while writing Parquet.
Status WriteParquet(duck::Connection& conn, const std::vector<Action>& state,
                    const ActionCounts& expected, const std::string& tmp_path) {
  const std::string table(kStagingTable);
  DLAKE_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE TEMP TABLE " + table + " (line VARCHAR)",
                                     "stage checkpoint actions"));
  Status status = duck::AppendRows(conn, table, {duck::Type::kVarchar}, state.size(),
                                   [&](duck::DataChunk& chunk, size_t row, size_t i) {
                                     chunk.SetString(0, row, ActionToJson(state[i]).dump());
                                   });
  if (status.ok()) {
    std::string sql =
        "COPY (SELECT j.txn AS txn, j.\"add\" AS \"add\", j.remove AS remove, "
        "j.metaData AS metaData, j.protocol AS protocol FROM (SELECT "
        "json_transform(line, " +
        duck::QuoteLiteral(kWriteStructure) + ") AS j FROM " + table + ")) TO " +
        duck::QuoteLiteral(tmp_path) + " (FORMAT parquet, COMPRESSION snappy)";
    status = conn.Execute(sql, "write checkpoint '" + tmp_path + "'");
  }
  Status dropped = conn.Execute("DROP TABLE IF EXISTS " + table, "drop staged checkpoint actions");
  DLAKE_RETURN_IF_ERROR(status);
  DLAKE_RETURN_IF_ERROR(dropped);
  DLAKE_ASSIGN_OR_RETURN(auto written, CountWritten(conn, tmp_path));
  if (!(written == expected)) {
    return Internal("checkpoint '", tmp_path, "' lost fields while converting actions: wrote ",
                    written.total(), " complete actions of ", expected.total());
  }
  return Status::Ok();
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[rng() & 15];
  return out;
}

// Points _last_checkpoint at `result` unless it already names a newer checkpoint.
Status UpdateLastCheckpoint(Env& env, const std::string& table_root, int64_t version,
                            const CheckpointWriteResult& result) {
  auto current = ReadLastCheckpoint(table_root);
  if (current && current->version > version) return Status::Ok();
  LastCheckpoint last;
  last.version = version;
  last.size = result.actions;
  last.raw = json{{"sizeInBytes", result.size_in_bytes}, {"numOfAddFiles", result.add_files}};
  return WriteLastCheckpoint(env, table_root, last);
}

}  // namespace

Result<std::vector<Action>> ReadCheckpoint(duck::Connection& conn, const CheckpointFiles& files) {
  const std::string first = files.paths.empty() ? "(no files)" : files.paths.front();
  if (files.kind == CheckpointFiles::Kind::kV2) {
    return FailedPrecondition("checkpoint '", first,
                              "' is a V2 checkpoint, which is not supported");
  }
  if (files.paths.empty()) {
    return InvalidArgument("checkpoint at version ", files.version, " lists no files");
  }
  std::vector<Action> actions;
  for (const auto& path : files.paths) {
    DLAKE_RETURN_IF_ERROR(ReadCheckpointFile(conn, path, actions));
  }
  bool has_protocol = false, has_metadata = false;
  for (const auto& action : actions) {
    has_protocol |= std::holds_alternative<Protocol>(action);
    has_metadata |= std::holds_alternative<Metadata>(action);
  }
  if (!has_protocol || !has_metadata) {
    return Corruption("checkpoint '", first, "' (", files.paths.size(),
                      " part(s)) lacks a protocol or metaData action");
  }
  return actions;
}

Result<CheckpointWriteResult> WriteCheckpoint(duck::Connection& conn, Env& env,
                                              const std::string& table_root, int64_t version,
                                              const std::vector<Action>& state) {
  CheckpointWriteResult result;
  result.path = ClassicCheckpointPath(table_root, version);
  if (version < 0) {
    return InvalidArgument("cannot write checkpoint '", result.path, "': bad version");
  }
  DLAKE_ASSIGN_OR_RETURN(ActionCounts counts, CountState(state, result.path));
  result.actions = counts.total();
  result.add_files = counts.add;

  const std::string log_dir = LogDir(table_root);
  const std::string tmp_dir = JoinPath(log_dir, ".tmp");
  DLAKE_RETURN_IF_ERROR(env.CreateDirs(tmp_dir));
  const std::string tmp = JoinPath(
      tmp_dir, std::filesystem::path(result.path).filename().string() + "." + RandomSuffix());
  Status status = WriteParquet(conn, state, counts, tmp);
  if (status.ok()) {
    std::error_code ec;
    result.size_in_bytes = static_cast<int64_t>(std::filesystem::file_size(tmp, ec));
    if (ec) status = IoError("cannot stat '", tmp, "': ", ec.message());
  }
  if (status.ok()) status = env.SyncFile(tmp);
  if (status.ok()) status = env.RenameFile(tmp, result.path);
  if (!status.ok()) {
    (void)env.RemoveFile(tmp);  // best effort: readers ignore _delta_log/.tmp/ anyway
    return status;
  }
  DLAKE_RETURN_IF_ERROR(env.SyncDir(log_dir));
  DLAKE_RETURN_IF_ERROR(UpdateLastCheckpoint(env, table_root, version, result));
  return result;
}

}  // namespace dlake::delta
