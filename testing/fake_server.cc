#include "testing/fake_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>

namespace dlake::testing::fake_exchange_internal {
namespace {

constexpr Route kRoutes[] = {
    {"/api/v3/klines", FakeApi::kBinanceSpot, FakeMarket::kBinanceSpot, Endpoint::kBinanceKlines},
    {"/api/v3/exchangeInfo", FakeApi::kBinanceSpot, FakeMarket::kBinanceSpot,
     Endpoint::kBinanceExchangeInfo},
    {"/fapi/v1/klines", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm, Endpoint::kBinanceKlines},
    {"/fapi/v1/exchangeInfo", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm,
     Endpoint::kBinanceExchangeInfo},
    {"/fapi/v1/fundingRate", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm,
     Endpoint::kBinanceFunding},
    {"/v5/market/kline", FakeApi::kBybit, FakeMarket::kBybitLinear, Endpoint::kBybitKline},
    {"/v5/market/instruments-info", FakeApi::kBybit, FakeMarket::kBybitLinear,
     Endpoint::kBybitInstruments},
    {"/v5/market/funding/history", FakeApi::kBybit, FakeMarket::kBybitLinear,
     Endpoint::kBybitFunding},
};

std::string MarketKey(FakeMarket market, std::string_view symbol) {
  return std::to_string(static_cast<int>(market)) + ":" + std::string(symbol);
}

std::string StatusTitle(int status) {
  switch (status) {
    case 408:
      return "408 Request Timeout";
    case 500:
      return "500 Internal Server Error";
    case 502:
      return "502 Bad Gateway";
    case 503:
      return "503 Service Temporarily Unavailable";
    case 504:
      return "504 Gateway Time-out";
    default:
      return std::to_string(status) + " Error";
  }
}

// Closes the request's connection before a byte is answered: FIN (the client reads an empty
// reply), or RST when `reset`. For RST the socket is closed with SO_LINGER 0 by dup2-ing
// /dev/null over its descriptor, so cpp-httplib keeps a valid descriptor to fail on and close.
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

}  // namespace

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// ---- HTTP replies ----

Reply JsonReply(const Json& body, std::string content_type) {
  Reply r;
  r.body = body.dump();
  r.content_type = std::move(content_type);
  return r;
}

Reply HtmlReply(int status, std::string_view title) {
  Reply r;
  r.status = status;
  r.content_type = "text/html";
  r.body = std::string("<html>\r\n<head><title>") + std::string(title) +
           "</title></head>\r\n<body>\r\n<center><h1>" + std::string(title) +
           "</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n";
  return r;
}

// ---- Shared pieces of the wire formats ----

void AppendQuoted(std::string* out, const std::string& text) {
  *out += '"';
  *out += text;
  *out += '"';
}

std::string Tick(const FakeSymbol& s, int decimals) {
  return FormatFixed(1, s.price_decimals, decimals);
}
std::string Lot(const FakeSymbol& s, int decimals) {
  return FormatFixed(1, s.qty_decimals, decimals);
}

Json Filter(std::initializer_list<std::pair<const char*, Json>> fields) {
  Json f = Json::object();
  for (const auto& [k, v] : fields) f[k] = v;
  return f;
}

Json ArrayAsObject(const Json& array) {
  Json out = Json::object();
  for (size_t i = 0; i < array.size(); ++i) out[std::to_string(i)] = array[i];
  return out;
}

Json ObjectAsArray(const Json& object) {
  Json out = Json::array();
  for (const Json& value : object) out.push_back(value);
  return out;
}

// ---- Query parameters ----

std::optional<int64_t> IntParam(const httplib::Request& req, const char* name, bool* bad) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string text = req.get_param_value(name);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 20 || ec != std::errc() || ptr != text.data() + text.size() ||
      value < 0) {
    *bad = true;
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> TimeParam(const httplib::Request& req, const char* name, bool* bad) {
  auto v = IntParam(req, name, bad);
  if (v) v = std::min(*v, kFarFuture);
  return v;
}

// ---- Connections ----

std::vector<int> ServerSockets(int port, int peer_port) {
  std::vector<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == ::dirfd(dir)) continue;
    sockaddr_in local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != port) {
      continue;
    }
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (peer_port != 0 && ntohs(peer.sin_port) != peer_port) continue;
    out.push_back(fd);
  }
  ::closedir(dir);
  return out;
}

// ---- The server ----

FakeServer::FakeServer(const FakeExchangeOptions& opts) : options(opts), now_ms(opts.now_ms) {
  for (const FakeSymbol& s : options.symbols) {
    for (FakeMarket m : s.markets) series.emplace(MarketKey(m, s.symbol), Series(s, m));
  }
}

void FakeServer::AddRoutes() {
  for (const Route& route : kRoutes) {
    server.Get(route.path, [this, &route](const httplib::Request& req, httplib::Response& res) {
      Handle(route, req, res);
    });
  }
}

const Series* FakeServer::FindSeries(FakeMarket market, std::string_view symbol) const {
  auto it = series.find(MarketKey(market, symbol));
  return it == series.end() ? nullptr : &it->second;
}

