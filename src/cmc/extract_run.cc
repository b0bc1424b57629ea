#include "cmc/extract_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "cmc/extractor.h"
#include "common/python_json.h"
#include "dlake/common/strings.h"
#include "dlake/common/time.h"

namespace dlake::cmc {
namespace {

const std::map<std::string, std::vector<std::string>>& GroupEndpoints() {
  // The original's DAGs (cryptolakehouse.md §4); init in dependency order, so a fresh install
  // gets exchange assets and category links (the original ran them before their inputs).
  static const std::map<std::string, std::vector<std::string>> groups = {
      {"init", EndpointNames()},
      {"daily", {"exchange_map", "exchange_assets", "crypto_map", "crypto_category"}},
      {"weekly", {"exchange_info", "crypto_info"}},
      {"5x", {"crypto_listings_latest"}},
      {"10x", {"crypto_categories", "global_metrics_quotes_latest", "fear_and_greed_latest"}},
  };
  return groups;
}

struct Clock {
  CivilDate date;
  int hour, minute, second, millis;
};

Clock ClockOf(int64_t ms) {
  const int64_t day = DayOf(ms);
  const int64_t in_day = ms - DayStartMs(day);
  return {CivilFromDay(day), static_cast<int>(in_day / kMsPerHour),
          static_cast<int>(in_day / kMsPerMinute % 60), static_cast<int>(in_day / 1000 % 60),
          static_cast<int>(in_day % 1000)};
}

// `format` takes year, month, day, hour, minute, second.
std::string FormatClock(int64_t ms, const char* format) {
  const Clock c = ClockOf(ms);
  char buf[32];
  std::snprintf(buf, sizeof(buf), format, c.date.year, c.date.month, c.date.day, c.hour, c.minute,
                c.second);
  return buf;
}

Result<std::vector<const Extractor*>> Select(const ExtractRequest& request) {
  if (request.group.empty() == request.endpoints.empty()) {
    return InvalidArgument("give either a group (", JoinStrings(ExtractGroups(), ", "),
                           ") or endpoints (", JoinStrings(EndpointNames(), ", "), ")");
  }
  std::vector<std::string> names;
  if (!request.group.empty()) {
    auto it = GroupEndpoints().find(AsciiLower(request.group));
    if (it == GroupEndpoints().end()) {
      return InvalidArgument("unknown extract group '", request.group, "'; the groups are ",
                             JoinStrings(ExtractGroups(), ", "));
    }
    names = it->second;
  } else {
    for (const auto& name : request.endpoints) names.push_back(AsciiLower(name));
  }
  std::vector<const Extractor*> out;
  for (const auto& name : names) {
    if (std::find(EndpointNames().begin(), EndpointNames().end(), name) == EndpointNames().end()) {
      return InvalidArgument("unknown CoinMarketCap endpoint '", name, "'; the endpoints are ",
                             JoinStrings(EndpointNames(), ", "));
    }
  }
  for (const auto& extractor : Extractors()) {  // dependency order, each once
    if (std::find(names.begin(), names.end(), extractor.name) != names.end()) {
      out.push_back(&extractor);
    }
  }
  return out;
}

int64_t FirstDayOfMonth(int64_t day) {
  const CivilDate d = CivilFromDay(day);
  return DayFromCivil(d.year, d.month, 1);
}

// metadata/extract/<name>/runs.jsonl: one line per run of the endpoint, failed ones included
// (snapshot_info.jsonl has only the successful ones), for `dlake cmc status`.
std::string RunsPath(const StorageContext& storage, const std::string& name) {
  return storage.Abs("metadata/extract/" + name + "/runs.jsonl");
}

Status RecordRun(const StorageContext& storage, const std::string& started_at,
                 const EndpointReport& endpoint) {
  if (endpoint.status == "not_run") return Status::Ok();
  nlohmann::ordered_json line;
  line["started_at"] = started_at;
  line["status"] = endpoint.status;
  line["rows"] = endpoint.rows;
  line["files"] = endpoint.files;
  line["requests"] = endpoint.requests;
  line["credits"] = endpoint.credits;
  line["message"] = endpoint.message;
  const std::string path = RunsPath(storage, endpoint.name);
  DLAKE_RETURN_IF_ERROR(storage.env->CreateDirs(path.substr(0, path.rfind('/'))));
  return storage.env->AppendFile(path, PythonJsonDumps(line) + "\n");
}

// "2025-05-03_01-44-14" of ".../<prefix>-2025-05-03_01-44-14.parquet".
std::string StampOf(const std::string& path) {
  const size_t dash = path.find('-', path.rfind('/') + 1);
  const size_t dot = path.rfind('.');
  return dash == std::string::npos || dot == std::string::npos
             ? ""
             : path.substr(dash + 1, dot - dash - 1);
}

// Bronze file names carry the run's second, so two runs may not share one: a run starting in
// the second of an earlier run's files waits for the next second.
Result<int64_t> UnusedSecond(const StorageContext& storage, int64_t now_ms) {
  DLAKE_ASSIGN_OR_RETURN(auto files, storage.manifest->LakeFiles(kLakeFileBronze, ""));
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string stamp = FileStamp(now_ms);
    const bool used = std::any_of(files.begin(), files.end(),
                                  [&](const LakeFile& f) { return StampOf(f.path) == stamp; });
    if (!used) return now_ms;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 - now_ms % 1000));
    now_ms = storage.env->NowMs();
  }
  return AlreadyExists("bronze files of ", FileStamp(now_ms),
                       " exist already and the clock does not move on");
}

}  // namespace

