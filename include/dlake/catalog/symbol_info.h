#pragma once

#include <cstdint>
#include <string>

namespace dlake {

// A tradable instrument as the exchange lists it.
struct SymbolInfo {
  std::string exchange;       // BINANCE, BYBIT
  std::string market;         // SPOT, FUTURES (Binance USD-M), LINEAR, INVERSE (Bybit)
  std::string symbol;         // the exchange's id: BTCUSDT
  std::string base;           // BTC
  std::string quote;          // USDT
  std::string status;         // as the exchange says: TRADING, Trading, BREAK, ...
  std::string contract_type;  // PERPETUAL, LinearPerpetual, ... ("" for spot)
  int64_t listing_time = 0;   // ms; 0 when the exchange does not say
};

}  // namespace dlake
