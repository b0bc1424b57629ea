#include "dlake/exchange/markets.h"

#include "dlake/common/strings.h"

namespace dlake {
namespace {

struct ExchangeDef {
  std::string name;
  std::string display;               // as in messages: "Binance"
  std::vector<std::string> markets;  // default first
};

const std::vector<ExchangeDef>& Exchanges() {
  static const std::vector<ExchangeDef> exchanges = {
      {"BINANCE", "Binance", {"FUTURES", "SPOT"}},
      {"BYBIT", "Bybit", {"LINEAR", "SPOT", "INVERSE"}},
  };
  return exchanges;
}

const ExchangeDef* Find(std::string_view exchange) {
  for (const auto& def : Exchanges()) {
    if (EqualsIgnoreCase(def.name, exchange)) return &def;
  }
  return nullptr;
}

}  // namespace

Result<std::string> NormalizeExchange(std::string_view exchange) {
  if (const ExchangeDef* def = Find(exchange)) return def->name;
  std::vector<std::string> known;
  for (const auto& def : Exchanges()) known.push_back(AsciiLower(def.name));
  return InvalidArgument("unknown exchange '", exchange, "' (", JoinStrings(known, " or "), ")");
}

Result<std::string> NormalizeMarket(std::string_view exchange, std::string_view market) {
  const ExchangeDef* def = Find(exchange);
  if (!def) return NormalizeExchange(exchange).status();
  if (market.empty()) return def->markets.front();
  for (const auto& name : def->markets) {
    if (EqualsIgnoreCase(name, market)) return name;
  }
  return InvalidArgument(def->display, " has no market '", market, "' here (",
                         JoinStrings(def->markets, ", "), ")");
}

std::string DefaultMarket(std::string_view exchange) {
  const ExchangeDef* def = Find(exchange);
  return def ? def->markets.front() : "";
}

const std::vector<std::string>& ExchangeMarkets(std::string_view exchange) {
  static const std::vector<std::string> none;
  const ExchangeDef* def = Find(exchange);
  return def ? def->markets : none;
}

bool IsDerivativesMarket(std::string_view market) { return !EqualsIgnoreCase(market, "SPOT"); }

}  // namespace dlake
