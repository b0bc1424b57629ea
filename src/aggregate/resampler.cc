#include "aggregate/resampler.h"

#include <algorithm>

#include "aggregate/aggregator.h"
#include "aggregate/buckets.h"
#include "aggregate/candle_sql.h"
#include "duck/duck.h"
#include "storage/dataset_locks.h"
#include "storage/reader.h"

namespace dlake::aggregate {
namespace {

Status CheckColumns(const std::vector<std::string>& columns) {
  const auto& known = AggregateColumns();
  for (const auto& c : columns) {
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      return InvalidArgument("--columns: resampled candles have no column '", c, "' (they have ",
                             names, ")");
    }
  }
  return Status::Ok();
}

// The resampled columns `request` asks for, without rows ($1 and $2 unused but bound).
std::string EmptySql(const ReadRequest& request) {
  std::string columns;
  for (const auto& c : request.columns) {
    columns += (columns.empty() ? "" : ", ") + duck::QuoteIdentifier(c);
  }
  return "SELECT " + (columns.empty() ? std::string("*") : columns) + " FROM (" + EmptyCandleSql() +
         ") WHERE ts >= $1 AND ts < $2";
}

}  // namespace

Result<Resampler::Source> Resampler::Plan(const ReadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(Period to, ParsePeriod(request.timeframe));
  if (request.dataset.type != kTypeRaw) {
    return InvalidArgument("--timeframe resamples raw candles; ", request.dataset.Path(),
                           " is of type ", request.dataset.type);
  }
  DLAKE_RETURN_IF_ERROR(CheckColumns(request.columns));
  // Whole buckets whose start lies in [start, end).
  const int64_t start = request.start == std::numeric_limits<int64_t>::min()
                            ? request.start
                            : BucketStart(to, request.start);
  DLAKE_ASSIGN_OR_RETURN(aggregate::Plan plan,
                         PlanAggregate(ctx_, request.dataset, to, start, request.end));
  Source source;
  if (plan.UpToDate()) {
    ReadRequest stored = request;
    stored.dataset = plan.target;
    stored.timeframe.clear();
    source.stored = std::move(stored);
    return source;
  }
  DLAKE_ASSIGN_OR_RETURN(CandleQuery query, plan.Query(ctx_, /*all_days=*/true));
  if (query.files.empty()) return source;
  std::string columns;
  for (const auto& c : request.columns) {
    columns += (columns.empty() ? "" : ", ") + duck::QuoteIdentifier(c);
  }
  source.sql = "SELECT " + (columns.empty() ? std::string("*") : columns) + " FROM (" +
               CandleSql(query) + ") WHERE ts >= $1 AND ts < $2 ORDER BY ts";
  if (request.limit >= 0) source.sql += " LIMIT " + std::to_string(request.limit);
  return source;
}

Result<bool> Resampler::ServedFromStore(const ReadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Source source, Plan(request));
  return source.stored.has_value();
}

Status Resampler::Scan(const ReadRequest& request, size_t batch_rows, const duck::BatchSink& sink) {
  if (request.end <= request.start) return Status::Ok();
  // The source files the query reads stay on disk until it is done.
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Source source, Plan(request));
  if (source.stored) return storage::Reader(ctx_).Scan(*source.stored, batch_rows, sink);
  if (source.sql.empty()) return Status::Ok();
  return storage::RunRangeQuery(
      *ctx_.duck, source.sql, "resampling " + request.dataset.Path() + " to " + request.timeframe,
      request.start, request.end, /*materialize=*/false, batch_rows, sink);
}

Result<RecordBatch> Resampler::Read(const ReadRequest& request) {
  const std::string purpose = "resampling " + request.dataset.Path() + " to " + request.timeframe;
  if (request.end <= request.start) {
    return storage::RangeQueryColumns(*ctx_.duck, EmptySql(request), purpose, request.start,
                                      request.end);
  }
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Source source, Plan(request));
  RecordBatch all;
  bool any_rows = false;
  if (source.stored) {
    DLAKE_ASSIGN_OR_RETURN(all, storage::Reader(ctx_).Read(*source.stored));
    // An aggregate without files (nothing to build in the range) has no columns to show.
    if (!all.columns.empty()) return all;
  } else if (!source.sql.empty()) {
    DLAKE_RETURN_IF_ERROR(storage::RunRangeQuery(*ctx_.duck, source.sql, purpose, request.start,
                                                 request.end, /*materialize=*/true, SIZE_MAX,
                                                 [&](RecordBatch& batch) {
                                                   all = std::move(batch);
                                                   any_rows = true;
                                                   return Status::Ok();
                                                 }));
  }
  if (any_rows) return all;
  // No candle: still the columns asked for, with their types.
  return storage::RangeQueryColumns(*ctx_.duck, source.sql.empty() ? EmptySql(request) : source.sql,
                                    purpose, request.start, request.end);
}

Result<int64_t> Resampler::Export(const ReadRequest& request, ExportFormat format,
                                  const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Source source, Plan(request));
  if (source.stored) return storage::Reader(ctx_).Export(*source.stored, format, path);
  const std::string sql =
      source.sql.empty() ? "SELECT NULL::BIGINT AS ts WHERE $1 < $2 AND false" : source.sql;
  return storage::ExportRangeQuery(*ctx_.duck, sql, request.start, request.end, format, path);
}

}  // namespace dlake::aggregate
