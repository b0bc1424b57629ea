#include "exchange/downloader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>

#include "dlake/common/strings.h"
#include "dlake/common/time.h"
#include "dlake/exchange/markets.h"
#include "duck/duck.h"
#include "exchange/exchange.h"
#include "storage/dataset_writer.h"
#include "storage/reader.h"

namespace dlake::exchange {
namespace {

// Candles written per storage operation: a week of 1m candles, bounded memory, and a killed
// download loses at most this much work.
constexpr size_t kFlushRows = 10000;

// The first candle open at or after `ts` (`ts` itself when aligned).
int64_t AlignUp(const Period& p, int64_t ts) {
  if (p.ms > 0) return (ts + p.ms - 1) / p.ms * p.ms;
  CivilDate c = CivilFromDay(DayOf(ts));  // calendar months
  int64_t first = DayStartMs(DayFromCivil(c.year, c.month, 1));
  if (first == ts) return ts;
  return DayStartMs(DayFromCivil(c.month == 12 ? c.year + 1 : c.year, c.month % 12 + 1, 1));
}

// The open of the candle containing `ts`.
int64_t AlignDown(const Period& p, int64_t ts) {
  if (p.ms > 0) return ts / p.ms * p.ms;
  CivilDate c = CivilFromDay(DayOf(ts));
  return DayStartMs(DayFromCivil(c.year, c.month, 1));
}

int64_t NextOpen(const Period& p, int64_t open) { return AlignUp(p, open + 1); }

// Resolution of the user's symbol to an exchange market and its id.
struct ResolvedSymbol {
  std::string market;
  SymbolInfo info;
};

Result<ResolvedSymbol> ResolveSymbol(const StorageContext& ctx, const std::string& exchange,
                                     const std::string& market_flag, const std::string& text) {
  std::string base, quote, settle;
  std::string market = market_flag;
  const auto slash = text.find('/');
  if (slash != std::string::npos) {
    // Unified: BASE/QUOTE (spot) or BASE/QUOTE:SETTLE (derivative).
    const auto colon = text.find(':');
    base = AsciiUpper(text.substr(0, slash));
    quote = AsciiUpper(
        text.substr(slash + 1, colon == std::string::npos ? std::string::npos : colon - slash - 1));
    settle = colon == std::string::npos ? "" : AsciiUpper(text.substr(colon + 1));
    if (market.empty()) {
      if (settle.empty()) {
        market = "SPOT";
      } else if (exchange == "BYBIT") {
        market = settle == quote ? "LINEAR" : "INVERSE";
      } else {
        market = "FUTURES";
      }
    }
  }
  if (market.empty()) market = DefaultMarket(exchange);
  auto find = [&](const std::vector<SymbolInfo>& symbols) -> const SymbolInfo* {
    for (const auto& s : symbols) {
      // Unified derivatives mean the perpetual, not a dated future.
      bool match = base.empty() ? s.symbol == AsciiUpper(text)
                                : s.base == base && s.quote == quote &&
                                      (market == "SPOT" || s.contract_type == "PERPETUAL" ||
                                       s.contract_type.find("Perpetual") != std::string::npos);
      if (match) return &s;
    }
    return nullptr;
  };
  // The stored list resolves offline; a symbol missing from it (listed since) triggers one
  // refresh from the exchange.
  DLAKE_ASSIGN_OR_RETURN(auto symbols, ctx.manifest->Symbols(exchange, market));
  if (const SymbolInfo* s = find(symbols)) return ResolvedSymbol{market, *s};
  DLAKE_ASSIGN_OR_RETURN(symbols, DownloadSymbols(ctx, exchange, market));
  if (const SymbolInfo* s = find(symbols)) return ResolvedSymbol{market, *s};
  return InvalidArgument("unknown symbol '", text, "' on ", exchange, " ", market, " (",
                         symbols.size(), " symbols listed)");
}

// Candles waiting to be written, staged in a DuckDB table and merged into the dataset through
// the storage writer.
class CandleSink {
 public:
  static Result<std::unique_ptr<CandleSink>> Make(const StorageContext& ctx, DatasetId dataset,
                                                  bool binance_columns, std::string source) {
    DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx.duck));
    static std::atomic<uint64_t> counter{0};
    auto sink = std::unique_ptr<CandleSink>(new CandleSink(ctx, std::move(dataset), std::move(conn),
                                                           binance_columns, std::move(source)));
    sink->table_ = "dlake_download_" + std::to_string(counter++);
    std::string ddl = "CREATE TABLE " + sink->table_ +
                      " (ts BIGINT, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, "
                      "volume DOUBLE, ";
    ddl += binance_columns ? "close_time BIGINT, quote_volume DOUBLE, trades BIGINT, "
                             "taker_buy_base DOUBLE, taker_buy_quote DOUBLE, "
                           : "turnover DOUBLE, ";
    ddl += "_seq BIGINT)";
    DLAKE_RETURN_IF_ERROR(sink->conn_->Execute(ddl, "creating the download staging table"));
    return sink;
  }
  ~CandleSink() { (void)conn_->Execute("DROP TABLE IF EXISTS " + table_, "dropping staging"); }

