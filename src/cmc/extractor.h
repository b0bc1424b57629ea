#pragma once
// The extractors of the CoinMarketCap endpoints (doc/cmc.md): each fetches its endpoint, writes
// its bronze file(s) and then appends its snapshot line. Private to the cmc module.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cmc/bronze_writer.h"
#include "cmc/cmc_client.h"
#include "cmc/snapshot_log.h"
#include "dlake/cmc/extract.h"
#include "storage/context.h"

namespace dlake::cmc {

struct ExtractContext {
  const StorageContext& storage;
  CmcClient& client;
  BronzeWriter& bronze;
  std::string snapshot_date;  // "YYYY-MM-DD HH:MM:SS" UTC, the run's start
  int64_t today = 0;          // UTC day number of the run's start

  SnapshotLog Log(const std::string& name) const {
    return SnapshotLog(storage.env, storage.root, name);
  }
};

// A failure that must stop the whole run (bad key, plan, credits spent): the client's
// FailedPrecondition. Anything else fails only the endpoint or chunk.
inline bool StopsRun(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition;
}

struct Extractor {
  std::string name;
  std::string path;    // the endpoint's path, "/v1/exchange/map"
  std::string folder;  // its bronze folder, "exchange_map_data"
  // Runs the extract. A returned error that StopsRun() ends the run; other problems are put in
  // the report (status failed or partial) and the run goes on.
  std::function<Status(ExtractContext&, EndpointReport&)> run;
  // Credits the next run of it will cost, from the snapshot state (an upper estimate).
  std::function<int64_t(const ExtractContext&)> estimate;
};

// In dependency order (EndpointNames()).
const std::vector<Extractor>& Extractors();

// ---- Shared pieces of the extractors ----

// The integer ids stored under `field` of the last line of `log`; nullopt without one.
Result<std::optional<std::vector<int64_t>>> LastIds(const SnapshotLog& log, const char* field);
// "1,2,3".
std::string JoinIds(const std::vector<int64_t>& ids, size_t from, size_t count);
// The last line's snapshot_date, or "".
std::string SnapshotDateOf(const std::optional<nlohmann::ordered_json>& line);
// The day number of a line's date_of_next_full_scan ("YYYY-MM-DD"); nullopt when absent, null
// or unreadable.
std::optional<int64_t> NextFullScanDay(const std::optional<nlohmann::ordered_json>& line);
// ceil(a / b).
inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
// GETs one answer of `path` whose `data` must be a list (or an object with `object`). A failure
// that stops the run is returned; any other is put in the report and the result is nullopt.
Result<std::optional<nlohmann::json>> FetchData(ExtractContext& ctx, EndpointReport& report,
                                                const std::string& path, const std::string& query,
                                                bool object = false);
// Marks the report failed (or partial when something was written) with `error`.
void RecordFailure(EndpointReport& report, const Status& error);
// Writes `rows` as a bronze file and records it in the report.
Status WriteBronze(ExtractContext& ctx, EndpointReport& report, const BronzeFile& file,
                   const std::vector<BronzeColumn>& columns,
                   const std::vector<nlohmann::json>& rows);

// The extractors of each domain (extract_exchange.cc, extract_crypto.cc, extract_market.cc).
Extractor ExchangeMapExtractor();
Extractor ExchangeInfoExtractor();
Extractor ExchangeAssetsExtractor();
Extractor CryptoMapExtractor();
Extractor CryptoInfoExtractor();
Extractor ListingsExtractor();
Extractor CategoriesExtractor();
Extractor CategoryLinksExtractor();
Extractor GlobalMetricsExtractor();
Extractor FearGreedLatestExtractor();
Extractor FearGreedHistoryExtractor();

}  // namespace dlake::cmc