std::vector<const Series*> FakeServer::MarketSeries(FakeMarket market) const {
  std::vector<const Series*> out;
  for (const auto& [key, s] : series) {
    if (s.market() == market) out.push_back(&s);
  }
  std::sort(out.begin(), out.end(), [](const Series* a, const Series* b) {
    return a->symbol().symbol < b->symbol().symbol;
  });
  return out;
}

// ---- Admission: counters, bans, faults ----

void FakeServer::Record(const httplib::Request& req) {
  std::lock_guard lock(mu);
  ++stats.requests;
  ++stats.requests_by_path[req.path];
  stats.targets.push_back(req.target);
}

std::optional<FaultSpec> FakeServer::TakeFault(const std::string& path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    FaultSpec fault = *it;
    if (it->count > 0 && --it->count == 0) faults.erase(it);
    ++stats.faults_applied;
    return fault;
  }
  return std::nullopt;
}

FakeServer::Admission FakeServer::Admit(const Route& route, const httplib::Request& req) {
  Admission a;
  const int64_t now_real = SystemNowMs();
  std::lock_guard lock(mu);
  a.reply = route.api == FakeApi::kBybit ? AdmitBybit(now_real, &a.headers)
                                         : AdmitBinance(route, req, now_real, &a.headers);
  if (a.reply) return a;
  std::optional<FaultSpec> fault = TakeFault(req.path);
  if (!fault) return a;
  switch (fault->kind) {
    case FaultKind::kSlow:
      a.delay_ms = fault->delay_ms;
      break;
    case FaultKind::kTruncatedBody:
    case FaultKind::kCutBody:
      a.body_fault = fault->kind;
      break;
    case FaultKind::kWrongTypes:
      if (fault->wrong_type == WrongType::kErrorMessage) {
        a.reply = FaultReply(route, *fault);
      } else {
        a.wrong_type = fault->wrong_type;
      }
      break;
    default:
      a.reply = FaultReply(route, *fault);
  }
  return a;
}

Reply FakeServer::FaultReply(const Route& route, const FaultSpec& fault) {
  switch (fault.kind) {
    case FaultKind::kDropConnection:
    case FaultKind::kResetConnection: {
      Reply r;
      r.transport = fault.kind == FaultKind::kDropConnection ? Transport::kDrop : Transport::kReset;
      return r;
    }
    case FaultKind::kHtmlOk: {
      Reply r = HtmlReply(200, "System maintenance");
      r.body =
          "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body><h1>We'll be "
          "back soon</h1><p>The system is under maintenance.</p></body></html>\n";
      return r;
    }
    case FaultKind::kHttpError:
      if (fault.html) return HtmlReply(fault.status, StatusTitle(fault.status));
      break;
    default:
      break;
  }
  return route.api == FakeApi::kBybit ? BybitFaultReply(fault) : BinanceFaultReply(route, fault);
}

bool FakeServer::SleepUnlessStopping(int delay_ms) {
  std::unique_lock lock(mu);
  return !wake.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stopping; });
}

void FakeServer::Handle(const Route& route, const httplib::Request& req, httplib::Response& res) {
  Record(req);
  Admission a = Admit(route, req);
  if (a.delay_ms > 0 && !SleepUnlessStopping(a.delay_ms)) {
    KillConnection(req, /*reset=*/false);
    return;
  }
  Reply reply;
  if (a.reply) {
    reply = std::move(*a.reply);
  } else {
    try {
      reply = Serve(route, req);
    } catch (const std::exception& e) {
      reply = HtmlReply(500, std::string("fake exchange bug: ") + e.what());
    }
  }
  if (a.wrong_type && reply.status == 200) BreakTypes(route, *a.wrong_type, &reply);
  if (a.body_fault == FaultKind::kTruncatedBody) reply.body.resize(reply.body.size() / 2);
  if (a.body_fault == FaultKind::kCutBody) reply.transport = Transport::kCut;

  res.status = reply.status;
  for (const auto& [k, v] : a.headers) res.set_header(k, v);
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

void FakeServer::BreakTypes(const Route& route, WrongType kind, Reply* reply) {
  // Candle lists are written as text (fake_server.h), so the answer is parsed back here.
  Json body = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return;
  if (route.api == FakeApi::kBybit) {
    BreakBybitTypes(route.endpoint, kind, &body);
  } else {
    BreakBinanceTypes(route.endpoint, kind, &body);
  }
  reply->body = body.dump();
}

Reply FakeServer::Serve(const Route& route, const httplib::Request& req) {
  switch (route.endpoint) {
    case Endpoint::kBinanceKlines:
      return BinanceKlines(route.market, req);
    case Endpoint::kBinanceExchangeInfo:
      return BinanceExchangeInfo(route.market, req);
    case Endpoint::kBinanceFunding:
      return BinanceFunding(req);
    case Endpoint::kBybitKline:
      return BybitKline(req);
    case Endpoint::kBybitInstruments:
      return BybitInstruments(req);
    case Endpoint::kBybitFunding:
      return BybitFunding(req);
  }
  return HtmlReply(404, "404 Not Found");
}

}  // namespace dlake::testing::fake_exchange_internal
