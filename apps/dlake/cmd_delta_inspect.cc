// `dlake delta read | history | describe`: a Delta table's rows, commits and state.

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "delta_commands.h"
#include "dlake/common/batch_writer.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

// A private folder under $TMPDIR (or /tmp), removed with its contents on every path.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    std::string name = base + "/dlake-delta-XXXXXX";
    if (::mkdtemp(name.data()) == nullptr) {
      throw StatusError(IoErrorFromErrno("cannot create a temporary folder in", base, errno));
    }
    path_ = name;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// CSV or JSON to stdout. Export writes files (DuckDB's COPY), so it writes into a scratch folder
// that is then copied out; the rows stream through the file instead of being held in memory.
int64_t ExportToStdout(delta::Table& table, const delta::ScanOptions& scan,
                       delta::OutputFormat format, const std::string& extension) {
  ScratchDir scratch;
  const std::string file = scratch.path() + "/rows." + extension;
  int64_t rows = Check(table.Export(scan, format, file));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw StatusError(IoError("cannot open the exported rows '", file, "'"));
  if (in.peek() != std::ifstream::traits_type::eof()) std::cout << in.rdbuf();
  std::cout.flush();
  if (!std::cout) throw StatusError(IoError("cannot write the rows to stdout"));
  return rows;
}

void PrintBatch(const RecordBatch& batch, const std::string& output) {
  std::ofstream file;
  if (!output.empty()) {
    file.open(output);
    if (!file) throw StatusError(IoErrorFromErrno("cannot create", output, errno));
  }
  std::ostream& out = output.empty() ? std::cout : file;
  auto writer = MakeBatchWriter("table", out, /*lake_times=*/false);
  writer->Write(batch);
  writer->Finish(static_cast<int64_t>(batch.num_rows));
  if (!out)
    throw StatusError(IoError("cannot write the rows to ", output.empty() ? "stdout" : output));
}

void AddRead(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, where, output, format;
    std::vector<std::string> columns, order_by;
    int64_t limit = 0;
    SnapshotFlags at;
  } flags;
  auto* cmd = delta.add_subcommand(
      "read", "Read a table's rows, optionally at an earlier version (time travel)");
  cmd->add_option("TABLE_DIR", flags.table, "The table's folder (the one holding _delta_log)")
      ->required();
  flags.at.Add(*cmd, "read (default: the latest)");
  cmd->add_option("--columns", flags.columns, "Columns to read: COL[,COL] (default: all)")
      ->delimiter(',');
  cmd->add_option("--where", flags.where, "SQL predicate over the table's columns, e.g. 'id > 5'");
  cmd->add_option("--order-by", flags.order_by,
                  "Row order: COL[,COL] (default: as stored, which Delta does not guarantee)")
      ->delimiter(',');
  auto* limit =
      cmd->add_option("--limit", flags.limit, "At most N rows")->check(CLI::NonNegativeNumber);
  auto* format = cmd->add_option("--format", flags.format,
                                 "table (aligned text), csv, json (one object per line) or parquet "
                                 "(needs --output); --json alone means json")
                     ->check(CLI::IsMember({"table", "csv", "json", "parquet"}))
                     ->default_val("table");
  cmd->add_option("--output", flags.output, "Write to FILE instead of stdout");
  cmd->callback([&global, limit, format] {
    std::string chosen = format->count() == 0 && global.json ? "json" : flags.format;
    if (chosen == "parquet" && flags.output.empty()) {
      throw UsageError("--format parquet needs --output FILE");
    }
    delta::ScanOptions scan;
    scan.at = flags.at.Spec();
    scan.columns = flags.columns;
    scan.where = flags.where;
    scan.order_by = flags.order_by;
    if (limit->count() > 0) scan.limit = flags.limit;
    auto table = OpenTable(flags.table, global);
    if (chosen == "table") {
      PrintBatch(Check(table->Read(scan)), flags.output);
      return;
    }
    delta::OutputFormat output_format = chosen == "csv"    ? delta::OutputFormat::kCsv
                                        : chosen == "json" ? delta::OutputFormat::kJson
                                                           : delta::OutputFormat::kParquet;
    if (flags.output.empty()) {
      ExportToStdout(*table, scan, output_format, chosen);
      return;
    }
    int64_t rows = Check(table->Export(scan, output_format, flags.output));
    std::cerr << "Wrote " << rows << (rows == 1 ? " row" : " rows") << " to " << flags.output
              << "\n";
  });
}