  void Add(const Candle& c) { pending_.push_back(c); }
  size_t pending() const { return pending_.size(); }

  // Writes the pending candles into the lake; returns how many rows the days gained or changed.
  Result<int64_t> Flush() {
    if (pending_.empty()) return 0;
    DLAKE_RETURN_IF_ERROR(Stage());
    storage::DatasetWriter writer(ctx_, *conn_);
    storage::Staging staging{table_, /*sorted=*/true, /*has_duplicates=*/false};
    storage::WriteOptions options;
    options.source = source_;
    DLAKE_RETURN_IF_ERROR(writer.Merge(dataset_, staging, options));
    DLAKE_RETURN_IF_ERROR(conn_->Execute("DELETE FROM " + table_, "clearing the staging table"));
    const int64_t written = static_cast<int64_t>(pending_.size());
    pending_.clear();
    return written;
  }

 private:
  CandleSink(const StorageContext& ctx, DatasetId dataset, std::unique_ptr<duck::Connection> conn,
             bool binance_columns, std::string source)
      : ctx_(ctx),
        dataset_(std::move(dataset)),
        conn_(std::move(conn)),
        binance_(binance_columns),
        source_(std::move(source)) {}

  Status Stage() {
    std::vector<duck::Type> types(6, duck::Type::kDouble);
    types[0] = duck::Type::kBigInt;
    if (binance_) {
      types.insert(types.end(), {duck::Type::kBigInt, duck::Type::kDouble, duck::Type::kBigInt,
                                 duck::Type::kDouble, duck::Type::kDouble});
    } else {
      types.push_back(duck::Type::kDouble);
    }
    types.push_back(duck::Type::kBigInt);  // _seq
    return duck::AppendRows(*conn_, table_, types, pending_.size(),
                            [&](duck::DataChunk& chunk, size_t row, size_t i) {
                              const Candle& c = pending_[i];
                              chunk.Data<int64_t>(0)[row] = c.ts;
                              const double prices[] = {c.open, c.high, c.low, c.close, c.volume};
                              for (size_t k = 0; k < 5; ++k)
                                chunk.Data<double>(k + 1)[row] = prices[k];
                              size_t col = 6;
                              if (binance_) {
                                chunk.Data<int64_t>(col++)[row] = c.close_time;
                                chunk.Data<double>(col++)[row] = c.quote_volume;
                                chunk.Data<int64_t>(col++)[row] = c.trades;
                                chunk.Data<double>(col++)[row] = c.taker_buy_base;
                                chunk.Data<double>(col++)[row] = c.taker_buy_quote;
                              } else {
                                chunk.Data<double>(col++)[row] = c.quote_volume;
                              }
                              chunk.Data<int64_t>(col)[row] = seq_++;
                            });
  }

  const StorageContext& ctx_;
  DatasetId dataset_;
  std::unique_ptr<duck::Connection> conn_;
  bool binance_;
  std::string source_;
  std::string table_;
  std::vector<Candle> pending_;
  int64_t seq_ = 0;
};

using Spans = std::vector<std::pair<int64_t, int64_t>>;

