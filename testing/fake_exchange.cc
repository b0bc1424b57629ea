#include "testing/fake_exchange.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "testing/fake_market_data.h"
#include "testing/fake_server.h"

namespace dlake::testing {

// The server's state; FakeServer (fake_server.h) is all of it.
struct FakeExchange::State : fake_exchange_internal::FakeServer {
  using FakeServer::FakeServer;
};

namespace {

using fake_exchange_internal::AlignUp;
using fake_exchange_internal::DecimalValue;
using fake_exchange_internal::Interval;
using fake_exchange_internal::kFarFuture;
using fake_exchange_internal::kMinTime;
using fake_exchange_internal::ParseInterval;
using fake_exchange_internal::RateWindow;
using fake_exchange_internal::Series;
using fake_exchange_internal::ServerSockets;
using fake_exchange_internal::SystemNowMs;
using fake_exchange_internal::ToFakeCandle;

constexpr int64_t kEarliest = -31 * kMsPerDay;  // before any candle (listing_ms >= 0)

Status ValidateOptions(const FakeExchangeOptions& o) {
  if (o.binance_window_ms <= 0 || o.bybit_window_ms <= 0) {
    return InvalidArgument("fake exchange: rate-limit windows must be positive");
  }
  if (o.threads < 2) return InvalidArgument("fake exchange: needs at least 2 threads");
  for (const FakeSymbol& s : o.symbols) {
    const std::string name = "fake symbol '" + s.symbol + "'";
    if (s.symbol.empty() || s.markets.empty()) {
      return InvalidArgument(name, ": needs a name and at least one market");
    }
    if (s.price_decimals < 0 || s.qty_decimals < 0 || s.price_decimals + s.qty_decimals > 8) {
      return InvalidArgument(name, ": price_decimals + qty_decimals must be in [0, 8]");
    }
    if (s.base_price <= 0 || s.volume_per_minute <= 0 || s.funding_interval_ms <= 0 ||
        s.listing_ms < 0) {
      return InvalidArgument(name,
                             ": base_price, volume_per_minute and funding_interval_ms "
                             "must be positive and listing_ms not negative");
    }
    for (const FakeTimeRange& r : s.downtime) {
      if (r.start_ms >= r.end_ms) return InvalidArgument(name, ": empty downtime range");
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<FakeSymbol> DefaultFakeSymbols() {
  constexpr int64_t k20200101 = 1577836800000;
  FakeSymbol btc{.symbol = "BTCUSDT",
                 .base = "BTC",
                 .quote = "USDT",
                 .markets = {FakeMarket::kBinanceSpot, FakeMarket::kBinanceUsdm,
                             FakeMarket::kBybitSpot, FakeMarket::kBybitLinear},
                 .listing_ms = k20200101,
                 .base_price = 30000.0};
  FakeSymbol eth = btc;
  eth.symbol = "ETHUSDT";
  eth.base = "ETH";
  eth.listing_ms = 1591014600000;  // 2020-06-01T12:30:00Z
  eth.base_price = 2000.0;
  eth.volume_per_minute = 50.0;
  FakeSymbol inverse{.symbol = "BTCUSD",
                     .base = "BTC",
                     .quote = "USD",
                     .markets = {FakeMarket::kBybitInverse},
                     .listing_ms = k20200101,
                     .base_price = 30000.0,
                     .price_decimals = 1,
                     .qty_decimals = 3};
  return {btc, eth, inverse};
}

FakeExchange::FakeExchange(FakeExchangeOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}

Result<std::unique_ptr<FakeExchange>> FakeExchange::Start(FakeExchangeOptions options) {
  DLAKE_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<FakeExchange> fake(new FakeExchange(std::move(options)));
  State* state = fake->state_.get();
  const size_t threads = static_cast<size_t>(fake->options_.threads);
  state->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  state->AddRoutes();
  // Without TCP_NODELAY, Nagle and delayed ACKs stall ~40% of small responses by ~40 ms.
  state->server.set_tcp_nodelay(true);
  const int port = state->server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return Unavailable("fake exchange: cannot bind a port on 127.0.0.1");
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
    return Unavailable("fake exchange: the server on port ", port, " did not start");
  }
  return fake;
}

FakeExchange::~FakeExchange() {
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

int64_t FakeExchange::Now() const { return state_->Now(); }
void FakeExchange::SetNow(int64_t now_ms) { state_->now_ms = now_ms; }

void FakeExchange::InjectFault(FaultSpec fault) {
  if (fault.count == 0) return;
  std::lock_guard lock(state_->mu);
  state_->faults.push_back(std::move(fault));
}

void FakeExchange::ClearFaults() {
  std::lock_guard lock(state_->mu);
  state_->faults.clear();
}

void FakeExchange::Ban(FakeApi api, int64_t duration_ms) {
  std::lock_guard lock(state_->mu);
  state_->windows[static_cast<int>(api)].ban_until_ms = SystemNowMs() + duration_ms;
}

void FakeExchange::ResetLimits() {
  std::lock_guard lock(state_->mu);
  for (RateWindow& w : state_->windows) w = RateWindow();
  state_->usdm_funding = RateWindow();
}

FakeExchangeStats FakeExchange::Stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

void FakeExchange::ResetStats() {
  std::lock_guard lock(state_->mu);
  state_->stats = FakeExchangeStats();
}

int64_t FakeExchange::UsedInWindow(FakeApi api) const {
  std::lock_guard lock(state_->mu);
  const RateWindow& w = state_->windows[static_cast<int>(api)];
  const int64_t length =
      api == FakeApi::kBybit ? options_.bybit_window_ms : options_.binance_window_ms;
  return w.index == SystemNowMs() / length ? w.used : 0;
}

Result<std::vector<FakeCandle>> FakeExchange::ExpectedCandles(FakeMarket market,
                                                              std::string_view symbol,
                                                              std::string_view interval,
                                                              int64_t from_ms,
                                                              int64_t to_ms) const {
  const Series* s = state_->FindSeries(market, symbol);
  if (s == nullptr) return NotFound("fake exchange: no symbol '", symbol, "' on this market");
  const std::optional<Interval> iv = ParseInterval(market, interval);
  if (!iv) return InvalidArgument("fake exchange: no interval '", interval, "' on this market");
  const int64_t now = Now();
  std::vector<FakeCandle> out;
  for (int64_t open : s->OpensAscending(*iv, AlignUp(*iv, std::max(from_ms, kEarliest)),
                                        std::min(to_ms, kFarFuture), SIZE_MAX, now)) {
    out.push_back(ToFakeCandle(s->Candle(*iv, open, now), s->symbol()));
  }
  return out;
}

Result<std::vector<FakeFunding>> FakeExchange::ExpectedFunding(FakeMarket market,
                                                               std::string_view symbol,
                                                               int64_t from_ms,
                                                               int64_t to_ms) const {
  if (market == FakeMarket::kBinanceSpot || market == FakeMarket::kBybitSpot) {
    return InvalidArgument("fake exchange: spot markets have no funding");
  }
  const Series* s = state_->FindSeries(market, symbol);
  if (s == nullptr) return NotFound("fake exchange: no symbol '", symbol, "' on this market");
  std::vector<FakeFunding> out;
  for (int64_t t : s->FundingAscending(std::max(from_ms, kMinTime), std::min(to_ms, kFarFuture),
                                       SIZE_MAX, Now())) {
    out.push_back({t, DecimalValue(s->FundingRateUnits(t), 8),
                   DecimalValue(s->PriceTicks(t), s->symbol().price_decimals)});
  }
  return out;
}

}  // namespace dlake::testing
