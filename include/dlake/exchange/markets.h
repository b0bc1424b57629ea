#pragma once
// The exchanges dlake downloads from and their markets: the one place that names them, checks
// them and chooses defaults. Input is case-insensitive ("bybit", "Bybit", "BYBIT"); output is
// the upper-case name stored in the lake.
//
//   BINANCE: SPOT, FUTURES (USD-M perpetuals and futures; the default)
//   BYBIT:   SPOT, LINEAR (USDT/USDC contracts; the default), INVERSE (coin-margined)

#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake {

// "BINANCE" for "binance"; InvalidArgument naming the known exchanges otherwise.
Result<std::string> NormalizeExchange(std::string_view exchange);
// The market's stored name for a normalised exchange ("" = the exchange's default market);
// InvalidArgument naming the exchange's markets otherwise.
Result<std::string> NormalizeMarket(std::string_view exchange, std::string_view market);
// The market used when none is given, and the one `--futures` means: FUTURES on Binance,
// LINEAR on Bybit.
std::string DefaultMarket(std::string_view exchange);
// The markets of a normalised exchange, default first.
const std::vector<std::string>& ExchangeMarkets(std::string_view exchange);
// Whether the market trades contracts with funding rates (everything but SPOT).
bool IsDerivativesMarket(std::string_view market);

}  // namespace dlake