// `spans` minus the dataset's known gaps (the exchange had nothing there; never ask again).
Result<Spans> WithoutKnownGaps(const StorageContext& ctx, const DatasetId& dataset, Spans spans) {
  DLAKE_ASSIGN_OR_RETURN(auto gaps, ctx.manifest->KnownGaps(dataset));
  for (const auto& g : gaps) {
    Spans next;
    for (auto [a, b] : spans) {
      if (g.time_to <= a || g.time_from >= b) {
        next.emplace_back(a, b);
        continue;
      }
      if (g.time_from > a) next.emplace_back(a, g.time_from);
      if (g.time_to < b) next.emplace_back(g.time_to, b);
    }
    spans = std::move(next);
  }
  return spans;
}

// Spans of [start, end) with no stored candle and no known gap, for a candle dataset.
Result<std::vector<std::pair<int64_t, int64_t>>> MissingRanges(const StorageContext& ctx,
                                                               const DatasetId& dataset,
                                                               const Period& period, int64_t start,
                                                               int64_t end) {
  std::vector<std::pair<int64_t, int64_t>> missing;
  int64_t expected = start;
  auto note = [&](int64_t upto) {
    if (upto > expected) missing.emplace_back(expected, upto);
  };
  ReadRequest request;
  request.dataset = dataset;
  request.start = start;
  request.end = end;
  request.columns = {"ts"};
  storage::Reader reader(ctx);
  DLAKE_RETURN_IF_ERROR(reader.Scan(request, 1 << 16, [&](RecordBatch& batch) {
    for (int64_t ts : batch.columns[0].ints) {
      note(ts);
      expected = std::max(expected, NextOpen(period, ts));
    }
    return Status::Ok();
  }));
  note(end);
  return WithoutKnownGaps(ctx, dataset, std::move(missing));
}

class SymbolDownloader {
 public:
  SymbolDownloader(const StorageContext& ctx, Exchange& ex, const DownloadRequest& request,
                   DownloadReport& report)
      : ctx_(ctx), ex_(ex), request_(request), report_(report) {}

  Status Candles(const SymbolInfo& symbol, const Period& period) {
    DatasetDownload result;
    DLAKE_ASSIGN_OR_RETURN(result.dataset, DatasetId::Make(ex_.name(), ex_.market(), symbol.symbol,
                                                           kTypeRaw, period.name));
    const int64_t now = net::WallClockMs();
    // The last candle still open at `now` is never stored.
    int64_t end = AlignDown(period, now);
    if (request_.end != INT64_MAX) end = std::min(end, AlignUp(period, request_.end));
    DLAKE_ASSIGN_OR_RETURN(int64_t start, CandleStart(symbol, period, result.dataset, now));
    DLAKE_ASSIGN_OR_RETURN(auto missing, MissingRanges(ctx_, result.dataset, period, start, end));
    recorded_gaps_ = 0;
    recent_cutoff_ =
        now - std::max<int64_t>(2 * std::max<int64_t>(period.ms, kMsPerMinute), 5 * kMsPerMinute);
    result.already_complete = missing.empty();
    DLAKE_ASSIGN_OR_RETURN(
        auto sink,
        CandleSink::Make(ctx_, result.dataset, ex_.binance_columns(),
                         "exchange:" + ex_.name() + " " + ex_.market() + " klines " + period.name));
    for (auto [from, to] : missing) {
      ++result.ranges_fetched;
      DLAKE_RETURN_IF_ERROR(FillRange(symbol.symbol, period, from, to, *sink, result));
    }
    DLAKE_RETURN_IF_ERROR(Flush(*sink, result));
    report_.datasets.push_back(std::move(result));
    return Status::Ok();
  }

