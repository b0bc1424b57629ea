#include <spdlog/spdlog.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {

int& CommandExitCode() {
  static int code = kExitOk;
  return code;
}

void DatasetFlags::Add(CLI::App& cmd, bool symbol_required) {
  cmd.add_option("--exchange", exchange, "Exchange, e.g. BINANCE");
  cmd.add_option("--market", market, "Market, e.g. FUTURES or SPOT");
  auto* sym = cmd.add_option("--symbol", symbol, "Symbol: exchange id (BTCUSDT) or unified (BTC/USDT:USDT)");
  if (symbol_required) sym->required();
  cmd.add_option("--type", type, "Data type: raw, agg, ticks or alt");
  cmd.add_option("--period", period, "Period: 1s, 1m ... 1d, 1w, 1M, tick, funding");
}

DatasetFilter DatasetFlags::Filter() const {
  DatasetFilter filter;
  if (!exchange.empty()) filter.exchange = CheckUsage(NormalizeName("exchange", exchange));
  if (!market.empty()) filter.market = CheckUsage(NormalizeName("market", market));
  if (!symbol.empty()) filter.symbol = CheckUsage(NormalizeSymbol(symbol));
  if (!type.empty()) {
    if (type != kTypeRaw && type != kTypeAgg && type != kTypeTicks && type != kTypeAlt) {
      throw UsageError("unknown data type '" + type + "' (known: raw, agg, ticks, alt)");
    }
    filter.type = type;
  }
  if (!period.empty()) filter.period = CheckUsage(ParsePeriod(period)).name;
  return filter;
}

std::pair<int64_t, int64_t> ParseRange(const std::string& start, const std::string& end) {
  int64_t from = start.empty() ? INT64_MIN : CheckUsage(ParseRangeStart(start));
  int64_t to = end.empty() ? INT64_MAX : CheckUsage(ParseRangeEnd(end));
  if (to <= from) throw UsageError("--end must be after --start");
  return {from, to};
}

LakeOptions MakeLakeOptions(const GlobalOptions& options) {
  if (options.verbose) spdlog::set_level(spdlog::level::info);
  LakeOptions lake_options;
  lake_options.memory_limit = options.memory_limit;
  lake_options.threads = options.threads;
  return lake_options;
}

std::unique_ptr<Lake> OpenLake(const GlobalOptions& options) {
  std::string dir = Check(Lake::Locate(options.lake));
  return Check(Lake::Open(dir, MakeLakeOptions(options)));
}

void PrintJson(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

std::string HumanBytes(int64_t bytes) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf;
}

Result<int64_t> ParseByteSize(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("bad size '", text, "' (expected e.g. 256MB, 1.5GB or a byte count)");
  };
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) ||
                                  text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return bad();
  std::string number_text(text.substr(0, digits));
  char* end = nullptr;
  double number = std::strtod(number_text.c_str(), &end);
  if (end != number_text.c_str() + number_text.size()) return bad();
  std::string unit;
  for (char c : text.substr(digits)) {
    if (c != ' ') unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  static const std::pair<const char*, int> kUnits[] = {
      {"", 0},   {"B", 0},   {"K", 1},  {"KB", 1},  {"KIB", 1}, {"M", 2},  {"MB", 2},
      {"MIB", 2}, {"G", 3},  {"GB", 3}, {"GIB", 3}, {"T", 4},   {"TB", 4}, {"TIB", 4}};
  for (const auto& [name, power] : kUnits) {
    if (unit != name) continue;
    double bytes = number * std::pow(1024.0, power);
    if (bytes < 1 || bytes > 9.0e18) return bad();
    return static_cast<int64_t>(bytes);
  }
  return bad();
}

std::string TimeText(int64_t ms) { return FormatTimestamp(ms); }

}  // namespace dlake::cli
