#include "aggregate/aggregator.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "aggregate/buckets.h"
#include "dlake/common/time.h"
#include "duck/duck.h"
#include "storage/dataset_locks.h"
#include "storage/dataset_writer.h"
#include "storage/partition.h"
#include "storage/stage_table.h"

namespace dlake::aggregate {
namespace {

// Day numbers standing for "no bound" (about ±2700 years around the epoch).
constexpr int64_t kFirstDay = -1'000'000;
constexpr int64_t kLastDay = 1'000'000;

int64_t FirstDayOf(const FileEntry& f) { return DayOf(f.time_from); }
int64_t LastDayOf(const FileEntry& f) { return DayOf(f.time_to); }

// {"from":"1m","files":["<sha256>",...],"gaps":[[from,to],...]}: equal text, equal inputs.
std::string InputsText(const Plan& plan, const PlannedDay& day) {
  nlohmann::ordered_json j;
  j["from"] = plan.from.name;
  j["files"] = nlohmann::ordered_json::array();
  for (size_t i : day.files) j["files"].push_back(plan.source_files[i].sha256);
  j["gaps"] = nlohmann::ordered_json::array();
  for (const auto& [from, to] : plan.gaps) {
    const int64_t a = std::max(from, day.span.first), b = std::min(to, day.span.second);
    if (a < b) j["gaps"].push_back({a, b});
  }
  return j.dump();
}

Result<std::vector<std::string>> ColumnsOf(const FileEntry& f) {
  auto parsed = nlohmann::json::parse(f.columns, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return std::vector<std::string>{};
  std::vector<std::string> out;
  for (const auto& c : parsed) {
    if (c.is_string()) out.push_back(c.get<std::string>());
  }
  return out;
}

// The union of the files' columns as DuckDB reads them (for files the manifest has no column
// list for).
Result<std::vector<std::string>> ParquetColumns(duck::Database& db,
                                                const std::vector<std::string>& files) {
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) list += (i ? ", " : "") + duck::QuoteLiteral(files[i]);
  list += "]";
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(db));
  DLAKE_ASSIGN_OR_RETURN(
      auto result, conn->Query("SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(" +
                                   list + ", union_by_name = true))",
                               "reading the columns of the source files"));
  std::vector<std::string> out;
  for (size_t i = 0; i < result.RowCount(); ++i) out.push_back(result.GetString(0, i));
  return out;
}

}  // namespace

DatasetId AggregateDataset(const DatasetId& source, const Period& to) {
  return DatasetId{source.exchange, source.market, source.symbol, std::string(kTypeAgg), to.name};
}

bool Plan::UpToDate() const {
  return std::none_of(days.begin(), days.end(), [](const PlannedDay& d) { return d.changed; });
}

Result<CandleQuery> Plan::Query(const StorageContext& ctx, bool all_days) const {
  CandleQuery q;
  q.from = from;
  q.to = to;
  std::set<size_t> files;
  std::vector<TimeRange> spans;
  for (const auto& d : days) {
    if (!all_days && !d.changed) continue;
    files.insert(d.files.begin(), d.files.end());
    spans.push_back(d.span);
  }
  q.ranges = MergeRanges(std::move(spans));
  bool columns_known = true;
  std::string first_columns;
  for (size_t i : files) {
    const FileEntry& f = source_files[i];
    q.files.push_back(ctx.Abs(f.path));
    if (f.columns.empty()) columns_known = false;
    if (q.files.size() == 1) first_columns = f.columns;
    q.same_columns &= f.columns == first_columns && !f.columns.empty();
    DLAKE_ASSIGN_OR_RETURN(auto columns, ColumnsOf(f));
    for (auto& c : columns) {
      if (std::find(q.columns.begin(), q.columns.end(), c) == q.columns.end()) {
        q.columns.push_back(std::move(c));
      }
    }
  }
  if (!columns_known && !q.files.empty()) {
    DLAKE_ASSIGN_OR_RETURN(q.columns, ParquetColumns(*ctx.duck, q.files));
  }
  for (const auto& gap : gaps) {
    const bool meets = std::any_of(q.ranges.begin(), q.ranges.end(), [&](const TimeRange& r) {
      return gap.first < r.second && gap.second > r.first;
    });
    if (meets) q.gaps.push_back(gap);
  }
  return q;
}

