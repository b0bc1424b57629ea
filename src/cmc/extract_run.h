#pragma once
// Runs the extractors of a group or an endpoint list (doc/cmc.md "Groups", "Credits"), and the
// credit report. Called by dlake::Lake.

#include <cstdint>

#include "cmc/cmc_client.h"
#include "dlake/cmc/extract.h"
#include "storage/context.h"

namespace dlake::cmc {

struct ExtractOptions {
  CmcClientOptions client;
  int64_t now_ms = 0;               // the run's time (the lake's Env clock)
  int64_t monthly_credits = 10000;  // cmc.monthly_credits
  double credit_buffer = 0.35;      // cmc.credit_buffer
};

// Validates the request (InvalidArgument naming a bad group or endpoint and the valid ones),
// refuses a run whose estimated credits would cross the usable monthly budget
// (FailedPrecondition naming the budget, before any request), then runs the extractors in order.
// A failure that stops the run (bad key, plan, credits spent) ends it: the rest are not_run.
Result<ExtractReport> RunExtract(const StorageContext& storage, const ExtractRequest& request,
                                 const ExtractOptions& options);

// Every endpoint's last snapshot, newest bronze file, last run and credits this month.
Result<std::vector<EndpointStatus>> ExtractStatus(const StorageContext& storage, int64_t now_ms);

Result<CreditReport> CreditsSpent(const StorageContext& storage, int64_t now_ms,
                                  int64_t monthly_credits, double credit_buffer);

// Run times: "YYYY-MM-DD_HH-MM-SS" (file names), "YYYY-MM-DD HH:MM:SS" (snapshot lines) and
// ISO-8601 with microseconds and "+00:00" (the date_snapshot column), all UTC.
std::string FileStamp(int64_t ms);
std::string SnapshotDate(int64_t ms);
std::string IsoSnapshot(int64_t ms);

}  // namespace dlake::cmc
