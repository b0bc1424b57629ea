#include "net/api_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

namespace dlake::net {

int64_t WallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Status UnexpectedJsonBody(std::string_view api_name, std::string_view url, std::string_view what) {
  return Unavailable(api_name, " answered ", url, " with an unexpected body: ", what);
}

ApiClient::ApiClient(std::string name, std::unique_ptr<HttpClient> http, Hooks hooks)
    : name_(std::move(name)), http_(std::move(http)), hooks_(std::move(hooks)) {}

void ApiClient::SetBudget(const RateBudget& budget) {
  budget_ = budget;
  stats_.window_limit = budget.limit;
  stats_.window_ms = budget.window_ms;
}

void ApiClient::Sleep(int64_t ms) {
  if (ms <= 0) return;
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  stats_.waited_ms += ms;
}

void ApiClient::WaitForBudget(int64_t cost) {
  // A request dearer than the planned share still goes, alone in a fresh window.
  const int64_t allowed = std::max<int64_t>(
      cost, static_cast<int64_t>(static_cast<double>(budget_.limit) * budget_.headroom));
  while (true) {
    const int64_t now = WallClockMs();
    const int64_t window = now / budget_.window_ms;
    if (window != window_) {
      window_ = window;
      window_cost_ = 0;
    }
    if (window_cost_ + cost <= allowed) {
      window_cost_ += cost;
      stats_.max_window_cost = std::max(stats_.max_window_cost, window_cost_);
      return;
    }
    // Wait for the next window (plus a little for clock skew between us and the server).
    Sleep((window + 1) * budget_.window_ms - now + 20);
  }
}

void ApiClient::Observe(int64_t window, int64_t server_used) {
  if (server_used < 0 || window != window_) return;
  window_cost_ = std::max(window_cost_, server_used);
  stats_.max_window_cost = std::max(stats_.max_window_cost, window_cost_);
}

Verdict ApiClient::Judge(const std::string& url, int64_t window, const HttpResponse& response,
                         const nlohmann::json* json) {
  try {
    Observe(window, hooks_.used_cost(response));
    return hooks_.judge(url, response, json);
  } catch (const nlohmann::json::exception& e) {
    // A body of the wrong shape comes back the same on a retry.
    Verdict verdict;
    verdict.kind = Verdict::kFail;
    verdict.error = UnexpectedJsonBody(name_, url, e.what());
    return verdict;
  }
}

Result<nlohmann::json> ApiClient::GetJson(const std::string& url, int64_t cost) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  Status last_error;
  for (int attempt = 0; attempt < max_attempts_; ++attempt) {
    if (attempt > 0) ++stats_.retries;
    WaitForBudget(cost);
    const int64_t window = window_;
    ++stats_.requests;
    stats_.cost += cost;
    auto response = http_->Get(url);
    Verdict verdict;
    if (!response.ok()) {
      verdict.kind = Verdict::kRetry;  // timeouts, resets, refused connections
      last_error = response.status();
    } else {
      nlohmann::json json = nlohmann::json::parse(response->body, nullptr, false);
      verdict = Judge(url, window, *response, json.is_discarded() ? nullptr : &json);
      if (verdict.kind == Verdict::kOk) return json;
      if (verdict.kind == Verdict::kFail) return verdict.error;
      last_error = verdict.error;
    }
    if (verdict.rate_limited) ++stats_.rate_limited;
    int64_t wait = verdict.retry_after_ms;
    if (wait < 0) {
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at 30 s.
      const int64_t cap = std::min<int64_t>(30000, backoff_base_ms_ << std::min(attempt, 6));
      wait = std::uniform_int_distribution<int64_t>(cap / 2, cap)(rng);
    }
    spdlog::info("{}: {}; retrying in {} ms", name_, last_error.message(), wait);
    Sleep(wait);
  }
  return Unavailable(name_, ": giving up after ", max_attempts_,
                     " attempts: ", last_error.message());
}

}  // namespace dlake::net