  Status Funding(const SymbolInfo& symbol) {
    DatasetDownload result;
    DLAKE_ASSIGN_OR_RETURN(result.dataset, DatasetId::Make(ex_.name(), ex_.market(), symbol.symbol,
                                                           kTypeAlt, "funding"));
    const int64_t now = net::WallClockMs();
    int64_t start = request_.days > 0 ? now - request_.days * kMsPerDay : request_.start;
    if (start == INT64_MIN) start = symbol.listing_time > 0 ? symbol.listing_time : 0;
    const int64_t end = std::min(now, request_.end);
    // Funding events are not evenly spaced (1 h, 4 h or 8 h by symbol), so what is stored is
    // taken as one covered span, and the parts of an answer without events become known gaps:
    // only the rest of [start, end) is asked.
    Spans spans = {{start, end}};
    DLAKE_ASSIGN_OR_RETURN(auto stored, ctx_.manifest->Datasets(DatasetFilter::Of(result.dataset)));
    if (!stored.empty() && stored.front().files > 0) {
      spans = {{start, std::min(end, stored.front().time_from)},
               {std::max(start, stored.front().time_to + 1), end}};
    }
    DLAKE_ASSIGN_OR_RETURN(spans, WithoutKnownGaps(ctx_, result.dataset, std::move(spans)));
    recorded_gaps_ = 0;
    recent_cutoff_ = now - kMsPerHour;  // a rate may still be published for the last hour
    std::vector<FundingRate> rates;
    for (auto [from, to] : spans) {
      if (from >= to) continue;
      DLAKE_ASSIGN_OR_RETURN(auto part, ex_.Funding(symbol.symbol, from, to));
      int64_t covered = from;
      for (const auto& r : part) {
        DLAKE_RETURN_IF_ERROR(RecordGap(result, covered, r.ts));
        covered = r.ts + 1;
      }
      DLAKE_RETURN_IF_ERROR(RecordGap(result, covered, to));
      rates.insert(rates.end(), part.begin(), part.end());
      DLAKE_RETURN_IF_ERROR(
          Progress(result.dataset.Path(), from, to, to, static_cast<int64_t>(rates.size())));
    }
    result.already_complete = rates.empty();
    if (!rates.empty()) {
      std::sort(rates.begin(), rates.end(),
                [](const FundingRate& a, const FundingRate& b) { return a.ts < b.ts; });
      DLAKE_ASSIGN_OR_RETURN(result.rows_written, WriteFunding(result.dataset, rates));
    }
    DLAKE_RETURN_IF_ERROR(SaveGaps(result));
    report_.datasets.push_back(std::move(result));
    return Status::Ok();
  }

 private:
  // Where the requested span starts: --days or --start; else the first stored candle (so
  // holes inside are filled and the tail is appended); else the listing time (probed when the
  // exchange does not publish it).
  Result<int64_t> CandleStart(const SymbolInfo& symbol, const Period& period,
                              const DatasetId& dataset, int64_t now) {
    if (request_.days > 0) return AlignDown(period, now - request_.days * kMsPerDay);
    if (request_.start != INT64_MIN) return AlignUp(period, request_.start);
    DLAKE_ASSIGN_OR_RETURN(auto stored, ctx_.manifest->Datasets(DatasetFilter::Of(dataset)));
    if (!stored.empty() && stored.front().files > 0) return stored.front().time_from;
    if (symbol.listing_time > 0) return AlignDown(period, symbol.listing_time);
    // No listing date (Binance spot): ask from the first possible time; the first page starts
    // at the first candle that exists.
    constexpr int64_t kEarliest = 1230768000000;  // 2009-01-01
    DLAKE_ASSIGN_OR_RETURN(
        auto page, ex_.CandlePage(symbol.symbol, period.name, kEarliest, AlignDown(period, now)));
    if (page.candles.empty()) return AlignDown(period, now);
    return page.candles.front().ts;
  }

  Status FillRange(const std::string& symbol, const Period& period, int64_t from, int64_t to,
                   CandleSink& sink, DatasetDownload& result) {
    int64_t cursor = from;
    while (cursor < to) {
      DLAKE_ASSIGN_OR_RETURN(auto page, ex_.CandlePage(symbol, period.name, cursor, to));
      const bool at_present = DropOpenCandles(period, page);
      int64_t expected = cursor;
      for (const Candle& c : page.candles) {
        if (c.ts < expected) continue;  // defensive: never store a candle twice
        if (c.ts > expected) DLAKE_RETURN_IF_ERROR(RecordGap(result, expected, c.ts));
        sink.Add(c);
        expected = NextOpen(period, c.ts);
      }
      const int64_t complete = std::min(page.complete_until, to);
      if (complete > expected) {
        DLAKE_RETURN_IF_ERROR(RecordGap(result, expected, complete));
        expected = complete;
      }
      if (at_present) break;  // the rest of the span is not closed on the exchange yet
      if (expected <= cursor) {
        return Internal(ex_.name(), " returned no progress for ", symbol, " at ",
                        FormatTimestamp(cursor));
      }
      cursor = expected;
      if (sink.pending() >= kFlushRows) DLAKE_RETURN_IF_ERROR(Flush(sink, result));
      DLAKE_RETURN_IF_ERROR(Progress(result.dataset.Path(), from, to, cursor,
                                     result.rows_written + static_cast<int64_t>(sink.pending())));
    }
    return Status::Ok();
  }

