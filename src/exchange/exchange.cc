#include "exchange/exchange.h"

#include <charconv>
#include <cstdlib>

#include "exchange/exchange_impl.h"

namespace dlake::exchange {

std::string BaseUrl(const char* env, const char* fallback) {
  const char* value = std::getenv(env);
  std::string url = value && *value ? value : fallback;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

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

Result<std::unique_ptr<Exchange>> MakeExchange(const std::string& exchange,
                                               const std::string& market) {
  if (exchange == "BINANCE") {
    if (market == "SPOT") return MakeBinance(/*futures=*/false);
    if (market == "FUTURES") return MakeBinance(/*futures=*/true);
    return InvalidArgument("Binance has no market '", market, "' here (SPOT or FUTURES)");
  }
  if (exchange == "BYBIT") {
    if (market == "SPOT") return MakeBybit("spot");
    if (market == "LINEAR") return MakeBybit("linear");
    if (market == "INVERSE") return MakeBybit("inverse");
    return InvalidArgument("Bybit has no market '", market, "' here (SPOT, LINEAR or INVERSE)");
  }
  return InvalidArgument("unknown exchange '", exchange, "' (binance or bybit)");
}

}  // namespace dlake::exchange
