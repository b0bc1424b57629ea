// The fake CoinMarketCap API's server (see fake_cmc.h): routes, admission (key, per-minute
// throttle, credit limits, injected faults), the envelope, credit accounting and the expected-data
// accessors. The universe is in fake_cmc_data.cc, the endpoints in fake_cmc_endpoints.cc.

#include "testing/fake_cmc.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "dlake/common/time.h"
#include "testing/fake_cmc_internal.h"
#include "testing/fake_server.h"

namespace dlake::testing {

using fake_cmc_internal::ApiError;
using fake_cmc_internal::Context;
using fake_cmc_internal::Json;
using fake_cmc_internal::Page;
using fake_cmc_internal::Route;
using fake_exchange_internal::HtmlReply;
using fake_exchange_internal::Reply;
using fake_exchange_internal::ServerSockets;
using fake_exchange_internal::SystemNowMs;
using fake_exchange_internal::Transport;

namespace {

constexpr char kContentType[] = "application/json; charset=utf-8";

Status ValidateOptions(const FakeCmcOptions& o) {
  if (o.cryptos < 100 || o.inactive_cryptos < 0 || o.untracked_cryptos < 0) {
    return InvalidArgument("fake CMC: needs at least 100 active cryptos and no negative counts");
  }
  if (o.exchanges < 20 || o.inactive_exchanges < 0 || o.exchanges_with_assets < 0 ||
      o.exchanges_with_assets > o.exchanges) {
    return InvalidArgument(
        "fake CMC: needs at least 20 active exchanges, exchanges_with_assets in [0, exchanges]");
  }
  if (o.wallets < 0 || o.category_links < 0) {
    return InvalidArgument("fake CMC: wallets and category_links must not be negative");
  }
  if (o.categories < 1 || o.fear_greed_days < 1) {
    return InvalidArgument("fake CMC: needs at least one category and one fear-and-greed day");
  }
  if (o.minute_ms <= 0 || o.requests_per_minute < 0 || o.daily_credit_limit < 0 ||
      o.monthly_credit_limit < 0 || o.map_credits_per_call < 0 || o.exchange_assets_credits < 0) {
    return InvalidArgument("fake CMC: limits and credits must not be negative, minute_ms > 0");
  }
  if (o.api_key.empty()) return InvalidArgument("fake CMC: api_key must not be empty");
  if (o.threads < 2) return InvalidArgument("fake CMC: needs at least 2 threads");
  if (o.port < 0 || o.port > 65535) {
    return InvalidArgument("fake CMC: port ", o.port, " is not in [0, 65535]");
  }
  return Status::Ok();
}

// CMC's documented error codes with their HTTP status (exchange-apis.md §6.2) and message (the
// texts of 1003..1011 other than 1006 and 1008 are [U]).
struct KnownError {
  int code;
  int http_status;
  const char* message;
};
constexpr KnownError kKnownErrors[] = {
    {400, 400, "Invalid value for \"id\""},
    {1001, 401, "This API Key is invalid."},
    {1002, 401, "API key missing."},
    {1003, 402, "Your API Key must be activated. Please go to pro.coinmarketcap.com/account/plan."},
    {1004, 402, "Your API Key's subscription plan has expired."},
    {1005, 403, "An API Key is required for this call."},
    {1006, 403, "Your API Key subscription plan doesn't support this endpoint."},
    {1007, 403, "This API Key has been disabled. Please contact support."},
    {1008, 429,
     "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every minute."},
    {1009, 429, "You've exceeded your API Key's daily rate limit."},
    {1010, 429, "You've exceeded your API Key's monthly rate limit."},
    {1011, 429, "You've hit an IP rate limit."},
};

ApiError KnownApiError(int code) {
  for (const KnownError& e : kKnownErrors) {
    if (e.code == code) return {e.http_status, e.code, e.message};
  }
  return {500, code, "An internal server error occurred."};
}

const char* StatusText(int status) {
  switch (status) {
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

// Replaces `data`'s values with ones of the wrong JSON type (kWrongTypes).
void CorruptTypes(Json& j) {
  if (j.is_array()) {
    for (Json& item : j) CorruptTypes(item);
    return;
  }
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    Json& v = it.value();
    if (it.key() == "id") {
      v = "abc";
    } else if (it.key() == "quote") {
      v = Json::array();
    } else if (v.is_number()) {
      v = Json::object({{"value", v}});
    } else {
      CorruptTypes(v);
    }
  }
}

// Closes the request's connection before a byte is answered: FIN, or RST when `reset` (SO_LINGER
// 0, then /dev/null dup2-ed over the descriptor so cpp-httplib keeps a valid one to close).
void KillConnection(const httplib::Request& req, bool reset) {
  for (int fd : ServerSockets(req.local_port, req.remote_port)) {
    if (!reset) {
      ::shutdown(fd, SHUT_RDWR);
      continue;
    }
    linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
}

int64_t MonthKey(int64_t ms) {
  const CivilDate c = CivilFromDay(DayOf(ms));
  return static_cast<int64_t>(c.year) * 12 + c.month - 1;
}

}  // namespace

struct FakeCmc::State {
  explicit State(const FakeCmcOptions& o)
      : options(o), now_ms(o.now_ms), universe(fake_cmc_internal::BuildUniverse(o, 0)) {}

  int64_t Now() const {
    const int64_t fixed = now_ms.load();
    return fixed != 0 ? fixed : SystemNowMs();
  }

  std::shared_ptr<const FakeCmcUniverse> CurrentUniverse() const {
    std::lock_guard lock(mu);
    return universe;
  }

  void AddRoutes() {
    for (const Route& route : fake_cmc_internal::kRoutes) {
      server.Get(route.path, [this, &route](const httplib::Request& req, httplib::Response& res) {
        Handle(route, req, res);
      });
    }
  }

  // What admission decided before the endpoint runs.
  struct Admission {
    std::optional<Reply> reply;     // answered without the endpoint
    std::optional<CmcFault> fault;  // a fault applied to the endpoint's answer
    int delay_ms = 0;
  };

  void Handle(const Route& route, const httplib::Request& req, httplib::Response& res);
  Admission Admit(const httplib::Request& req);
  std::optional<Reply> CheckKeyAndLimits(const httplib::Request& req, int64_t now);
  std::optional<CmcFault> TakeFault(const std::string& path);
  Reply FaultReply(const CmcFault& fault, int64_t now);
  Reply Answer(const Route& route, const httplib::Request& req, const CmcFault* fault);
  Reply ErrorReply(const ApiError& error, int64_t now, int elapsed);
  bool SleepUnlessStopping(int delay_ms);

  const FakeCmcOptions& options;
  std::atomic<int64_t> now_ms;

  httplib::Server server;
  std::thread thread;
  std::atomic<bool> thread_done{false};

  mutable std::mutex mu;
  std::condition_variable wake;  // slow responses wait on it; notified when stopping
  // Guarded by mu:
  std::shared_ptr<const FakeCmcUniverse> universe;
  bool stopping = false;
  std::deque<CmcFault> faults;
  int64_t window_index = -1;  // the per-minute window: system time / minute_ms
  int64_t window_requests = 0;
  std::map<int64_t, int64_t> credits_by_day;    // DayOf(market time) -> credits
  std::map<int64_t, int64_t> credits_by_month;  // year * 12 + month - 1 -> credits
  FakeCmcStats stats;
};

// ---- Admission ----

Reply FakeCmc::State::ErrorReply(const ApiError& error, int64_t now, int elapsed) {
  Json body = Json::object();
  body["status"] =
      fake_cmc_internal::StatusObject(options, now, error.error_code, error.message, elapsed, 0);
  Reply r = fake_exchange_internal::JsonReply(body, kContentType);
  r.status = error.http_status;
  if (r.status == 429) ++stats.sent_429;  // callers hold mu
  return r;
}

std::optional<Reply> FakeCmc::State::CheckKeyAndLimits(const httplib::Request& req, int64_t now) {
  std::string key = req.get_header_value("X-CMC_PRO_API_KEY");
  if (key.empty()) key = req.get_param_value("CMC_PRO_API_KEY");
  if (key.empty()) return ErrorReply(KnownApiError(1002), now, 0);
  if (key != options.api_key) return ErrorReply(KnownApiError(1001), now, 0);
  if (options.requests_per_minute > 0) {
    const int64_t index = SystemNowMs() / options.minute_ms;
    if (index != window_index) {
      window_index = index;
      window_requests = 0;
    }
    if (++window_requests > options.requests_per_minute) {
      return ErrorReply(KnownApiError(1008), now, 0);
    }
  }
  // A limit is reached once the credits counted reach it; the request that crosses it is served.
  if (options.monthly_credit_limit > 0 &&
      credits_by_month[MonthKey(now)] >= options.monthly_credit_limit) {
    return ErrorReply(KnownApiError(1010), now, 0);
  }
  if (options.daily_credit_limit > 0 && credits_by_day[DayOf(now)] >= options.daily_credit_limit) {
    return ErrorReply(KnownApiError(1009), now, 0);
  }
  return std::nullopt;
}

std::optional<CmcFault> FakeCmc::State::TakeFault(const std::string& path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    CmcFault fault = *it;
    if (it->count > 0 && --it->count == 0) faults.erase(it);
    ++stats.faults_applied;
    return fault;
  }
  return std::nullopt;
}

Reply FakeCmc::State::FaultReply(const CmcFault& fault, int64_t now) {
  Reply r;
  switch (fault.kind) {
    case CmcFaultKind::kDropConnection:
      r.transport = Transport::kDrop;
      return r;
    case CmcFaultKind::kResetConnection:
      r.transport = Transport::kReset;
      return r;
    case CmcFaultKind::kHtmlOk:
      r = HtmlReply(200, "Maintenance");
      r.body =
          "<!DOCTYPE html>\n<html><head><title>CoinMarketCap</title></head><body><h1>We'll be "
          "back soon</h1><p>CoinMarketCap is under maintenance.</p></body></html>\n";
      return r;
    case CmcFaultKind::kHttpError: {
      const std::string title = std::to_string(fault.status) + " " + StatusText(fault.status);
      if (fault.html) return HtmlReply(fault.status, title);
      return ErrorReply({fault.status, fault.status, StatusText(fault.status)}, now, 0);
    }
    default:
      return ErrorReply(KnownApiError(fault.error_code), now, 0);
  }
}

FakeCmc::State::Admission FakeCmc::State::Admit(const httplib::Request& req) {
  Admission a;
  const int64_t now = Now();
  std::lock_guard lock(mu);
  ++stats.requests;
  ++stats.requests_by_path[req.path];
  stats.targets.push_back(req.target);
  a.reply = CheckKeyAndLimits(req, now);
  if (a.reply) return a;
  std::optional<CmcFault> fault = TakeFault(req.path);
  if (!fault) return a;
  switch (fault->kind) {
    case CmcFaultKind::kSlow:
      a.delay_ms = fault->delay_ms;
      break;
    case CmcFaultKind::kTruncatedBody:
    case CmcFaultKind::kCutBody:
    case CmcFaultKind::kEmptyData:
    case CmcFaultKind::kWrongTypes:
      a.fault = fault;
      break;
    default:
      a.reply = FaultReply(*fault, now);
  }
  return a;
}

bool FakeCmc::State::SleepUnlessStopping(int delay_ms) {
  std::unique_lock lock(mu);
  return !wake.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stopping; });
}