// {"mode":"Append","partitionBy":"[]"} as `mode=Append partitionBy=[]`.
std::string KeyValues(const nlohmann::json& object) {
  if (!object.is_object()) return object.is_null() ? "" : object.dump();
  std::string text;
  for (const auto& [key, value] : object.items()) {
    if (!text.empty()) text += ' ';
    text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

nlohmann::json Field(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nlohmann::json() : *it;
}

void AddHistory(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table;
    size_t limit = 0;
  } flags;
  auto* cmd =
      delta.add_subcommand("history",
                           "List the table's commits, newest first: version, time, operation, "
                           "parameters and metrics");
  cmd->add_option("TABLE_DIR", flags.table, "The table's folder (the one holding _delta_log)")
      ->required();
  cmd->add_option("--limit", flags.limit, "Only the newest N commits (default: all)");
  cmd->callback([&global] {
    auto table = OpenTable(flags.table, global);
    auto entries = Check(table->History(flags.limit));
    if (global.json) {
      PrintJson(delta::ToJson(entries));
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& entry : entries) {
      nlohmann::json info = nlohmann::json::parse(entry.commit_info, nullptr, false);
      if (info.is_discarded()) info = nlohmann::json::object();
      nlohmann::json operation = Field(info, "operation");
      rows.push_back({std::to_string(entry.version), TimeText(entry.timestamp_ms),
                      operation.is_string() ? operation.get<std::string>() : "",
                      KeyValues(Field(info, "operationParameters")),
                      KeyValues(Field(info, "operationMetrics"))});
    }
    PrintTextTable({"VERSION", "TIME", "OPERATION", "PARAMETERS", "METRICS"}, rows);
  });
}

void PrintDescription(const delta::TableDescription& d) {
  std::string protocol = "reader " + std::to_string(d.min_reader_version) + ", writer " +
                         std::to_string(d.min_writer_version);
  if (!d.reader_features.empty())
    protocol += "; reader features: " + JoinStrings(d.reader_features);
  if (!d.writer_features.empty())
    protocol += "; writer features: " + JoinStrings(d.writer_features);
  std::vector<std::vector<std::string>> facts = {
      {"Table", d.path},
      {"Version", std::to_string(d.version) + " (" + TimeText(d.timestamp_ms) + ")"},
      {"Id", d.id}};
  if (d.name) facts.push_back({"Name", *d.name});
  if (d.description) facts.push_back({"Description", *d.description});
  facts.push_back({"Protocol", protocol});
  facts.push_back({"Files", std::to_string(d.num_files) + " (" + HumanBytes(d.size_bytes) + ")"});
  facts.push_back({"Rows", d.num_records ? std::to_string(*d.num_records)
                                         : "unknown (some files have no stats)"});
  facts.push_back({"Checkpoint", d.checkpoint_version
                                     ? "version " + std::to_string(*d.checkpoint_version)
                                     : "none"});
  facts.push_back({"Partitioned by",
                   d.partition_columns.empty() ? "(none)" : JoinStrings(d.partition_columns)});
  for (const auto& [key, value] : d.configuration) facts.push_back({"Property", key + "=" + value});
  for (const auto& fact : facts)
    std::cout << fact[0] << std::string(16 - fact[0].size(), ' ') << fact[1] << "\n";
  std::cout << "\n";
  std::vector<std::vector<std::string>> columns;
  for (const auto& column : d.columns) {
    columns.push_back(
        {column.name, column.type, column.nullable ? "yes" : "no", column.partition ? "yes" : ""});
  }
  PrintTextTable({"COLUMN", "TYPE", "NULLABLE", "PARTITION"}, columns);
}

void AddDescribe(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table;
    SnapshotFlags at;
  } flags;
  auto* cmd = delta.add_subcommand(
      "describe",
      "Show a table version's columns, partitioning, properties, protocol, files, "
      "size, rows and checkpoint");
  cmd->add_option("TABLE_DIR", flags.table, "The table's folder (the one holding _delta_log)")
      ->required();
  flags.at.Add(*cmd, "describe (default: the latest)");
  cmd->callback([&global] {
    delta::VersionSpec at = flags.at.Spec();
    auto table = OpenTable(flags.table, global);
    auto description = Check(table->Describe(at));
    if (global.json) {
      PrintJson(delta::ToJson(description));
    } else {
      PrintDescription(description);
    }
  });
}

}  // namespace

void AddDeltaInspectCommands(CLI::App& delta, GlobalOptions& global) {
  AddRead(delta, global);
  AddHistory(delta, global);
  AddDescribe(delta, global);
}

}  // namespace dlake::cli
