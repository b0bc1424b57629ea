#include "features/uploader.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>

#include "common/file_util.h"
#include "dlake/common/semver.h"
#include "dlake/common/strings.h"
#include "dlake/common/time.h"
#include "duck/batch_table.h"
#include "duck/duck.h"
#include "features/feature_catalog.h"
#include "storage/dataset_locks.h"
#include "storage/dataset_writer.h"
#include "storage/partition.h"
#include "storage/stage_table.h"

namespace dlake::features {
namespace {

namespace fs = std::filesystem;

// Oldest feature row accepted, as for market data: 2009-01-01.
constexpr int64_t kMinTs = 1'230'768'000'000;

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

// The DuckDB table function reading the file, or InvalidArgument for an unknown kind.
Result<std::string> SourceFunction(const std::string& path) {
  const std::string lower = AsciiLower(path);
  const std::string quoted = duck::QuoteLiteral(path);
  if (lower.ends_with(".parquet") || lower.ends_with(".pq")) return "read_parquet(" + quoted + ")";
  if (lower.ends_with(".csv") || lower.ends_with(".csv.gz")) {
    return "read_csv(" + quoted + ", header = true)";
  }
  return InvalidArgument("--path '", path, "': expected a .parquet or .csv file");
}

struct SourceColumn {
  std::string name;
  std::string type;
};

// The ts expression in epoch ms for a column of `type`, or InvalidArgument.
Result<std::string> TsExpression(const std::string& path, const std::string& type) {
  const std::string ts = duck::QuoteIdentifier("ts");
  static const char* kIntegers[] = {"BIGINT", "INTEGER", "HUGEINT", "UBIGINT", "UINTEGER"};
  for (const char* t : kIntegers) {
    // Epoch values by magnitude, as ingest reads them: ns (>= 1e17), µs (>= 1e14), else ms.
    if (type == t) {
      return "CAST(CASE WHEN " + ts + " >= 100000000000000000 THEN " + ts + " // 1000000 WHEN " +
             ts + " >= 100000000000000 THEN " + ts + " // 1000 ELSE " + ts + " END AS BIGINT)";
    }
  }
  if (type.starts_with("TIMESTAMP") || type == "DATE") {
    // A timestamp without a zone is UTC.
    return "epoch_ms(CAST(" + ts + " AS TIMESTAMP))";
  }
  if (type == "VARCHAR") return "epoch_ms(CAST(TRY_CAST(" + ts + " AS TIMESTAMPTZ) AS TIMESTAMP))";
  return InvalidArgument(path, ": column ts is ", type,
                         "; expected integer epoch milliseconds or a timestamp");
}

Result<std::vector<SourceColumn>> Describe(duck::Connection& conn, const std::string& select,
                                           const std::string& purpose) {
  DLAKE_ASSIGN_OR_RETURN(auto result, conn.Query("DESCRIBE " + select, purpose));
  std::vector<SourceColumn> columns;
  for (size_t i = 0; i < result.RowCount(); ++i) {
    columns.push_back(SourceColumn{result.GetString(0, i), result.GetString(1, i)});
  }
  return columns;
}

// Stages the file's rows as (ts BIGINT, the other columns, _seq) and checks them.
class Stager {
 public:
  // `from` reads the rows (a table function or a table); `path` names them in messages.
  Stager(duck::Connection& conn, const storage::StageTable& stage, std::string from,
         std::string path, int64_t now)
      : conn_(conn), stage_(stage), from_(std::move(from)), path_(std::move(path)), now_(now) {}

  Status Run() {
    const std::string& function = from_;
    const std::string purpose = "reading the feature rows of '" + path_ + "'";
    DLAKE_ASSIGN_OR_RETURN(auto columns, Describe(conn_, "SELECT * FROM " + function, purpose));
    const SourceColumn* ts = nullptr;
    std::string others;
    for (const auto& c : columns) {
      if (c.name == "ts") {
        ts = &c;
        continue;
      }
      if (EqualsIgnoreCase(c.name, "ts") || c.name == "_seq" || c.name.empty()) {
        return InvalidArgument(path_, ": column name '", c.name,
                               "' is reserved or empty (the time column is exactly 'ts')");
      }
      others += ", " + duck::QuoteIdentifier(c.name);
    }
    if (ts == nullptr) {
      std::string names;
      for (const auto& c : columns) names += (names.empty() ? "" : ", ") + c.name;
      return InvalidArgument(path_, ": no 'ts' column (it has: ", names,
                             "); feature rows need their time as ts");
    }
    DLAKE_ASSIGN_OR_RETURN(std::string ts_ms, TsExpression(path_, ts->type));
    DLAKE_RETURN_IF_ERROR(conn_.Execute("CREATE TABLE " + stage_.Quoted() + " AS SELECT " + ts_ms +
                                            " AS ts" + others + ", row_number() OVER () AS _seq, " +
                                            duck::QuoteIdentifier("ts") +
                                            "::VARCHAR AS _given FROM " + function,
                                        purpose));
    DLAKE_RETURN_IF_ERROR(CheckRows());
    DLAKE_RETURN_IF_ERROR(conn_.Execute("ALTER TABLE " + stage_.Quoted() + " DROP COLUMN _given",
                                        "staging the feature rows"));
    return Status::Ok();
  }

