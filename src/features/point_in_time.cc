#include "features/point_in_time.h"

#include <algorithm>
#include <map>

#include "aggregate/resampler.h"
#include "duck/duck.h"
#include "features/feature_catalog.h"
#include "storage/dataset_locks.h"
#include "storage/reader.h"

namespace dlake::features {
namespace {

std::string Q(const std::string& name) { return duck::QuoteIdentifier(name); }

std::string FileList(const StorageContext& ctx, const std::vector<FileEntry>& files) {
  std::string list;
  for (const auto& f : files)
    list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(ctx.Abs(f.path));
  return "[" + list + "]";
}

// The files a join needs: those with rows in [from, end), and the last one before `from`
// (it holds the newest row at or before the first candle). `files` are ordered by day.
std::vector<FileEntry> FilesForJoin(std::vector<FileEntry> files, int64_t from, bool keep_earlier) {
  auto first = std::find_if(files.begin(), files.end(),
                            [&](const FileEntry& f) { return f.time_to >= from; });
  if (keep_earlier && first != files.begin()) --first;
  files.erase(files.begin(), first);
  return files;
}

}  // namespace

Result<std::string> PointInTimeJoin::CandleSql(const ReadRequest& candles, Plan& plan) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, storage::LockForReading(ctx_, candles.dataset));
  plan.locks.push_back(std::move(lock));
  if (candles.timeframe.empty()) {
    DLAKE_ASSIGN_OR_RETURN(auto query, storage::Reader(ctx_).BuildQuery(candles));
    return query.sql;
  }
  DLAKE_ASSIGN_OR_RETURN(auto source, aggregate::Resampler(ctx_).Plan(candles));
  if (!source.stored) return source.sql;
  DLAKE_ASSIGN_OR_RETURN(auto stored_lock, storage::LockForReading(ctx_, source.stored->dataset));
  plan.locks.push_back(std::move(stored_lock));
  DLAKE_ASSIGN_OR_RETURN(auto query, storage::Reader(ctx_).BuildQuery(*source.stored));
  return query.sql;
}

Result<std::string> PointInTimeJoin::FeatureSql(const FeatureVersion& version,
                                                const std::string& prefix,
                                                const PointInTimeRequest& request, Plan& plan) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, storage::LockForReading(ctx_, version.dataset));
  plan.locks.push_back(std::move(lock));
  const int64_t start = request.candles.start, end = request.candles.end;
  const bool bounded = request.tolerance_ms >= 0 && start != INT64_MIN;
  const int64_t from = bounded ? start - std::min(request.tolerance_ms, start - INT64_MIN) : start;
  DLAKE_ASSIGN_OR_RETURN(auto all,
                         ctx_.manifest->FilesOverlapping(version.dataset, INT64_MIN, end));
  std::vector<FileEntry> files = FilesForJoin(std::move(all), from, /*keep_earlier=*/!bounded);
  std::string select;
  for (const auto& c : version.columns) {
    const std::string value = files.empty() ? "CAST(NULL AS " + c.type + ")" : Q(c.name);
    select += (select.empty() ? "" : ", ") + value + " AS " + Q(prefix + "." + c.name);
  }
  if (files.empty()) return "SELECT " + select + " WHERE false";
  return "SELECT " + select + " FROM read_parquet(" + FileList(ctx_, files) + ") WHERE ts < " +
         std::to_string(end) + (bounded ? " AND ts >= " + std::to_string(from) : "");
}

