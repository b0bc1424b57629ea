#include "exchange/exchange.h"

#include <charconv>

#include "dlake/common/strings.h"
#include "dlake/exchange/markets.h"
#include "exchange/exchange_impl.h"

namespace dlake::exchange {

Result<double> JsonNumber(const nlohmann::json& value, const char* what) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    double out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size()) return out;
  }
  return Unavailable("field '", what, "' is not a number: ", value.dump());
}

Result<int64_t> JsonInt(const nlohmann::json& value, const char* what) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size()) return out;
  }
  return Unavailable("field '", what, "' is not an integer: ", value.dump());
}

std::string JsonText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<Exchange>> MakeExchange(const Settings& settings,
                                               std::string_view exchange_name,
                                               std::string_view market_name) {
  DLAKE_ASSIGN_OR_RETURN(const std::string exchange, NormalizeExchange(exchange_name));
  DLAKE_ASSIGN_OR_RETURN(const std::string market, NormalizeMarket(exchange, market_name));
  ClientSettings client{settings.Integer(setting::kRetryBaseMs), ""};
  if (exchange == "BINANCE") {
    const bool futures = market == "FUTURES";
    client.base_url =
        settings.Text(futures ? setting::kBinanceFuturesUrl : setting::kBinanceSpotUrl);
    return MakeBinance(futures, client);
  }
  client.base_url = settings.Text(setting::kBybitUrl);
  return MakeBybit(AsciiLower(market), client);
}

}  // namespace dlake::exchange