  // A candle is stored only once the exchange's own clock has passed its close: with the
  // exchange behind ours, its newest candle may still be open although our clock says closed.
  // Returns true when the page reached the exchange's present (nothing later is closed yet).
  bool DropOpenCandles(const Period& period, Exchange::Page& page) {
    const int64_t exchange_now = net::WallClockMs() + std::min<int64_t>(0, ex_.clock_offset_ms());
    auto& candles = page.candles;
    bool dropped = false;
    while (!candles.empty() && NextOpen(period, candles.back().ts) > exchange_now) {
      page.complete_until = std::min(page.complete_until, candles.back().ts);
      candles.pop_back();
      dropped = true;
    }
    return dropped;
  }

  Status RecordGap(DatasetDownload& result, int64_t from, int64_t to) {
    // Near "now" an empty answer may only mean the exchange has not published the candle yet:
    // that is not a fact worth keeping forever.
    to = std::min(to, recent_cutoff_);
    if (to <= from) return Status::Ok();
    // Extend the previous gap when contiguous: one row per outage, not per page.
    if (!result.gaps.empty() && result.gaps.back().time_to == from &&
        recorded_gaps_ < result.gaps.size()) {
      result.gaps.back().time_to = to;
    } else {
      result.gaps.push_back(KnownGap{result.dataset, from, to, "exchange:" + ex_.name()});
    }
    return Status::Ok();
  }

  // Gaps go to the manifest with each write of candles (a gap found but not yet recorded when a
  // download is killed is simply asked for again).
  Status SaveGaps(const DatasetDownload& result) {
    for (; recorded_gaps_ < result.gaps.size(); ++recorded_gaps_) {
      DLAKE_RETURN_IF_ERROR(ctx_.manifest->AddKnownGap(result.gaps[recorded_gaps_]));
    }
    return Status::Ok();
  }

  Status Flush(CandleSink& sink, DatasetDownload& result) {
    DLAKE_ASSIGN_OR_RETURN(int64_t written, sink.Flush());
    result.rows_written += written;
    return SaveGaps(result);
  }

  Result<int64_t> WriteFunding(const DatasetId& dataset, const std::vector<FundingRate>& rates) {
    DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
    static std::atomic<uint64_t> counter{0};
    const std::string table = "dlake_funding_" + std::to_string(counter++);
    const bool with_mark = std::any_of(
        rates.begin(), rates.end(), [](const FundingRate& r) { return r.mark_price.has_value(); });
    DLAKE_RETURN_IF_ERROR(
        conn->Execute("CREATE TABLE " + table + " (ts BIGINT, funding_rate DOUBLE, " +
                          (with_mark ? "mark_price DOUBLE, " : "") + "_seq BIGINT)",
                      "creating the funding staging table"));
    struct Drop {
      duck::Connection& c;
      std::string t;
      ~Drop() { (void)c.Execute("DROP TABLE IF EXISTS " + t, "dropping staging"); }
    } drop{*conn, table};
    std::vector<duck::Type> types = {duck::Type::kBigInt, duck::Type::kDouble};
    if (with_mark) types.push_back(duck::Type::kDouble);
    types.push_back(duck::Type::kBigInt);
    DLAKE_RETURN_IF_ERROR(duck::AppendRows(
        *conn, table, types, rates.size(), [&](duck::DataChunk& chunk, size_t row, size_t i) {
          const FundingRate& r = rates[i];
          chunk.Data<int64_t>(0)[row] = r.ts;
          chunk.Data<double>(1)[row] = r.rate;
          if (with_mark && r.mark_price) chunk.Data<double>(2)[row] = *r.mark_price;
          if (with_mark && !r.mark_price) chunk.SetNull(2, row);
          chunk.Data<int64_t>(types.size() - 1)[row] = static_cast<int64_t>(i);
        }));
    storage::DatasetWriter writer(ctx_, *conn);
    storage::WriteOptions options;
    options.source = "exchange:" + ex_.name() + " " + ex_.market() + " funding";
    DLAKE_RETURN_IF_ERROR(writer.Merge(dataset, storage::Staging{table, true, false}, options));
    return static_cast<int64_t>(rates.size());
  }