 private:
  Status CheckRows() {
    const std::string t = stage_.Quoted();
    DLAKE_ASSIGN_OR_RETURN(auto bad, conn_.Query("SELECT _seq, _given FROM " + t +
                                                     " WHERE ts IS NULL ORDER BY _seq "
                                                     "LIMIT 1",
                                                 "checking the feature rows"));
    if (bad.RowCount() > 0) {
      return InvalidArgument(path_, ": row ", bad.GetInt64(0, 0), ": ts ",
                             bad.IsNull(1, 0) ? std::string("is empty")
                                              : "'" + bad.GetString(1, 0) + "' is not a time");
    }
    DLAKE_ASSIGN_OR_RETURN(
        auto range,
        conn_.Query("SELECT _seq, ts FROM " + t + " WHERE ts < " + std::to_string(kMinTs) +
                        " OR ts > " + std::to_string(now_ + kMsPerDay) + " ORDER BY _seq LIMIT 1",
                    "checking the feature rows"));
    if (range.RowCount() > 0) {
      const int64_t v = range.GetInt64(1, 0);
      const std::string hint = v > 1'000'000'000 && v < 100'000'000'000 ? " (seconds? use ms)" : "";
      return InvalidArgument(path_, ": row ", range.GetInt64(0, 0), ": ts ", v,
                             " is outside 2009-01-01 .. now + 1 day", hint);
    }
    DLAKE_ASSIGN_OR_RETURN(auto dups,
                           conn_.Query("SELECT ts, count(*), min(_seq), max(_seq) FROM " + t +
                                           " GROUP BY ts HAVING count(*) > 1 ORDER BY ts LIMIT 1",
                                       "checking the feature rows"));
    if (dups.RowCount() > 0) {
      return InvalidArgument(path_, ": ts ", FormatTimestamp(dups.GetInt64(0, 0)), " appears ",
                             dups.GetInt64(1, 0), " times (rows ", dups.GetInt64(2, 0), " and ",
                             dups.GetInt64(3, 0), "); a feature set holds one row per time");
    }
    return Status::Ok();
  }

