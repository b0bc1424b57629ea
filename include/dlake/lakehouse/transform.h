#pragma once
// The silver layer of the CoinMarketCap medallion pipeline: bronze Parquet snapshots (found
// through the manifest, doc/cmc.md) become Delta tables under <lake>/data/silver/<domain>/<table>/
// (doc/silver.md). Facts and snapshot-keyed tables accumulate (each snapshot is merged on its
// key, new keys inserted); dimensions are upserted on their key, and an unchanged row commits
// nothing. Every commit carries a Delta txn (app id `dlake-silver:<domain>/<table>`, version =
// the bronze snapshot's epoch ms), so a run repeated after a crash between the commit and its
// metadata line writes nothing twice. Each transformed or skipped table appends one line to
// <lake>/metadata/transform/<domain>/<table>.jsonl, after its commit; a failed table appends none.
//
// Thread safety: TransformSilver takes the lake's `.locks/silver.lock` for its whole run, so
// concurrent calls (threads or processes) on one lake serialise. SilverStatus only reads.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/status.h"
#include "dlake/runtime/runtime.h"

namespace dlake::lakehouse {

// What the silver transforms work on. Not owned; each must outlive the call.
struct SilverContext {
  std::string lake;                  // the lake root folder
  std::shared_ptr<Runtime> runtime;  // required: its DuckDB, Env (files and clock) and settings
  Manifest* manifest = nullptr;      // required: where the bronze files are registered
};

struct TransformRequest {
  // init | daily | weekly | 5x | 10x | all (any case). all = weekly, daily, 5x, 10x, init.
  std::string group;
};

// One table's outcome, in run order.
struct TableTransform {
  std::string domain;  // exchange | crypto | global_metrics | fear_and_greed
  // The metadata name: the silver table, or "market_sentiment_history" (the one-off load of the
  // fear-and-greed history into fact_market_sentiment).
  std::string table;
  std::string path;    // the Delta table, relative to the lake: data/silver/<domain>/<table>
  std::string status;  // success | skipped | failed
  // The bronze file read (absolute), "from broadcasted_exchange_info_df" for dim_exchange_map,
  // or "" when there was none.
  std::string source_snapshot;
  std::string notes;           // why it was skipped, or what else happened (an incomplete batch)
  std::string error;           // failed: what failed and why
  int64_t record_count = 0;    // rows of the transformed snapshot (after dedup); 0 unless success
  int64_t rows_inserted = 0;   // rows the commit added
  int64_t rows_updated = 0;    // dimension rows the commit replaced
  int64_t delta_version = -1;  // the version committed; -1 when nothing was committed
  bool committed = false;
  std::string started_at, ended_at;  // ISO-8601 UTC with microseconds; ended_at "-" if skipped
  double duration_seconds = 0.0;
  // Maintenance after the write (doc/silver.md): the OPTIMIZE version (-1: none) and the files
  // VACUUM deleted. A maintenance failure does not fail the table; it is reported here.
  int64_t optimize_version = -1;
  int64_t files_vacuumed = 0;
  std::string maintenance_error;
};

struct TransformReport {
  std::string group;  // lower case
  std::vector<TableTransform> tables;
  bool ok() const;  // no table failed
  std::vector<std::string> FailedTables() const;
};

// Runs the group's tables in order (doc/silver.md "Groups"). A table that fails is reported in
// its entry and the others go on; the result is an error only when the run cannot start:
// InvalidArgument for an unknown group (naming the valid ones) or a context without runtime or
// manifest, IoError when the lock or the metadata folder cannot be made.
Result<TransformReport> TransformSilver(const SilverContext& ctx, const TransformRequest& request);

// The tables a group builds, in order (metadata names). InvalidArgument for an unknown group.
Result<std::vector<std::string>> TransformGroupTables(const std::string& group);

// `dlake cmc status`: one silver table (or market_sentiment_history) as it stands.
struct SilverTableStatus {
  std::string domain, table, path;  // path relative to the lake
  bool exists = false;              // the Delta table has been created
  int64_t delta_version = -1;       // its latest version, -1 when absent
  int64_t row_count = -1;           // its rows at that version, -1 when absent
  // The last line of its metadata file; has_last_run false when there is none.
  bool has_last_run = false;
  std::string last_status;
  int64_t last_record_count = -1;  // -1 when the line says "-"
  std::string last_started_at, last_ended_at;
};

// Every silver table in group order (all). IoError/Corruption when a table cannot be read.
Result<std::vector<SilverTableStatus>> SilverStatus(const SilverContext& ctx);

}  // namespace dlake::lakehouse