// Runs the endpoint on the current universe and market clock; charges the credits of a
// successful answer.
Reply FakeCmc::State::Answer(const Route& route, const httplib::Request& req,
                             const CmcFault* fault) {
  const int64_t now = Now();
  const std::shared_ptr<const FakeCmcUniverse> u = CurrentUniverse();
  std::variant<Page, ApiError> answer =
      fake_cmc_internal::ServeEndpoint(route.endpoint, req, Context{options, *u, now});
  if (auto* error = std::get_if<ApiError>(&answer)) {
    std::lock_guard lock(mu);
    return ErrorReply(*error, now, 1);
  }
  Page& page = std::get<Page>(answer);
  if (fault != nullptr && fault->kind == CmcFaultKind::kEmptyData) {
    page.data = page.data.is_array() ? Json::array() : Json::object();
    page.credits = 1;
  }
  if (fault != nullptr && fault->kind == CmcFaultKind::kWrongTypes) CorruptTypes(page.data);
  const int elapsed = 2 + static_cast<int>(page.data.size() / 100);
  Json body = Json::object();
  body["data"] = std::move(page.data);
  body["status"] = fake_cmc_internal::StatusObject(options, now, 0, "", elapsed, page.credits);
  Reply reply = fake_exchange_internal::JsonReply(body, kContentType);
  std::lock_guard lock(mu);
  stats.credits += page.credits;
  stats.credits_by_path[req.path] += page.credits;
  credits_by_day[DayOf(now)] += page.credits;
  credits_by_month[MonthKey(now)] += page.credits;
  return reply;
}

