#pragma once
// The silver tables (doc/silver.md): where each comes from, how it is checked, keyed, written
// and maintained, and the DuckDB SQL that turns its bronze snapshot into its rows.

#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"
#include "lakehouse/should_transform.h"

namespace dlake::lakehouse {

// How a snapshot's rows reach the Delta table.
enum class WriteMode {
  kInsertNew,  // facts and snapshot-keyed tables: rows with a new key are inserted, others kept
  kUpsert,     // dimensions: new keys inserted, rows whose attributes changed replaced
};

// When a table is built.
enum class BuildRule {
  kWhenNewer,  // its bronze snapshot is newer than its last transform (`check`)
  // dim_exchange_map: when dim_exchange_info was built in the run, or built after the map's
  // last build by a run that stopped before the map (a crash)
  kWithExchangeInfo,
  kOnce,  // the sentiment history: until one transform has succeeded
};

// Table maintenance after a successful write (cryptolakehouse §2.1, made real).
enum class Maintenance {
  kNone,
  kOptimizeAndVacuumWeek,  // OPTIMIZE, then VACUUM keeping 168 h
  kVacuumMonth,            // VACUUM keeping 720 h
};

// Which bronze file a table reads.
enum class BronzeKind { kLatestFile, kListingsBatch };

struct SilverTable {
  std::string name;    // metadata name (= the Delta table's, except market_sentiment_history)
  std::string domain;  // exchange | crypto | global_metrics | fear_and_greed
  std::string delta_table;
  std::string bronze_folder;  // collection below data/bronze
  std::string bronze_prefix;  // file name prefix ("crypto_listings_batch" for the batches)
  BronzeKind bronze = BronzeKind::kLatestFile;
  BuildRule rule = BuildRule::kWhenNewer;
  TransformCheck check = TransformCheck::kTimestamp;
  WriteMode mode = WriteMode::kInsertNew;
  std::vector<std::string> keys;
  // Columns an upsert does not compare: a row differing only in them is unchanged.
  std::vector<std::string> uncompared;
  Maintenance maintenance = Maintenance::kNone;

  // data/silver/<domain>/<delta_table>
  std::string RelativePath() const;
};

// Every silver step in the order of the "all" group's tables (weekly, daily, 5x, 10x, init).
const std::vector<SilverTable>& SilverTables();
// The step named `name`; nullptr when unknown.
const SilverTable* FindSilverTable(std::string_view name);

// What a table's SQL reads: absolute paths of bronze files.
struct SilverInputs {
  std::vector<std::string> files;  // the table's own snapshot
  // Built in this run (else empty): exchange_info for dim_exchange_map and spot_volume_usd;
  // exchange_map for dim_exchange_map's is_active.
  std::string exchange_info;
  std::string exchange_map;
};

// A SELECT producing the table's rows for one snapshot: typed and renamed columns, rows with a
// NULL key dropped, one row per key (the first in file order), KPIs computed. InvalidArgument
// for a table without SQL or missing inputs.
Result<std::string> SnapshotSql(const SilverTable& table, const SilverInputs& inputs);

}  // namespace dlake::lakehouse
