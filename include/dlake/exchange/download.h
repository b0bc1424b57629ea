#pragma once
// Exchange downloads (dlake download-symbols / download-history): requests and reports.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dlake/aggregate/aggregate.h"
#include "dlake/catalog/known_gap.h"
#include "dlake/common/dataset.h"
#include "dlake/common/status.h"

namespace dlake {

struct DownloadProgress {
  std::string dataset;     // BINANCE/FUTURES/BTCUSDT/raw/1m or .../alt/funding
  int64_t range_from = 0;  // the span being filled, ms
  int64_t range_to = 0;
  int64_t position = 0;  // fetched up to here
  int64_t rows = 0;      // written so far for this dataset
  int64_t requests = 0;  // all requests so far
  int64_t retries = 0;
};

struct DownloadRequest {
  std::string exchange;              // binance | bybit (any case)
  std::string market;                // SPOT | FUTURES | LINEAR | INVERSE; "" = from the symbol
                                     // (unified) or the default (Binance FUTURES, Bybit LINEAR)
  std::vector<std::string> symbols;  // BTCUSDT, BTC/USDT:USDT, BTC/USDT
  std::string period = "1m";
  int64_t start = std::numeric_limits<int64_t>::min();  // unset: after what is stored, or
                                                        // from listing when nothing is
  int64_t end = std::numeric_limits<int64_t>::max();    // unset: now (open candle excluded)
  int days = 0;                                         // > 0: start = now - days
  bool funding = false;                                 // also funding rates (derivatives)
  // Called after every page, on the calling thread. A non-OK status stops the download: it is
  // returned as is, and what was committed before stays (the next download resumes there).
  std::function<Status(const DownloadProgress&)> progress;
  // Periods to bring up to date after the candles are written (`--aggregate`); nullopt = the
  // `aggregate` setting.
  std::optional<std::vector<std::string>> aggregate;
};

struct DatasetDownload {
  DatasetId dataset;
  int64_t rows_written = 0;       // new or changed rows fetched and stored
  int64_t ranges_fetched = 0;     // missing spans asked for
  std::vector<KnownGap> gaps;     // spans the exchange answered with no data (recorded)
  bool already_complete = false;  // nothing was missing
};

struct DownloadReport {
  std::vector<DatasetDownload> datasets;
  int64_t requests = 0;
  int64_t retries = 0;
  int64_t rate_limited = 0;  // 429s received
  int64_t waited_ms = 0;     // time spent waiting: rate limiter, Retry-After, retry backoff
  int64_t max_window_cost = 0;
  int64_t window_limit = 0;
  AggregateReport aggregated;  // the aggregates brought up to date afterwards
};

}  // namespace dlake