  Status Progress(const std::string& dataset, int64_t from, int64_t to, int64_t at, int64_t rows) {
    if (!request_.progress) return Status::Ok();
    const net::ApiStats& s = ex_.stats();
    return request_.progress(DownloadProgress{dataset, from, to, at, rows, s.requests, s.retries});
  }

  const StorageContext& ctx_;
  Exchange& ex_;
  const DownloadRequest& request_;
  DownloadReport& report_;
  size_t recorded_gaps_ = 0;   // result.gaps[0, recorded_gaps_) are in the manifest
  int64_t recent_cutoff_ = 0;  // gaps are recorded only before this time
};

}  // namespace

Result<std::vector<SymbolInfo>> DownloadSymbols(const StorageContext& ctx,
                                                const std::string& exchange,
                                                const std::string& market) {
  DLAKE_ASSIGN_OR_RETURN(std::string exchange_name, NormalizeExchange(exchange));
  DLAKE_ASSIGN_OR_RETURN(std::string market_name, NormalizeMarket(exchange_name, market));
  DLAKE_ASSIGN_OR_RETURN(auto ex, MakeExchange(*ctx.settings, exchange_name, market_name));
  DLAKE_ASSIGN_OR_RETURN(auto symbols, ex->Symbols());
  DLAKE_RETURN_IF_ERROR(ctx.manifest->ReplaceSymbols(ex->name(), ex->market(), symbols));
  return symbols;
}

Result<DownloadReport> DownloadHistory(const StorageContext& ctx, const DownloadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(const std::string exchange, NormalizeExchange(request.exchange));
  std::string market;
  if (!request.market.empty()) {
    DLAKE_ASSIGN_OR_RETURN(market, NormalizeMarket(exchange, request.market));
  }
  if (request.symbols.empty()) return InvalidArgument("no symbol given");
  if (request.days > 0 && request.start != std::numeric_limits<int64_t>::min()) {
    return InvalidArgument("a number of days and a start exclude each other");
  }
  if (request.days < 0) return InvalidArgument("days must not be negative: ", request.days);
  if (request.end <= request.start) {
    return InvalidArgument("the end (", FormatTimestamp(request.end), ") must be after the start (",
                           FormatTimestamp(request.start), ")");
  }
  DLAKE_ASSIGN_OR_RETURN(Period period, ParsePeriod(request.period));
  if (period.name == "tick" || period.name == "funding") {
    return InvalidArgument("'", period.name, "' is not a candle interval");
  }
  // Everything is resolved and checked before the first candle is fetched.
  std::vector<ResolvedSymbol> symbols;
  for (const auto& text : request.symbols) {
    DLAKE_ASSIGN_OR_RETURN(auto resolved, ResolveSymbol(ctx, exchange, market, text));
    symbols.push_back(std::move(resolved));
  }
  DownloadReport report;
  std::map<std::string, std::unique_ptr<Exchange>> clients;
  for (const auto& s : symbols) {
    auto& ex = clients[s.market];
    if (!ex) {
      DLAKE_ASSIGN_OR_RETURN(ex, MakeExchange(*ctx.settings, exchange, s.market));
      if (!ex->SupportsInterval(period.name)) {
        return InvalidArgument(exchange, " ", s.market, " has no '", period.name, "' candles");
      }
      if (request.funding && !ex->has_funding()) {
        return InvalidArgument(exchange, " ", s.market, " has no funding rates (spot market)");
      }
    }
  }
  for (const auto& s : symbols) {
    Exchange& ex = *clients[s.market];
    SymbolDownloader downloader(ctx, ex, request, report);
    DLAKE_RETURN_IF_ERROR(downloader.Candles(s.info, period));
    if (request.funding) DLAKE_RETURN_IF_ERROR(downloader.Funding(s.info));
  }
  for (const auto& [market, ex] : clients) {
    const net::ApiStats& st = ex->stats();
    report.requests += st.requests;
    report.retries += st.retries;
    report.rate_limited += st.rate_limited;
    report.waited_ms += st.waited_ms;
    report.max_window_cost = std::max(report.max_window_cost, st.max_window_cost);
    report.window_limit = std::max(report.window_limit, st.window_limit);
  }
  return report;
}

}  // namespace dlake::exchange