Result<PointInTimeJoin::Plan> PointInTimeJoin::Build(const PointInTimeRequest& request) {
  if (request.features.empty()) {
    return InvalidArgument("--with-features: name at least one feature set (SET[@VERSION],...)");
  }
  Plan plan;
  ReadRequest candles = request.candles;
  candles.limit = -1;  // applies to the joined rows
  if (!candles.columns.empty() &&
      std::find(candles.columns.begin(), candles.columns.end(), "ts") == candles.columns.end()) {
    candles.columns.insert(candles.columns.begin(), "ts");  // the join needs it
  }
  // The feature versions first: a bad reference is an error even when no candle is in range.
  std::vector<FeatureVersion> versions;
  std::map<std::string, int> uses;
  for (const auto& ref : request.features) {
    FeatureLookup lookup{ref, candles.dataset.exchange, candles.dataset.symbol, request.as_of};
    DLAKE_ASSIGN_OR_RETURN(FeatureVersion version, Resolve(*ctx_.manifest, lookup));
    ++uses[version.feature_set];
    versions.push_back(std::move(version));
  }
  DLAKE_ASSIGN_OR_RETURN(std::string candle_sql, CandleSql(candles, plan));
  if (candle_sql.empty()) return plan;

  std::string with = "WITH c AS (" + candle_sql + ")";
  std::string columns = "c.*";
  std::string joins;
  for (size_t i = 0; i < versions.size(); ++i) {
    const FeatureVersion& v = versions[i];
    const std::string prefix =
        uses[v.feature_set] > 1 ? v.feature_set + "@" + v.version : v.feature_set;
    const std::string alias = "f" + std::to_string(i);
    DLAKE_ASSIGN_OR_RETURN(std::string sql, FeatureSql(v, prefix, request, plan));
    with += ", " + alias + " AS (" + sql + ")";
    const std::string feature_ts = alias + "." + Q(prefix + ".ts");
    joins += " ASOF LEFT JOIN " + alias + " ON c.ts >= " + feature_ts;
    for (const auto& c : v.columns) {
      const std::string name = Q(prefix + "." + c.name);
      if (request.tolerance_ms < 0) {
        columns += ", " + alias + "." + name;
      } else {
        columns += ", CASE WHEN c.ts - " + feature_ts +
                   " <= " + std::to_string(request.tolerance_ms) + " THEN " + alias + "." + name +
                   " END AS " + name;
      }
    }
  }
  plan.sql = with + " SELECT " + columns + " FROM c" + joins + " ORDER BY c.ts";
  if (request.candles.limit >= 0) plan.sql += " LIMIT " + std::to_string(request.candles.limit);
  return plan;
}

Status PointInTimeJoin::Scan(const PointInTimeRequest& request, size_t batch_rows,
                             const duck::BatchSink& sink) {
  DLAKE_ASSIGN_OR_RETURN(Plan plan, Build(request));
  if (plan.sql.empty() || request.candles.end <= request.candles.start) return Status::Ok();
  return storage::RunRangeQuery(*ctx_.duck, plan.sql,
                                "joining features onto " + request.candles.dataset.Path(),
                                request.candles.start, request.candles.end,
                                /*materialize=*/false, batch_rows, sink);
}

Result<RecordBatch> PointInTimeJoin::Read(const PointInTimeRequest& request) {
  RecordBatch all;
  DLAKE_ASSIGN_OR_RETURN(Plan plan, Build(request));
  if (plan.sql.empty() || request.candles.end <= request.candles.start) return all;
  DLAKE_RETURN_IF_ERROR(storage::RunRangeQuery(
      *ctx_.duck, plan.sql, "joining features onto " + request.candles.dataset.Path(),
      request.candles.start, request.candles.end, /*materialize=*/true, SIZE_MAX,
      [&](RecordBatch& batch) {
        all = std::move(batch);
        return Status::Ok();
      }));
  return all;
}

Result<int64_t> PointInTimeJoin::Export(const PointInTimeRequest& request, ExportFormat format,
                                        const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(Plan plan, Build(request));
  const std::string sql =
      plan.sql.empty() ? "SELECT NULL::BIGINT AS ts WHERE $1 < $2 AND false" : plan.sql;
  return storage::ExportRangeQuery(*ctx_.duck, sql, request.candles.start, request.candles.end,
                                   format, path);
}

}  // namespace dlake::features