  duck::Connection& conn_;
  const storage::StageTable& stage_;
  std::string from_;
  std::string path_;
  int64_t now_;
};

// SHA-256 over "<path> <sha256>\n" of the files in day order.
Result<std::string> FilesDigest(const std::vector<FileEntry>& files) {
  std::string lines;
  for (const auto& f : files) lines += f.path + " " + f.sha256 + "\n";
  return Sha256Hex(lines);
}

// A source dataset's state now: its files' count, rows, range and digest.
Result<FeatureSource> DescribeSource(const StorageContext& ctx, const std::string& text) {
  DLAKE_ASSIGN_OR_RETURN(DatasetId id, ParseDatasetPath(text));
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->Files(DatasetFilter::Of(id)));
  if (files.empty()) {
    return NotFound("--source '", text, "': dataset ", id.Path(),
                    " holds no files in the lake (see 'dlake list')");
  }
  if (id.IsFeature()) {
    FeatureVersionFilter filter{id.FeatureSet(), id.FeatureVersion(), id.exchange, id.symbol};
    DLAKE_ASSIGN_OR_RETURN(auto rows, ctx.manifest->FeatureVersions(filter));
    if (rows.empty()) return NotFound("--source '", text, "': no such feature version");
  }
  FeatureSource source;
  source.dataset = id.Path();
  source.time_from = INT64_MAX;
  source.time_to = INT64_MIN;
  for (const auto& f : files) {
    ++source.files;
    source.rows += f.rows;
    source.time_from = std::min(source.time_from, f.time_from);
    source.time_to = std::max(source.time_to, f.time_to);
  }
  DLAKE_ASSIGN_OR_RETURN(source.digest, FilesDigest(files));
  return source;
}

// The stored version's columns and rows against the staged ones: "" when equal, else what
// differs.
Result<std::string> CompareWithStored(duck::Connection& conn, const StorageContext& ctx,
                                      const std::string& stage, const FeatureVersion& stored,
                                      const std::vector<FeatureColumn>& staged_columns) {
  if (staged_columns != stored.columns) {
    std::string a, b;
    for (const auto& c : stored.columns) a += (a.empty() ? "" : ", ") + c.name + " " + c.type;
    for (const auto& c : staged_columns) b += (b.empty() ? "" : ", ") + c.name + " " + c.type;
    return "its columns are (" + a + "), the file's are (" + b + ")";
  }
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->Files(DatasetFilter::Of(stored.dataset)));
  std::string list;
  for (const auto& f : files)
    list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(ctx.Abs(f.path));
  std::string columns;
  for (const auto& c : stored.columns) {
    columns += (columns.empty() ? "" : ", ") + duck::QuoteIdentifier(c.name);
  }
  const std::string stored_rows = "SELECT " + columns + " FROM read_parquet([" + list + "])";
  const std::string staged_rows = "SELECT " + columns + " FROM " + stage;
  DLAKE_ASSIGN_OR_RETURN(
      auto diff, conn.Query("SELECT (SELECT count(*) FROM (" + staged_rows + " EXCEPT ALL " +
                                stored_rows + ")), (SELECT count(*) FROM (" + stored_rows +
                                " EXCEPT ALL " + staged_rows + "))",
                            "comparing with the stored version"));
  const int64_t new_rows = diff.GetInt64(0, 0), old_rows = diff.GetInt64(1, 0);
  if (new_rows == 0 && old_rows == 0) return std::string();
  return std::to_string(new_rows) + " of the file's rows are not in it and " +
         std::to_string(old_rows) + " of its rows are not in the file";
}

// "1.0.1": the next patch after the highest version of the set for this symbol.
Result<std::string> SuggestVersion(Manifest& manifest, const DatasetId& id) {
  FeatureVersionFilter filter{id.FeatureSet(), "", id.exchange, id.symbol};
  DLAKE_ASSIGN_OR_RETURN(auto rows, manifest.FeatureVersions(filter));
  std::vector<std::string> versions;
  versions.reserve(rows.size());
  for (const auto& r : rows) versions.push_back(r.dataset.FeatureVersion());
  SortHighestFirst(versions);
  DLAKE_ASSIGN_OR_RETURN(SemVer highest,
                         SemVer::Parse(versions.empty() ? id.FeatureVersion() : versions.front()));
  return highest.NextPatch().ToString();
}

}  // namespace