const std::vector<std::string>& EndpointNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& e : Extractors()) n.push_back(e.name);
    return n;
  }();
  return names;
}

const std::vector<std::string>& ExtractGroups() {
  static const std::vector<std::string> groups = {"init", "daily", "weekly", "5x", "10x"};
  return groups;
}

const std::vector<Extractor>& Extractors() {
  static const std::vector<Extractor> extractors = {
      ExchangeMapExtractor(),     ExchangeInfoExtractor(),    ExchangeAssetsExtractor(),
      CryptoMapExtractor(),       CryptoInfoExtractor(),      ListingsExtractor(),
      CategoriesExtractor(),      CategoryLinksExtractor(),   GlobalMetricsExtractor(),
      FearGreedLatestExtractor(), FearGreedHistoryExtractor()};
  return extractors;
}

Status ValidateExtractRequest(const ExtractRequest& request) { return Select(request).status(); }

bool ExtractReport::ok() const {
  return std::all_of(endpoints.begin(), endpoints.end(), [](const EndpointReport& e) {
    return e.status == "extracted" || e.status == "unchanged" || e.status == "skipped";
  });
}

std::string FileStamp(int64_t ms) { return FormatClock(ms, "%04d-%02d-%02d_%02d-%02d-%02d"); }

std::string SnapshotDate(int64_t ms) { return FormatClock(ms, "%04d-%02d-%02d %02d:%02d:%02d"); }

std::string IsoSnapshot(int64_t ms) {
  const Clock c = ClockOf(ms);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d000+00:00", c.date.year,
                c.date.month, c.date.day, c.hour, c.minute, c.second, c.millis);
  return buf;
}

Result<CreditReport> CreditsSpent(const StorageContext& storage, int64_t now_ms,
                                  int64_t monthly_credits, double credit_buffer) {
  const int64_t today = DayOf(now_ms);
  DLAKE_ASSIGN_OR_RETURN(auto usage,
                         storage.manifest->ApiUsageBetween("cmc", FirstDayOfMonth(today), today));
  CreditReport report;
  report.day = FormatDay(today);
  report.month = report.day.substr(0, 7);
  report.monthly_budget = monthly_credits;
  report.buffer = credit_buffer;
  report.usable = static_cast<int64_t>(static_cast<double>(monthly_credits) * (1 - credit_buffer));
  std::map<std::string, CreditUsage> by_endpoint;
  for (const auto& u : usage) {
    report.this_month += u.credits;
    if (u.day == today) report.today += u.credits;
    CreditUsage& e = by_endpoint[u.endpoint];
    e.endpoint = u.endpoint;
    e.requests += u.requests;
    e.credits += u.credits;
  }
  for (auto& [name, e] : by_endpoint) report.month_by_endpoint.push_back(e);
  report.remaining = report.usable - report.this_month;
  return report;
}

