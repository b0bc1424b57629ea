#pragma once
// Constructors of the Exchange implementations (exchange/binance.cc, exchange/bybit.cc).

#include <memory>

#include "exchange/exchange.h"

namespace dlake::exchange {

Result<std::unique_ptr<Exchange>> MakeBinance(bool futures);
Result<std::unique_ptr<Exchange>> MakeBybit(const std::string& category);  // spot|linear|inverse

}  // namespace dlake::exchange
