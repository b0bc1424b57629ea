#pragma once
// Rate-limited, retrying JSON GETs against one exchange API.
//
// The limiter keeps the requests' cost (Binance request weight, Bybit request count) within the
// exchange's published budget per fixed calendar window, counting both its own spending and the
// server's report of the weight used (X-MBX-USED-WEIGHT-*), so that a normal download never draws
// a 429. On 429 it waits for Retry-After (or backs off exponentially with jitter) and retries;
// 5xx, timeouts, resets, truncated and non-JSON bodies are retried a bounded number of times; a
// ban (418, Bybit 403) stops at once with an error naming the ban and its length.
//
// Well-formed JSON of the wrong shape (`"symbols": 3`, a kline row of objects, `"msg": 5`) is
// not retried: the same request gets the same body back (a changed API, a proxy's own answer),
// so retrying only spends the rate budget. It fails at once as Unavailable (UnexpectedJsonBody),
// whether the hooks below or a client's parsing of the accepted body (ParseJsonBody) find it;
// Unavailable because a later run may find the service answering normally again.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "dlake/common/status.h"
#include "net/http_client.h"

namespace dlake::net {

struct RateBudget {
  int64_t window_ms = 60000;  // fixed calendar windows (Binance: 1 MINUTE)
  int64_t limit = 6000;       // cost allowed per window
  double headroom = 0.95;     // share of `limit` the client plans to use
};

struct ApiStats {
  int64_t requests = 0;
  int64_t retries = 0;
  int64_t rate_limited = 0;     // 429s received
  int64_t cost = 0;             // weight spent
  int64_t waited_ms = 0;        // time spent waiting for the limiter or Retry-After
  int64_t max_window_cost = 0;  // highest cost seen in one window (own count or server's)
  int64_t window_limit = 0;     // the budget's limit per window
  int64_t window_ms = 0;
};

// What to do with a response, decided by the exchange's rules.
struct Verdict {
  enum Kind { kOk, kRetry, kFail } kind = kOk;
  int64_t retry_after_ms = -1;  // kRetry: wait this long (-1 = exponential backoff)
  bool rate_limited = false;    // kRetry because of a rate limit (counted in stats)
  Status error;                 // kFail
};

class ApiClient {
 public:
  // A hook that throws nlohmann::json::exception (a field of an unexpected type) fails the
  // request with UnexpectedJsonBody, without retrying.
  struct Hooks {
    // Judges an HTTP response whose body may or may not be valid JSON (`json` is null then).
    std::function<Verdict(const std::string& url, const HttpResponse&, const nlohmann::json* json)>
        judge;
    // The server's count of the cost used in the current window, or -1.
    std::function<int64_t(const HttpResponse&)> used_cost;
  };

  // `name` ("Binance USD-M") starts the client's error messages.
  ApiClient(std::string name, std::unique_ptr<HttpClient> http, Hooks hooks);

  const std::string& name() const { return name_; }

  void SetBudget(const RateBudget& budget);
  const RateBudget& budget() const { return budget_; }
  void SetMaxAttempts(int attempts) { max_attempts_ = attempts; }
  // First backoff step; later ones double (with jitter) up to 30 s. Default 500 ms (the
  // setting retry_base_ms).
  void SetBackoffBase(int64_t ms) { backoff_base_ms_ = ms; }
  const ApiStats& stats() const { return stats_; }

  // GET `url` costing `cost`; the parsed body of an accepted response. Read it inside
  // ParseJsonBody: its shape is whatever the server sent.
  Result<nlohmann::json> GetJson(const std::string& url, int64_t cost);

 private:
  // The hooks' verdict on a response; a hook's nlohmann::json::exception fails it.
  Verdict Judge(const std::string& url, int64_t window, const HttpResponse& response,
                const nlohmann::json* json);
  void WaitForBudget(int64_t cost);
  void Observe(int64_t window, int64_t server_used);
  void Sleep(int64_t ms);

  std::string name_;
  std::unique_ptr<HttpClient> http_;
  Hooks hooks_;
  RateBudget budget_;
  int max_attempts_ = 6;
  int64_t backoff_base_ms_ = 500;
  ApiStats stats_;
  int64_t window_ = -1;      // index of the current calendar window
  int64_t window_cost_ = 0;  // cost spent in it (own count, raised to the server's)
};

// Milliseconds since the epoch (system clock).
int64_t WallClockMs();

// Unavailable("<api_name> answered <url> with an unexpected body: <what>").
Status UnexpectedJsonBody(std::string_view api_name, std::string_view url, std::string_view what);

// Runs `parse`, a callable taking no arguments that reads the JSON body `api_name` (an
// ApiClient::name()) accepted from `url` and returns a Status or a Result<T>, and returns what it
// returns, except that:
//  - a nlohmann::json::exception it throws (the body is valid JSON with a field of the wrong type
//    or missing: `"symbols": 3` read with value(), at() of an absent key) becomes
//    UnexpectedJsonBody(api_name, url, e.what());
//  - an error it returns gets the same "<api_name> answered <url> with an unexpected body: "
//    prefix and keeps its code, so `parse` returns only errors about the body's shape
//    (Unavailable("'list' is not an array")) and need not repeat the URL.
// Other exceptions pass through. The caller does not retry (see the header comment). Use it
// around every read of a response body, so that no exception of the JSON library leaves a
// client's API:
//   DLAKE_ASSIGN_OR_RETURN(auto body, api.GetJson(url, 1));
//   return ParseJsonBody(api.name(), url, [&]() -> Result<Page> { return ParsePage(body); });
template <typename Parse>
std::invoke_result_t<Parse&> ParseJsonBody(std::string_view api_name, std::string_view url,
                                           Parse&& parse) {
  try {
    auto result = parse();
    if (result.ok()) return result;
    const Status error = ::dlake::internal::ToStatus(result);
    return Status(error.code(), UnexpectedJsonBody(api_name, url, error.message()).message());
  } catch (const nlohmann::json::exception& e) {
    return UnexpectedJsonBody(api_name, url, e.what());
  }
}

}  // namespace dlake::net
