#pragma once
// CmcClient: GETs against the CoinMarketCap Pro API (../shared/specs/exchange-apis.md §6), paced
// to the plan's requests per minute, with the API's failure modes mapped to Status:
//   401 (1001 invalid key, 1002 key missing), 402 (1003, 1004), 403 (1005-1007)  FailedPrecondition
//   at once, the code and message named; 429 1009/1010 (daily/monthly credits spent)
//   ResourceExhausted-like FailedPrecondition at once; 429 1008/1011 (per-minute or IP limit),
//   5xx, 408, timeouts, resets, HTML and truncated bodies  retried with exponential backoff
//   (4 attempts: the original's 3 retries); 400  InvalidArgument naming the URL and message.
// The API key travels in the X-CMC_PRO_API_KEY header only: never in a URL, a log line or an
// error. Not thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "dlake/common/settings.h"
#include "dlake/common/status.h"
#include "net/api_client.h"

namespace dlake::cmc {

struct CmcClientOptions {
  std::string base_url = "https://pro-api.coinmarketcap.com";  // setting cmc.url
  std::string api_key;                                         // secret
  int64_t requests_per_minute = 30;                            // setting cmc.requests_per_minute
  int64_t window_ms = 60'000;   // the pace's window (tests shorten it)
  int64_t retry_base_ms = 500;  // setting retry_base_ms
  int max_attempts = 4;
  int64_t timeout_ms = 10'000;
};

// The `data` of an accepted response and its `status.credit_count`.
struct CmcResponse {
  nlohmann::json data;
  int64_t credits = 0;
};

// Told of every accepted response: the endpoint path and the credits it cost.
using UsageSink = std::function<Status(const std::string& endpoint, int64_t credits)>;

class CmcClient {
 public:
  static Result<std::unique_ptr<CmcClient>> Make(const CmcClientOptions& options, UsageSink sink);

  // GET base_url + path + "?" + query (query "a=1&b=2", values URL-safe). A response whose
  // `data` is empty (null, [] or {}) is retried like a failure unless `allow_empty` (exchange
  // assets answer empty for most exchanges).
  Result<CmcResponse> Get(const std::string& path, const std::string& query, bool allow_empty);

  const net::ApiStats& stats() const { return api_->stats(); }

 private:
  CmcClient(const CmcClientOptions& options, std::unique_ptr<net::ApiClient> api, UsageSink sink)
      : options_(options), api_(std::move(api)), sink_(std::move(sink)) {}

  CmcClientOptions options_;
  std::unique_ptr<net::ApiClient> api_;
  UsageSink sink_;
};

// The client options from the settings: cmc.url, cmc.requests_per_minute, retry_base_ms, and the
// key from $CMC_API_KEY or else the file named by cmc.key_file (which must not be readable by
// group or others). FailedPrecondition saying how to provide a key when there is none.
Result<CmcClientOptions> ClientOptionsFromSettings(const Settings& settings);

}  // namespace dlake::cmc
