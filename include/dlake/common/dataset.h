#pragma once
// The identity of a dataset: one series of one symbol on one exchange and market, of one data
// type and period. Every stored file belongs to exactly one dataset.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake {

// Data types stored under data/{EXCHANGE}/{MARKET}/{SYMBOL}/{TYPE}/.
inline constexpr std::string_view kTypeRaw = "raw";      // exchange candles
inline constexpr std::string_view kTypeAgg = "agg";      // candles aggregated by the lake
inline constexpr std::string_view kTypeTicks = "ticks";  // trades
inline constexpr std::string_view kTypeAlt = "alt";      // funding rates and other series
// Feature sets, stored under data/features/ (doc/features.md): a feature dataset has type
// "feature", period "<feature_set>@<version>" and an empty market.
inline constexpr std::string_view kTypeFeature = "feature";

// A period name ("1m", "1h", "1M", "tick", "funding") and its fixed length in ms; 0 when the
// length is not fixed (months, ticks, funding events).
struct Period {
  std::string name;
  int64_t ms = 0;
};
// Case-insensitive where that is unambiguous: "1H" is 1h and "TICK" tick, but "1m" (minute) and
// "1M" (month) are told apart by case.
Result<Period> ParsePeriod(std::string_view name);
// "raw", "agg", "ticks" or "alt" from any case; InvalidArgument naming the known types.
Result<std::string> ParseDataType(std::string_view type);
// ParseDataType, or "feature": the types a listing can filter on.
Result<std::string> ParseListedType(std::string_view type);
// Checks a feature set name: 1 to 64 of letters, digits, '_' and '-', starting with a letter or
// digit. Case is kept.
Status CheckFeatureSetName(std::string_view name);
// Every period name the lake accepts, in ascending length.
const std::vector<std::string>& KnownPeriods();

struct DatasetId {
  std::string exchange;  // upper case: BINANCE
  std::string market;    // upper case: FUTURES, SPOT
  std::string symbol;    // the exchange's own id, upper case: BTCUSDT
  std::string type;      // raw | agg | ticks | alt
  std::string period;    // 1m ... 1M | tick | funding

  // Builds a validated, normalised id: exchange, market and symbol upper-cased; unified symbols
  // ("BTC/USDT:USDT", "btc/usdt") mapped to the exchange id ("BTCUSDT"); type and period as
  // ParseDataType and ParsePeriod read them.
  static Result<DatasetId> Make(std::string_view exchange, std::string_view market,
                                std::string_view symbol, std::string_view type,
                                std::string_view period);
  // The dataset of one feature set version for one exchange symbol: the name checked, the
  // version a semantic version (dlake/common/semver.h, kept as written), exchange and symbol
  // normalised as in Make.
  static Result<DatasetId> Feature(std::string_view feature_set, std::string_view version,
                                   std::string_view exchange, std::string_view symbol);
  bool IsFeature() const { return type == kTypeFeature; }
  // For feature datasets: the parts of the period.
  std::string FeatureSet() const;
  std::string FeatureVersion() const;

  // "BINANCE/FUTURES/BTCUSDT/raw/1m": the folder below data/, and the dataset's display name;
  // "features/alpha/1.0.0/BINANCE/BTCUSDT" for a feature dataset.
  std::string Path() const;
  bool operator==(const DatasetId&) const = default;
};

// Normalises a symbol: upper case, "BASE/QUOTE[:SETTLE]" mapped to "BASEQUOTE".
Result<std::string> NormalizeSymbol(std::string_view symbol);
// Upper-cases and checks an exchange or market name.
Result<std::string> NormalizeName(std::string_view what, std::string_view name);

}  // namespace dlake
