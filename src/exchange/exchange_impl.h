#pragma once
// Constructors of the Exchange implementations (exchange/binance.cc, exchange/bybit.cc).

#include <memory>

#include "exchange/exchange.h"

namespace dlake::exchange {

// What a client takes from the settings.
struct ClientSettings {
  int64_t retry_base_ms = 500;  // first backoff step
  std::string base_url;         // "https://api.binance.com", no trailing '/'
};

Result<std::unique_ptr<Exchange>> MakeBinance(bool futures, const ClientSettings& settings);
// category: spot | linear | inverse.
Result<std::unique_ptr<Exchange>> MakeBybit(const std::string& category,
                                            const ClientSettings& settings);

}  // namespace dlake::exchange