void FakeCmc::State::Handle(const Route& route, const httplib::Request& req,
                            httplib::Response& res) {
  Admission a = Admit(req);
  if (a.delay_ms > 0 && !SleepUnlessStopping(a.delay_ms)) {
    KillConnection(req, /*reset=*/false);
    return;
  }
  Reply reply;
  if (a.reply) {
    reply = std::move(*a.reply);
  } else {
    try {
      reply = Answer(route, req, a.fault ? &*a.fault : nullptr);
    } catch (const std::exception& e) {
      reply = HtmlReply(500, std::string("fake CMC bug: ") + e.what());
    }
  }
  if (a.fault && a.fault->kind == CmcFaultKind::kTruncatedBody) {
    reply.body.resize(reply.body.size() / 2);
  }
  if (a.fault && a.fault->kind == CmcFaultKind::kCutBody) reply.transport = Transport::kCut;

  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  switch (reply.transport) {
    case Transport::kNormal:
      res.set_content(reply.body, reply.content_type);
      return;
    case Transport::kDrop:
    case Transport::kReset:
      KillConnection(req, reply.transport == Transport::kReset);
      return;
    case Transport::kCut: {
      auto body = std::make_shared<std::string>(std::move(reply.body));
      res.set_content_provider(body->size(), reply.content_type,
                               [body](size_t, size_t, httplib::DataSink& sink) {
                                 sink.write(body->data(), body->size() / 2);
                                 return false;  // closes the connection mid-body
                               });
      return;
    }
  }
}

