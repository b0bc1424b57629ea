#pragma once
// Test and benchmark support: bronze files as the extract side writes them (doc/cmc.md, the
// contract), generated with DuckDB and registered in a lake's manifest. Values are a
// deterministic function of the row number and a `variant` (a later snapshot changes some
// attributes), and include the edge cases the transforms must handle: zero and NULL
// denominators, NULL keys, a duplicate key (its first row must win), empty lists.

#include <cstdint>
#include <memory>
#include <string>

#include "dlake/catalog/manifest.h"
#include "dlake/common/status.h"
#include "duck/duck.h"

namespace dlake::lakehouse::fixture {

// Rows per bronze file. The defaults are the production scale of cryptolakehouse §5.
struct BronzeScale {
  int64_t exchanges = 816;
  int64_t exchanges_with_assets = 47;
  int64_t asset_rows = 4000;
  int64_t cryptos = 5000;   // crypto_map, crypto_info
  int64_t listings = 5000;  // over 5 batch files
  int64_t categories = 280;
  int64_t links = 23000;
  int64_t fear_greed_days = 500;
};

// The SELECT of each bronze file (the columns of doc/cmc.md, in order, ending with
// date_snapshot). `stamp` is the file name's YYYY-MM-DD_HH-MM-SS; date_snapshot is that time
// with microseconds, as the extractors write it.
std::string ExchangeMapSql(const BronzeScale& scale, int variant, const std::string& stamp);
std::string ExchangeInfoSql(const BronzeScale& scale, int variant, const std::string& stamp);
std::string ExchangeAssetsSql(const BronzeScale& scale, int variant, const std::string& stamp);
std::string CryptoMapSql(const BronzeScale& scale, int variant, const std::string& stamp);
std::string CryptoInfoSql(const BronzeScale& scale, int variant, const std::string& stamp);
// Batch `batch` (1-based) of 5: the rows listings/5 * (batch - 1) ... of the listing.
std::string ListingsBatchSql(const BronzeScale& scale, int batch, int variant,
                             const std::string& stamp);
std::string CategoriesSql(const BronzeScale& scale, int variant, const std::string& stamp);
std::string CategoryLinkSql(const BronzeScale& scale, int variant, const std::string& stamp);
// One row. `zero_market_cap` makes the market-cap denominators 0 and some inputs NULL.
std::string GlobalMetricsSql(int variant, const std::string& stamp, bool zero_market_cap = false);
std::string FearGreedHistorySql(const BronzeScale& scale, const std::string& stamp);
std::string FearGreedLatestSql(int variant, const std::string& stamp);

// "2025-05-03_01-44-14" -> "2025-05-03T01:44:14.123456+00:00"
std::string DateSnapshot(const std::string& stamp);

// Writes bronze files into a lake and registers them, as the extract side does.
class BronzeWriter {
 public:
  // `lake` is the lake root; `manifest` must outlive the writer.
  static Result<std::unique_ptr<BronzeWriter>> Make(std::string lake, Manifest* manifest);

  // Writes data/bronze/<folder>/<prefix>-<stamp>.parquet from `select_sql` and registers it
  // (kind bronze, collection `folder`). Returns the path relative to the lake.
  Result<std::string> Write(const std::string& folder, const std::string& prefix,
                            const std::string& stamp, const std::string& select_sql);

  // Every bronze file of one extract run at `scale` (all 11 endpoints; 5 listings batches).
  Status WriteAll(const BronzeScale& scale, int variant, const std::string& stamp);

  duck::Connection& connection() { return *conn_; }

 private:
  BronzeWriter() = default;
  std::string lake_;
  Manifest* manifest_ = nullptr;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

}  // namespace dlake::lakehouse::fixture
