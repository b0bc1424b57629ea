#pragma once
// The CoinMarketCap extract: API snapshots into the lake's bronze layer (doc/cmc.md). Called
// through dlake::Lake::ExtractCmc; these are its request and report types.

#include <cstdint>
#include <string>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::cmc {

// The 11 endpoints in dependency order (an endpoint's inputs come before it): exchange_map,
// exchange_info, exchange_assets, crypto_map, crypto_info, crypto_listings_latest,
// crypto_categories, crypto_category, global_metrics_quotes_latest, fear_and_greed_latest,
// fear_and_greed_historical.
const std::vector<std::string>& EndpointNames();

// The groups of the original's schedules (doc/cmc.md "Groups"): init, daily, weekly, 5x, 10x.
const std::vector<std::string>& ExtractGroups();

struct ExtractRequest {
  std::string group;                   // one of ExtractGroups(), any case; or
  std::vector<std::string> endpoints;  // endpoint names (run in dependency order)
};

// InvalidArgument naming a bad group or endpoint (and the valid ones), or a request with both or
// neither; checked by Lake::ExtractCmc too, so clients may call it first to tell bad usage apart.
Status ValidateExtractRequest(const ExtractRequest& request);

struct EndpointReport {
  std::string name;
  // extracted: new bronze file(s); unchanged: a map whose ids did not change (nothing written);
  // skipped: nothing to fetch; partial: some chunks failed (what came back is written; the rest
  // is fetched next run); failed: nothing written; not_run: an earlier endpoint stopped the run.
  std::string status;
  int64_t rows = 0;
  std::vector<std::string> files;  // bronze files written, lake-relative
  int64_t requests = 0;
  int64_t credits = 0;
  std::string message;  // why it failed, what was partial or skipped
};

struct ExtractReport {
  std::string group;          // or "" for an endpoint list
  std::string snapshot_date;  // the run's time, "YYYY-MM-DD HH:MM:SS" UTC
  int64_t estimated_credits = 0;
  std::vector<EndpointReport> endpoints;
  int64_t requests = 0;
  int64_t credits = 0;
  // Every endpoint extracted, unchanged or skipped.
  bool ok() const;
};

// Credits spent, as the API's responses reported them (status.credit_count).
struct CreditUsage {
  std::string endpoint;
  int64_t requests = 0;
  int64_t credits = 0;
};

struct CreditReport {
  std::string day;    // "YYYY-MM-DD" (UTC, today)
  std::string month;  // "YYYY-MM"
  int64_t today = 0;
  int64_t this_month = 0;
  int64_t monthly_budget = 0;  // cmc.monthly_credits
  double buffer = 0;           // cmc.credit_buffer
  int64_t usable = 0;          // monthly_budget * (1 - buffer)
  int64_t remaining = 0;       // usable - this_month (may be negative)
  std::vector<CreditUsage> month_by_endpoint;
};

// One endpoint as it stands (`dlake cmc status`).
struct EndpointStatus {
  std::string name;
  std::string last_snapshot;  // snapshot_date of its last successful run; "" before the first
  std::string last_file;      // its newest bronze file (lake-relative); "" when none
  int64_t last_rows = 0;      // rows of the newest snapshot's files (all five listings batches)
  std::string last_run;       // when the last run (successful or not) started; "" if never
  std::string last_status;    // that run's EndpointReport status
  std::string last_message;
  int64_t requests_this_month = 0;
  int64_t credits_this_month = 0;
};

// The JSON forms (doc/json.md).
std::string ToJson(const ExtractReport& report);
std::string ToJson(const CreditReport& report);
std::string ToJson(const std::vector<EndpointStatus>& endpoints);

}  // namespace dlake::cmc
