#pragma once
// One market of one exchange, as the downloader sees it. Implementations own the API's exact
// paging rules and return closed facts in ascending time order. Not thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlake/catalog/symbol_info.h"
#include "dlake/common/settings.h"
#include "dlake/common/status.h"
#include "net/api_client.h"

namespace dlake::exchange {

struct Candle {
  int64_t ts = 0;  // open time, ms
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  double quote_volume = 0;  // Binance quote asset volume; Bybit turnover
  // Binance only (Bybit candles have none of these):
  int64_t close_time = 0;
  int64_t trades = 0;
  double taker_buy_base = 0, taker_buy_quote = 0;
};

struct FundingRate {
  int64_t ts = 0;  // funding time, ms
  double rate = 0;
  std::optional<double> mark_price;
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual std::string name() const = 0;    // BINANCE
  virtual std::string market() const = 0;  // FUTURES
  virtual bool has_funding() const = 0;
  // Candle columns beyond ts,open,high,low,close,volume this exchange provides.
  virtual bool binance_columns() const = 0;

  virtual Result<std::vector<SymbolInfo>> Symbols() = 0;
  // True if the market offers candles of this lake period ("1m", "1h", "1M", ...).
  virtual bool SupportsInterval(const std::string& period) const = 0;
  // One page of candles with open time in [start, end), ascending. The answer is complete for
  // [start, complete_until): the exchange has no other candle there; the caller continues from
  // complete_until.
  struct Page {
    std::vector<Candle> candles;
    int64_t complete_until = 0;
  };
  virtual Result<Page> CandlePage(const std::string& symbol, const std::string& period,
                                  int64_t start, int64_t end) = 0;
  virtual int64_t candle_page_size() const = 0;
  // Every funding rate with time in [start, end), ascending.
  virtual Result<std::vector<FundingRate>> Funding(const std::string& symbol, int64_t start,
                                                   int64_t end) = 0;
  virtual const net::ApiStats& stats() const = 0;
  // The exchange's clock minus ours, as last observed in a response (0 until then). Negative
  // when the exchange is behind: its newest candle may still be open though ours says closed.
  virtual int64_t clock_offset_ms() const = 0;
};

// A client for one market (names as in dlake/exchange/markets.h, any case). Base URLs and retry
// pacing from the settings binance.spot_url, binance.futures_url, bybit.url, retry_base_ms.
Result<std::unique_ptr<Exchange>> MakeExchange(const Settings& settings, std::string_view exchange,
                                               std::string_view market);

// A JSON value that may be a number or a decimal string, as a double / int64; otherwise
// Unavailable naming the field `what` and the value.
Result<double> JsonNumber(const nlohmann::json& value, const char* what);
Result<int64_t> JsonInt(const nlohmann::json& value, const char* what);
// A JSON value as text for a message: a string's own text, any other value its JSON. Never
// throws, whatever type an error body gives its message field.
std::string JsonText(const nlohmann::json& value);

}  // namespace dlake::exchange