// ---- FakeCmc ----

FakeCmc::FakeCmc(FakeCmcOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}

Result<std::unique_ptr<FakeCmc>> FakeCmc::Start(FakeCmcOptions options) {
  DLAKE_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<FakeCmc> fake(new FakeCmc(std::move(options)));
  State* state = fake->state_.get();
  const size_t threads = static_cast<size_t>(fake->options_.threads);
  state->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  state->AddRoutes();
  // Without TCP_NODELAY, Nagle and delayed ACKs stall small responses by ~40 ms.
  state->server.set_tcp_nodelay(true);
  // httplib's default SO_REUSEPORT would let a second server bind a port in use and take half of
  // its connections; SO_REUSEADDR alone makes a busy port fail to bind.
  state->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int port = fake->options_.port;
  if (port == 0) {
    port = state->server.bind_to_any_port("127.0.0.1");
    if (port <= 0) return Unavailable("fake CMC: cannot bind a port on 127.0.0.1");
  } else if (!state->server.bind_to_port("127.0.0.1", port)) {
    return Unavailable("fake CMC: cannot bind 127.0.0.1:", port, " (in use?)");
  }
  fake->port_ = port;
  fake->base_url_ = "http://127.0.0.1:" + std::to_string(port);
  state->thread = std::thread([state] {
    state->server.listen_after_bind();
    state->thread_done = true;
  });
  // stop() before listen starts would be lost, leaving the thread serving forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!state->server.is_running() && !state->thread_done) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!state->server.is_running()) {
    return Unavailable("fake CMC: the server on port ", port, " did not start");
  }
  return fake;
}

FakeCmc::~FakeCmc() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
  }
  s.wake.notify_all();
  s.server.stop();
  // Workers idle in keep-alive would wait for their timeout (5 s); end their connections.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.thread.joinable() && !s.thread_done && std::chrono::steady_clock::now() < deadline) {
    for (int fd : ServerSockets(port_, 0)) ::shutdown(fd, SHUT_RDWR);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.thread.joinable()) s.thread.join();
}

int64_t FakeCmc::Now() const { return state_->Now(); }
void FakeCmc::SetNow(int64_t now_ms) { state_->now_ms = now_ms; }
int FakeCmc::Revision() const { return state_->CurrentUniverse()->revision; }

Status FakeCmc::SetRevision(int revision) {
  if (revision < 0) return InvalidArgument("fake CMC: revision ", revision, " is negative");
  std::shared_ptr<const FakeCmcUniverse> u = fake_cmc_internal::BuildUniverse(options_, revision);
  std::lock_guard lock(state_->mu);
  state_->universe = std::move(u);
  return Status::Ok();
}

void FakeCmc::InjectFault(CmcFault fault) {
  if (fault.count == 0) return;
  std::lock_guard lock(state_->mu);
  state_->faults.push_back(std::move(fault));
}

void FakeCmc::ClearFaults() {
  std::lock_guard lock(state_->mu);
  state_->faults.clear();
}

