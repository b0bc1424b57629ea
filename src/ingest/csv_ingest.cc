#include "ingest/csv_ingest.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "duck/duck.h"
#include "ingest/row_stager.h"
#include "storage/dataset_keys.h"
#include "storage/dataset_writer.h"

namespace dlake::ingest {
namespace {

bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool IsCsvName(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".csv";
}

Result<std::vector<std::string>> ExpandGlob(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_TILDE, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st;
      if (::stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) out.emplace_back(g.gl_pathv[i]);
    }
  }
  globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) return IoError("cannot expand '", pattern, "'");
  if (out.empty()) return NotFound("no file matches '", pattern, "'");
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> ExpandFolder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && IsCsvName(entry.path())) out.push_back(entry.path().string());
  }
  if (ec) return IoError("cannot list folder '", dir, "': ", ec.message());
  if (out.empty()) return NotFound("folder '", dir, "' holds no .csv file");
  std::sort(out.begin(), out.end());
  return out;
}

std::string DescribeSource(const std::vector<std::string>& files) {
  std::string source = "csv:" + std::filesystem::absolute(files.front()).string();
  if (files.size() > 1) source += " (+" + std::to_string(files.size() - 1) + " more)";
  return source;
}

// Rows whose dedup key repeats within the staged input. GROUP BY, unlike count(DISTINCT),
// spills to disk, so this stays within the memory limit for inputs of any size.
Result<int64_t> CountDuplicates(duck::Connection& conn, const std::string& table,
                                const DatasetId& dataset) {
  const std::string key = storage::JoinIdentifiers(storage::KeysFor(dataset).dedup);
  DLAKE_ASSIGN_OR_RETURN(
      auto q,
      conn.Query("SELECT coalesce(sum(n - 1), 0)::BIGINT FROM (SELECT count(*) AS n FROM " +
                     duck::QuoteIdentifier(table) + " GROUP BY " + key + " HAVING count(*) > 1)",
                 "counting duplicate rows"));
  return q.GetInt64(0, 0);
}

}  // namespace

Result<std::vector<std::string>> ExpandSources(const std::vector<std::string>& sources) {
  if (sources.empty()) return InvalidArgument("no source given");
  std::vector<std::string> files;
  for (const auto& source : sources) {
    std::vector<std::string> found;
    struct stat st;
    if (::stat(source.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        DLAKE_ASSIGN_OR_RETURN(found, ExpandFolder(source));
      } else {
        found.push_back(source);
      }
    } else if (HasGlobChars(source)) {
      DLAKE_ASSIGN_OR_RETURN(found, ExpandGlob(source));
    } else {
      return IoErrorFromErrno("cannot open source", source, errno);
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Result<IngestReport> CsvIngester::Run(const IngestRequest& request) {
  IngestReport report;
  report.dry_run = request.dry_run;
  DLAKE_ASSIGN_OR_RETURN(report.files, ExpandSources(request.sources));

  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
  // Unique per operation: several ingests may share the process's database.
  static std::atomic<uint64_t> counter{0};
  const std::string table = "dlake_staging_" + std::to_string(counter++);
  const std::string sorted_table = table + "_sorted";
  struct DropTables {
    duck::Connection& conn;
    std::string sql;
    ~DropTables() { (void)conn.Execute(sql, "dropping staging tables"); }
  } drop{*conn, "DROP TABLE IF EXISTS " + table + "; DROP TABLE IF EXISTS " + sorted_table};

  RowStager stager(*conn, table, request.dataset, request.on_bad_rows, ctx_.env->NowMs());
  const auto files_total = static_cast<int64_t>(report.files.size());
  auto progress = [&](const char* phase, const std::string& file, int64_t done) -> Status {
    if (!request.progress) return Status::Ok();
    return request.progress(IngestProgress{phase, file, done, files_total, report.rows_read});
  };
  for (size_t i = 0; i < report.files.size(); ++i) {
    const std::string& file = report.files[i];
    const auto done = static_cast<int64_t>(i);
    DLAKE_RETURN_IF_ERROR(
        stager.StageFile(file, report, [&] { return progress("reading", file, done); }));
    DLAKE_RETURN_IF_ERROR(progress("reading", file, done + 1));
  }
  if (stager.rows_staged() == 0) return report;
  report.columns = stager.ColumnNames();
  report.out_of_order = stager.out_of_order();
  report.time_from = stager.time_from();
  report.time_to = stager.time_to();
  if (stager.keys_may_repeat()) {
    DLAKE_ASSIGN_OR_RETURN(report.duplicates, CountDuplicates(*conn, table, request.dataset));
  }

  storage::Staging staging{table, stager.sorted(), report.duplicates > 0};
  if (!staging.sorted) {
    // Day slices are cut from the staging table by ts; sorted storage lets DuckDB's zone maps
    // skip everything outside each day instead of scanning the whole input per day.
    DLAKE_RETURN_IF_ERROR(conn->Execute("CREATE TABLE " + sorted_table + " AS SELECT * FROM " +
                                            table + " ORDER BY ts, _seq; DROP TABLE " + table,
                                        "sorting staged rows"));
    staging.table = sorted_table;
    staging.sorted = true;
  }
  DLAKE_RETURN_IF_ERROR(progress("writing", "", files_total));
  storage::WriteOptions options;
  options.compression = request.compression;
  options.dry_run = request.dry_run;
  options.source = DescribeSource(report.files);
  storage::DatasetWriter writer(ctx_, *conn);
  DLAKE_ASSIGN_OR_RETURN(report.write, writer.Merge(request.dataset, staging, options));
  return report;
}

}  // namespace dlake::ingest

namespace dlake {
std::string BadRow::ToString() const { return file + ":" + std::to_string(line) + ": " + reason; }
}  // namespace dlake