Result<Plan> PlanAggregate(const StorageContext& ctx, const DatasetId& source, const Period& to,
                           int64_t start, int64_t end) {
  Plan plan;
  plan.source = source;
  plan.target = AggregateDataset(source, to);
  plan.to = to;
  DLAKE_ASSIGN_OR_RETURN(plan.from, ParsePeriod(source.period));
  DLAKE_RETURN_IF_ERROR(CheckAggregatable(plan.from, to));
  if (end <= start) return plan;
  const int64_t first_day =
      start == std::numeric_limits<int64_t>::min() ? kFirstDay : AggregatedDayOf(to, DayOf(start));
  const int64_t last_day =
      end == std::numeric_limits<int64_t>::max() ? kLastDay : AggregatedDayOf(to, DayOf(end - 1));
  const int64_t last_source_day = LastSourceDay(to, last_day);
  Manifest& manifest = *ctx.manifest;
  // A file may cover a closed month (doc/layout.md), so look a month back for it.
  DLAKE_ASSIGN_OR_RETURN(auto files,
                         manifest.FilesForDays(source, first_day - 31, last_source_day));
  for (auto& f : files) {
    if (LastDayOf(f) >= first_day) plan.source_files.push_back(std::move(f));
  }
  DLAKE_ASSIGN_OR_RETURN(auto stored, manifest.FilesForDays(plan.target, first_day - 31, last_day));
  DLAKE_ASSIGN_OR_RETURN(auto recorded_list,
                         manifest.AggregateInputsForDays(plan.target, first_day, last_day));
  DLAKE_ASSIGN_OR_RETURN(auto known_gaps, manifest.KnownGaps(source));
  std::vector<TimeRange> gaps;
  gaps.reserve(known_gaps.size());
  for (const auto& g : known_gaps) gaps.emplace_back(g.time_from, g.time_to);
  plan.gaps = MergeRanges(std::move(gaps));

  std::set<int64_t> candidates;
  for (const auto& f : plan.source_files) {
    for (int64_t d = FirstDayOf(f); d <= LastDayOf(f); ++d) {
      candidates.insert(AggregatedDayOf(to, d));
    }
  }
  for (const auto& f : stored) {
    // A compacted month of 1w candles spans days that are no bucket's day.
    for (int64_t d = FirstDayOf(f); d <= LastDayOf(f); ++d) {
      candidates.insert(AggregatedDayOf(to, d));
    }
  }
  std::map<int64_t, std::string> recorded;
  for (auto& r : recorded_list) {
    candidates.insert(r.day);
    recorded.emplace(r.day, std::move(r.inputs));
  }
  // Source files are sorted and never overlap, so each day's files are found by bisection.
  std::vector<int64_t> file_last_days;
  for (const auto& f : plan.source_files) file_last_days.push_back(LastDayOf(f));
  for (int64_t day : candidates) {
    if (day < first_day || day > last_day) continue;
    PlannedDay planned;
    planned.day = day;
    const int64_t last = LastSourceDay(to, day);
    planned.span = {DayStartMs(day), DayStartMs(last + 1)};
    auto it = std::lower_bound(file_last_days.begin(), file_last_days.end(), day);
    for (auto i = static_cast<size_t>(it - file_last_days.begin());
         i < plan.source_files.size() && FirstDayOf(plan.source_files[i]) <= last; ++i) {
      planned.files.push_back(i);
    }
    planned.inputs = InputsText(plan, planned);
    auto rec = recorded.find(day);
    planned.changed = rec == recorded.end() || rec->second != planned.inputs;
    plan.days.push_back(std::move(planned));
  }
  return plan;
}

Result<AggregateTarget> UpdateAggregate(const StorageContext& ctx, const DatasetId& source,
                                        const Period& to, int64_t start, int64_t end,
                                        bool dry_run) {
  AggregateTarget report;
  report.source = source;
  report.dataset = AggregateDataset(source, to);
  // One aggregation of a dataset at a time, from planning to recording what it was built from.
  std::optional<FileLock> write_lock;
  if (!dry_run) {
    DLAKE_ASSIGN_OR_RETURN(FileLock lock, storage::LockForWriting(ctx, report.dataset));
    write_lock.emplace(std::move(lock));
  }
  // The source files read stay on disk until this is done.
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx, source));
  DLAKE_ASSIGN_OR_RETURN(Plan plan, PlanAggregate(ctx, source, to, start, end));
  report.days_checked = static_cast<int64_t>(plan.days.size());
  std::vector<int64_t> changed_days;
  std::vector<AggregateInputs> inputs;
  for (const auto& d : plan.days) {
    if (!d.changed) continue;
    changed_days.push_back(d.day);
    inputs.push_back(AggregateInputs{d.day, d.inputs});
  }
  report.days_rebuilt = static_cast<int64_t>(changed_days.size());
  if (changed_days.empty() || dry_run) return report;

  DLAKE_ASSIGN_OR_RETURN(CandleQuery query, plan.Query(ctx, /*all_days=*/false));
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx.duck));
  const storage::StageTable stage(*conn, "aggregate");
  const std::string candles =
      query.files.empty() ? "SELECT NULL::BIGINT AS ts WHERE false" : CandleSql(query);
  DLAKE_RETURN_IF_ERROR(conn->Execute(
      "CREATE TABLE " + stage.Quoted() + " AS SELECT *, 0::BIGINT AS _seq FROM (" + candles + ")",
      "aggregating " + source.Path() + " to " + to.name));
  DLAKE_ASSIGN_OR_RETURN(auto count,
                         conn->Query("SELECT count(*) FROM " + stage.Quoted(), "counting"));
  report.candles = count.GetInt64(0, 0);
  storage::DatasetWriter writer(ctx, *conn);
  storage::WriteOptions options;
  options.source = "aggregate:" + source.Path();
  options.locked = true;
  // Aggregates are small per day: closed months go straight into month files, the layout
  // `dlake maintain compact` would give them (a year of 1h reads from 12 files).
  options.month_files_before = storage::MonthFirstDay(DayOf(ctx.env->NowMs()));
  auto written = writer.Replace(report.dataset, storage::Staging{stage.name(), true, false},
                                changed_days, options);
  DLAKE_RETURN_IF_ERROR(written.status());
  report.write = std::move(*written);
  DLAKE_RETURN_IF_ERROR(ctx.manifest->RecordAggregateInputs(report.dataset, source, inputs));
  return report;
}