void FakeCmc::ResetLimits() {
  std::lock_guard lock(state_->mu);
  state_->window_index = -1;
  state_->window_requests = 0;
  state_->credits_by_day.clear();
  state_->credits_by_month.clear();
}

FakeCmcStats FakeCmc::Stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

void FakeCmc::ResetStats() {
  std::lock_guard lock(state_->mu);
  state_->stats = FakeCmcStats();
}

int64_t FakeCmc::CreditsToday() const {
  const int64_t day = DayOf(Now());
  std::lock_guard lock(state_->mu);
  auto it = state_->credits_by_day.find(day);
  return it == state_->credits_by_day.end() ? 0 : it->second;
}

int64_t FakeCmc::CreditsThisMonth() const {
  const int64_t month = MonthKey(Now());
  std::lock_guard lock(state_->mu);
  auto it = state_->credits_by_month.find(month);
  return it == state_->credits_by_month.end() ? 0 : it->second;
}

// ---- Expected data ----

std::shared_ptr<const FakeCmcUniverse> FakeCmc::Universe() const {
  return state_->CurrentUniverse();
}

FakeCmcTotals FakeCmc::Totals() const {
  const std::shared_ptr<const FakeCmcUniverse> u = Universe();
  FakeCmcTotals t;
  for (const FakeCmcCrypto& c : u->cryptos) {
    ++(c.status == CmcListingStatus::kActive     ? t.active_cryptos
       : c.status == CmcListingStatus::kInactive ? t.inactive_cryptos
                                                 : t.untracked_cryptos);
  }
  for (const FakeCmcExchange& e : u->exchanges)
    ++(e.active ? t.active_exchanges : t.inactive_exchanges);
  t.exchanges_with_assets = static_cast<int64_t>(u->wallets.size());
  for (const auto& [id, wallets] : u->wallets) t.wallets += static_cast<int64_t>(wallets.size());
  t.categories = static_cast<int64_t>(u->categories.size());
  for (const FakeCmcCategory& c : u->categories) {
    t.category_links += static_cast<int64_t>(c.coin_ids.size());
  }
  t.fear_greed_points = options_.fear_greed_days;
  return t;
}

std::vector<int64_t> FakeCmc::CryptoIds(CmcListingStatus status) const {
  std::vector<int64_t> ids;
  for (const FakeCmcCrypto& c : Universe()->cryptos) {
    if (c.status == status) ids.push_back(c.id);
  }
  return ids;
}

std::vector<int64_t> FakeCmc::ListingIdsByRank() const { return Universe()->ids_by_rank; }

std::vector<int64_t> FakeCmc::ExchangeIds(bool active) const {
  std::vector<int64_t> ids;
  for (const FakeCmcExchange& e : Universe()->exchanges) {
    if (e.active == active) ids.push_back(e.id);
  }
  return ids;
}

std::vector<int64_t> FakeCmc::ExchangesWithAssets() const {
  std::vector<int64_t> ids;
  for (const auto& [id, wallets] : Universe()->wallets) ids.push_back(id);
  return ids;
}

std::vector<std::string> FakeCmc::CategoryIds() const {
  std::vector<std::string> ids;
  for (const FakeCmcCategory& c : Universe()->categories) ids.push_back(c.id);
  return ids;
}

Result<std::vector<int64_t>> FakeCmc::CategoryCoinIds(std::string_view category_id) const {
  const std::shared_ptr<const FakeCmcUniverse> u = Universe();
  const FakeCmcCategory* c = u->FindCategory(category_id);
  if (c == nullptr) return NotFound("fake CMC: no category '", category_id, "'");
  return c->coin_ids;
}

Result<FakeCmcQuote> FakeCmc::Quote(int64_t crypto_id) const {
  const std::shared_ptr<const FakeCmcUniverse> u = Universe();
  const FakeCmcCrypto* c = u->FindCrypto(crypto_id);
  if (c == nullptr || c->status != CmcListingStatus::kActive) {
    return NotFound("fake CMC: no active crypto with id ", crypto_id);
  }
  return fake_cmc_internal::QuoteOf(*c, fake_cmc_internal::MomentAt(*u, options_.seed, Now()));
}

std::vector<FakeFearGreedPoint> FakeCmc::FearGreedHistory() const {
  return fake_cmc_internal::FearGreedHistory(options_, Now());
}

FakeFearGreedPoint FakeCmc::FearGreedLatest() const {
  return fake_cmc_internal::FearGreedLatest(options_, Now());
}

}  // namespace dlake::testing
