#include "cmc/cmc_client.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "dlake/common/strings.h"

namespace dlake::cmc {
namespace {

// status.error_code, or -1 when the body has no usable status.
int64_t ErrorCode(const nlohmann::json* json) {
  if (json == nullptr || !json->is_object()) return -1;
  auto status = json->find("status");
  if (status == json->end() || !status->is_object()) return -1;
  auto code = status->find("error_code");
  if (code == status->end()) return -1;
  if (code->is_number_integer()) return code->get<int64_t>();
  if (code->is_string()) return std::atoll(code->get<std::string>().c_str());
  return -1;
}

std::string ErrorMessage(const net::HttpResponse& r, const nlohmann::json* json) {
  if (json != nullptr && json->is_object()) {
    auto status = json->find("status");
    if (status != json->end() && status->is_object()) {
      auto message = status->find("error_message");
      if (message != status->end() && message->is_string()) return message->get<std::string>();
    }
  }
  return r.body.substr(0, 120);
}

net::Verdict Retry(Status error, bool rate_limited = false) {
  net::Verdict v;
  v.kind = net::Verdict::kRetry;
  v.rate_limited = rate_limited;
  v.error = std::move(error);
  return v;
}

net::Verdict Fail(Status error) {
  net::Verdict v;
  v.kind = net::Verdict::kFail;
  v.error = std::move(error);
  return v;
}

net::Verdict JudgeCmc(const std::string& url, const net::HttpResponse& r,
                      const nlohmann::json* json) {
  const int64_t code = ErrorCode(json);
  if (r.status == 200 && code == 0) return {};
  const std::string what = "CoinMarketCap answered " + url + " with HTTP " +
                           std::to_string(r.status) +
                           (code >= 0 ? " error_code " + std::to_string(code) : std::string()) +
                           ": " + ErrorMessage(r, json);
  if (r.status >= 500 || r.status == 408) return Retry(Unavailable(what));
  if (json == nullptr || code < 0) {
    return Retry(Unavailable("CoinMarketCap answered ", url, " (HTTP ", r.status,
                             ") with a body that is not its JSON envelope: '", r.body.substr(0, 80),
                             "'"));
  }
  switch (code) {
    case 1008:
    case 1011:
      return Retry(Unavailable(what), /*rate_limited=*/true);
    case 1009:
      return Fail(FailedPrecondition(what, " (the plan's daily credits are spent; try tomorrow)"));
    case 1010:
      return Fail(FailedPrecondition(what, " (the plan's monthly credits are spent)"));
    case 1001:
    case 1002:
      return Fail(FailedPrecondition(what, " (check $CMC_API_KEY or cmc.key_file)"));
    default:
      break;
  }
  if (r.status == 401 || r.status == 402 || r.status == 403) {
    return Fail(FailedPrecondition(what));
  }
  if (r.status == 429) return Retry(Unavailable(what), /*rate_limited=*/true);
  return Fail(InvalidArgument(what));
}

bool IsEmptyData(const nlohmann::json& data) {
  return data.is_null() || ((data.is_array() || data.is_object()) && data.empty());
}

int64_t CreditCount(const nlohmann::json& body) {
  auto status = body.find("status");
  if (status == body.end() || !status->is_object()) return 0;
  auto credits = status->find("credit_count");
  return credits != status->end() && credits->is_number_integer() ? credits->get<int64_t>() : 0;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return FailedPrecondition("cannot read the CoinMarketCap key file '", path,
                              "' (setting cmc.key_file): ", std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition("the CoinMarketCap key file '", path,
                              "' may be read by group or others; chmod 600 it");
  }
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  key = std::string(TrimWhitespace(key));
  if (key.empty()) return FailedPrecondition("the CoinMarketCap key file '", path, "' is empty");
  return key;
}

}  // namespace

Result<std::unique_ptr<CmcClient>> CmcClient::Make(const CmcClientOptions& options,
                                                   UsageSink sink) {
  net::HttpOptions http_options;
  http_options.timeout_ms = options.timeout_ms;
  http_options.headers = {"Accept: application/json", "X-CMC_PRO_API_KEY: " + options.api_key};
  DLAKE_ASSIGN_OR_RETURN(auto http, net::HttpClient::Make(http_options));
  net::ApiClient::Hooks hooks;
  hooks.judge = JudgeCmc;
  hooks.used_cost = [](const net::HttpResponse&) -> int64_t { return -1; };
  auto api = std::make_unique<net::ApiClient>("CoinMarketCap", std::move(http), std::move(hooks));
  net::RateBudget budget;
  budget.window_ms = options.window_ms;
  budget.limit = options.requests_per_minute;
  // 90%: a request sent at the end of our minute may be counted in the server's next one.
  budget.headroom = 0.9;
  api->SetBudget(budget);
  api->SetMaxAttempts(options.max_attempts);
  api->SetBackoffBase(options.retry_base_ms);
  return std::unique_ptr<CmcClient>(new CmcClient(options, std::move(api), std::move(sink)));
}

Result<CmcResponse> CmcClient::Get(const std::string& path, const std::string& query,
                                   bool allow_empty) {
  const std::string url = options_.base_url + path + (query.empty() ? "" : "?" + query);
  Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.retry_base_ms << attempt));
    }
    DLAKE_ASSIGN_OR_RETURN(nlohmann::json body, api_->GetJson(url, 1));
    CmcResponse response;
    response.credits = CreditCount(body);
    if (sink_) DLAKE_RETURN_IF_ERROR(sink_(path, response.credits));
    auto data = body.find("data");
    if (data != body.end()) response.data = std::move(*data);
    if (allow_empty || !IsEmptyData(response.data)) return response;
    last = Unavailable("CoinMarketCap answered ", url, " with empty data");
  }
  return Unavailable(last.message(), " ", options_.max_attempts, " times; giving up");
}

Result<CmcClientOptions> ClientOptionsFromSettings(const Settings& settings) {
  CmcClientOptions options;
  options.base_url = settings.Text(setting::kCmcUrl);
  options.requests_per_minute = settings.Integer(setting::kCmcRequestsPerMinute);
  options.retry_base_ms = settings.Integer(setting::kRetryBaseMs);
  const char* env_key = std::getenv("CMC_API_KEY");
  if (env_key != nullptr && *env_key != '\0') {
    options.api_key = std::string(TrimWhitespace(env_key));
    return options;
  }
  const std::string& key_file = settings.Text(setting::kCmcKeyFile);
  if (key_file.empty()) {
    return FailedPrecondition(
        "no CoinMarketCap API key: set $CMC_API_KEY, or name a file holding it (mode 0600) as "
        "key_file in the [cmc] table of dlake.toml");
  }
  DLAKE_ASSIGN_OR_RETURN(options.api_key, ReadKeyFile(key_file));
  return options;
}

}  // namespace dlake::cmc