Result<ExtractReport> RunExtract(const StorageContext& storage, const ExtractRequest& request,
                                 const ExtractOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto selected, Select(request));
  DLAKE_ASSIGN_OR_RETURN(const int64_t now_ms, UnusedSecond(storage, options.now_ms));
  ExtractReport report;
  report.group = AsciiLower(request.group);
  report.snapshot_date = SnapshotDate(now_ms);

  EndpointReport* current = nullptr;
  Manifest* manifest = storage.manifest;
  const int64_t today = DayOf(now_ms);
  UsageSink sink = [&](const std::string& endpoint, int64_t credits) -> Status {
    if (current != nullptr) current->credits += credits;
    return manifest->RecordApiUsage({"cmc", endpoint, today, 1, credits});
  };
  DLAKE_ASSIGN_OR_RETURN(auto client, CmcClient::Make(options.client, sink));
  BronzeWriter bronze(storage, FileStamp(now_ms), IsoSnapshot(now_ms));
  ExtractContext ctx{storage, *client, bronze, report.snapshot_date, today};

  for (const Extractor* e : selected) report.estimated_credits += e->estimate(ctx);
  DLAKE_ASSIGN_OR_RETURN(
      CreditReport credits,
      CreditsSpent(storage, now_ms, options.monthly_credits, options.credit_buffer));
  if (credits.this_month + report.estimated_credits > credits.usable) {
    return FailedPrecondition(
        "this run would need about ", report.estimated_credits, " CoinMarketCap credits, and ",
        credits.this_month, " of the ", credits.usable, " usable this month are spent (budget ",
        options.monthly_credits, " credits, ", static_cast<int>(options.credit_buffer * 100),
        "% kept in reserve: settings cmc.monthly_credits and cmc.credit_buffer)");
  }

  Status stop;
  for (const Extractor* e : selected) {
    report.endpoints.push_back(EndpointReport{e->name});
    EndpointReport& endpoint = report.endpoints.back();
    if (!stop.ok()) {
      endpoint.status = "not_run";
      endpoint.message = "the run stopped at an earlier endpoint";
      continue;
    }
    current = &endpoint;
    Status status = e->run(ctx, endpoint);
    current = nullptr;
    if (!status.ok()) {
      endpoint.status = endpoint.files.empty() ? "failed" : "partial";
      endpoint.message = status.message();
      if (StopsRun(status)) stop = status;
    }
    if (endpoint.status.empty()) endpoint.status = "extracted";
    report.requests += endpoint.requests;
    report.credits += endpoint.credits;
    DLAKE_RETURN_IF_ERROR(RecordRun(storage, report.snapshot_date, endpoint));
  }
  return report;
}

Result<std::vector<EndpointStatus>> ExtractStatus(const StorageContext& storage, int64_t now_ms) {
  const int64_t today = DayOf(now_ms);
  DLAKE_ASSIGN_OR_RETURN(auto usage,
                         storage.manifest->ApiUsageBetween("cmc", FirstDayOfMonth(today), today));
  std::vector<EndpointStatus> out;
  for (const auto& e : Extractors()) {
    EndpointStatus status;
    status.name = e.name;
    for (const auto& u : usage) {
      if (u.endpoint != e.path) continue;
      status.requests_this_month += u.requests;
      status.credits_this_month += u.credits;
    }
    DLAKE_ASSIGN_OR_RETURN(auto last, SnapshotLog(storage.env, storage.root, e.name).Last());
    status.last_snapshot = SnapshotDateOf(last);
    DLAKE_ASSIGN_OR_RETURN(auto files, storage.manifest->LakeFiles(kLakeFileBronze, e.folder));
    // The newest snapshot: the greatest time stamp (the listings batches share theirs).
    std::string newest_stamp;
    for (const auto& f : files) newest_stamp = std::max(newest_stamp, StampOf(f.path));
    for (const auto& f : files) {
      if (StampOf(f.path) != newest_stamp) continue;
      status.last_rows += f.rows;
      status.last_file = std::max(status.last_file, f.path);
    }
    DLAKE_ASSIGN_OR_RETURN(auto run, LastJsonLine(RunsPath(storage, e.name)));
    if (run) {
      status.last_run = run->value("started_at", "");
      status.last_status = run->value("status", "");
      status.last_message = run->value("message", "");
    }
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace dlake::cmc