Result<DatasetId> ResolveSource(Manifest& manifest, const std::string& exchange,
                                const std::string& market, const std::string& symbol,
                                const std::string& from_period,
                                const std::vector<Period>& targets) {
  DatasetFilter filter;
  DLAKE_ASSIGN_OR_RETURN(filter.exchange, NormalizeName("exchange", exchange));
  if (!market.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.market, NormalizeName("market", market));
  }
  DLAKE_ASSIGN_OR_RETURN(filter.symbol, NormalizeSymbol(symbol));
  filter.type = kTypeRaw;
  if (!from_period.empty()) {
    DLAKE_ASSIGN_OR_RETURN(Period from, ParsePeriod(from_period));
    filter.period = from.name;
  }
  DLAKE_ASSIGN_OR_RETURN(auto datasets, manifest.Datasets(filter));
  // Candidates: candle datasets every target can be built from; the finest period wins.
  std::vector<std::pair<Period, DatasetId>> usable;
  std::string reasons;
  for (const auto& d : datasets) {
    if (d.files == 0) continue;
    DLAKE_ASSIGN_OR_RETURN(Period period, ParsePeriod(d.id.period));
    Status ok = Status::Ok();
    for (const auto& to : targets) {
      if (ok.ok()) ok = CheckAggregatable(period, to);
    }
    if (ok.ok()) {
      usable.emplace_back(period, d.id);
    } else {
      reasons += (reasons.empty() ? "" : "; ") + d.id.Path() + ": " + ok.message();
    }
  }
  const std::string name = filter.exchange + "/" + (filter.market.empty() ? "*" : filter.market) +
                           "/" + filter.symbol + "/raw/" +
                           (filter.period.empty() ? "*" : filter.period);
  if (usable.empty()) {
    if (!reasons.empty()) {
      return InvalidArgument("the stored candles cannot be aggregated to those periods: ", reasons);
    }
    return NotFound("no candles ", name, " in the lake to aggregate (see 'dlake list')");
  }
  std::sort(usable.begin(), usable.end(),
            [](const auto& a, const auto& b) { return a.first.ms < b.first.ms; });
  for (const auto& [period, id] : usable) {
    if (period.ms != usable.front().first.ms) continue;
    if (id.market != usable.front().second.market) {
      return InvalidArgument("several markets hold ", name, " (", usable.front().second.Path(),
                             ", ", id.Path(), "); choose one with --market");
    }
  }
  return usable.front().second;
}

Result<AggregateReport> RunAggregate(const StorageContext& ctx, const AggregateRequest& request) {
  if (request.to.empty()) return InvalidArgument("--to: name at least one period, such as 1h");
  std::vector<Period> targets;
  for (const auto& name : request.to) {
    DLAKE_ASSIGN_OR_RETURN(Period p, ParsePeriod(name));
    if (std::none_of(targets.begin(), targets.end(),
                     [&](const Period& t) { return t.name == p.name; })) {
      targets.push_back(p);
    }
  }
  DLAKE_ASSIGN_OR_RETURN(DatasetId source,
                         ResolveSource(*ctx.manifest, request.exchange, request.market,
                                       request.symbol, request.from_period, targets));
  AggregateReport report;
  report.dry_run = request.dry_run;
  for (const auto& to : targets) {
    DLAKE_ASSIGN_OR_RETURN(AggregateTarget target, UpdateAggregate(ctx, source, to, request.start,
                                                                   request.end, request.dry_run));
    report.targets.push_back(std::move(target));
  }
  return report;
}

}  // namespace dlake::aggregate

namespace dlake {

int64_t AggregateReport::DaysRebuilt() const {
  int64_t n = 0;
  for (const auto& t : targets) n += t.days_rebuilt;
  return n;
}

int64_t AggregateReport::FilesWritten() const {
  int64_t n = 0;
  for (const auto& t : targets)
    n += t.write.Count(DayAction::kCreated) + t.write.Count(DayAction::kReplaced);
  return n;
}

}  // namespace dlake