Result<FeatureUploadReport> Upload(const StorageContext& ctx, const FeatureUploadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(DatasetId id, DatasetId::Feature(request.feature_set, request.version,
                                                          request.exchange, request.symbol));
  FeatureUploadReport report;
  report.dry_run = request.dry_run;
  FeatureVersion& v = report.version;
  v.dataset = id;
  v.feature_set = id.FeatureSet();
  v.version = id.FeatureVersion();
  v.exchange = id.exchange;
  v.symbol = id.symbol;
  if (!request.market.empty()) {
    DLAKE_ASSIGN_OR_RETURN(v.market, NormalizeName("market", request.market));
  }
  v.description = request.description;
  v.code_ref = request.code_ref;
  v.host = HostName();
  v.created_at = ctx.env->NowMs();
  v.input_path = request.rows != nullptr && request.path.empty() ? "<rows>" : request.path;
  if (request.rows == nullptr) {
    std::error_code ec;
    if (!fs::is_regular_file(request.path, ec)) {
      return NotFound("--path '", request.path, "': no such file");
    }
    DLAKE_ASSIGN_OR_RETURN(FileDigest input, Sha256File(request.path));
    v.input_sha256 = input.sha256;
    v.input_bytes = static_cast<int64_t>(input.bytes);
  }
  for (const auto& s : request.sources) {
    DLAKE_ASSIGN_OR_RETURN(FeatureSource source, DescribeSource(ctx, s));
    v.sources.push_back(std::move(source));
  }

  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx.duck));
  const storage::StageTable input(*conn, "feature_input");
  std::string from;
  if (request.rows != nullptr) {
    DLAKE_RETURN_IF_ERROR(
        duck::CreateTableFromBatch(*conn, input.name(), *request.rows).WithContext(v.input_path));
    from = input.Quoted();
  } else {
    DLAKE_ASSIGN_OR_RETURN(from, SourceFunction(request.path));
  }
  const storage::StageTable stage(*conn, "feature");
  DLAKE_RETURN_IF_ERROR(Stager(*conn, stage, from, v.input_path, v.created_at).Run());
  DLAKE_ASSIGN_OR_RETURN(auto stats,
                         conn->Query("SELECT count(*), min(ts), max(ts) FROM " + stage.Quoted(),
                                     "summarising the feature rows"));
  v.rows = stats.GetInt64(0, 0);
  if (v.rows == 0) return InvalidArgument(request.path, ": no rows");
  v.time_from = stats.GetInt64(1, 0);
  v.time_to = stats.GetInt64(2, 0);
  DLAKE_ASSIGN_OR_RETURN(auto columns,
                         Describe(*conn, "SELECT * EXCLUDE (_seq) FROM " + stage.Quoted(),
                                  "reading the staged feature columns"));
  for (const auto& c : columns) v.columns.push_back(FeatureColumn{c.name, c.type});

  // Held from the comparison to the version record: two uploads of one version serialise.
  DLAKE_ASSIGN_OR_RETURN(auto lock, storage::LockForWriting(ctx, id));
  FeatureVersionFilter exact{v.feature_set, v.version, v.exchange, v.symbol};
  DLAKE_ASSIGN_OR_RETURN(auto existing, ctx.manifest->FeatureVersions(exact));
  if (!existing.empty()) {
    DLAKE_ASSIGN_OR_RETURN(FeatureVersion stored, FromRow(existing.front()));
    DLAKE_ASSIGN_OR_RETURN(std::string difference,
                           CompareWithStored(*conn, ctx, stage.Quoted(), stored, v.columns));
    if (!difference.empty()) {
      DLAKE_ASSIGN_OR_RETURN(std::string next, SuggestVersion(*ctx.manifest, id));
      return AlreadyExists("feature set '", v.feature_set, "' version ", v.version, " for ",
                           v.exchange, "/", v.symbol, " already holds other content: ", difference,
                           ". A version never changes; upload this as a new version such as ",
                           next);
    }
    report.version = std::move(stored);
    report.outcome = "unchanged";
    return report;
  }

  // Days of an upload that stopped before its record (files without a version) go too.
  std::vector<int64_t> days;
  DLAKE_ASSIGN_OR_RETURN(auto staged_days,
                         conn->Query("SELECT DISTINCT ts // " + std::to_string(kMsPerDay) +
                                         " AS d FROM " + stage.Quoted() + " ORDER BY d",
                                     "listing the days of the feature rows"));
  for (size_t i = 0; i < staged_days.RowCount(); ++i) days.push_back(staged_days.GetInt64(0, i));
  DLAKE_ASSIGN_OR_RETURN(auto leftover, ctx.manifest->Files(DatasetFilter::Of(id)));
  for (const auto& f : leftover) {
    for (int64_t d = f.day; d <= f.LastDay(); ++d) days.push_back(d);
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());

  storage::DatasetWriter writer(ctx, *conn);
  storage::WriteOptions options;
  options.source = "upload-feature:" + request.path;
  options.locked = true;
  options.dry_run = request.dry_run;
  // Written once and never changed: closed months go straight into month files.
  options.month_files_before = storage::MonthFirstDay(DayOf(v.created_at));
  DLAKE_ASSIGN_OR_RETURN(
      report.write,
      writer.Replace(id, storage::Staging{stage.name(), false, false}, days, options));
  if (request.dry_run) {
    report.outcome = "would create";
    return report;
  }
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->Files(DatasetFilter::Of(id)));
  v.files = static_cast<int64_t>(files.size());
  DLAKE_ASSIGN_OR_RETURN(v.files_digest, FilesDigest(files));
  DLAKE_RETURN_IF_ERROR(ctx.manifest->AddFeatureVersion(ToRow(v)).WithContext(
      "the files of " + id.Path() +
      " are written but the version was not recorded; upload it "
      "again to finish"));
  report.outcome = "created";
  return report;
}

}  // namespace dlake::features
