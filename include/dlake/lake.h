#pragma once
// dlake::Lake: the library's front door. The CLI, and later the SDKs and the REST server, call
// these methods; each behaviour has exactly one implementation behind them.
//
// A Lake is a folder (doc/layout.md) holding manifest.db, data/ and metadata/. Thread-safe:
// methods may be called concurrently; writes to one dataset serialise on its lock file, also
// across processes.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dlake/aggregate/aggregate.h"
#include "dlake/catalog/manifest.h"
#include "dlake/cmc/extract.h"
#include "dlake/common/dataset.h"
#include "dlake/common/env.h"
#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "dlake/exchange/download.h"
#include "dlake/features/features.h"
#include "dlake/ingest/ingest_request.h"
#include "dlake/lakehouse/transform.h"
#include "dlake/runtime/runtime.h"
#include "dlake/storage/compaction.h"
#include "dlake/storage/read_request.h"
#include "dlake/storage/write_report.h"
#include "dlake/warehouse/warehouse.h"

namespace dlake {

struct LakeOptions {
  // The settings, DuckDB and Env to work with, shared with every other user of the runtime.
  // nullptr = a runtime made for this lake: its dlake.toml, DLAKE_* variables and defaults
  // (doc/settings.md), which keep ingest of any file size well under 512 MB of RSS.
  std::shared_ptr<Runtime> runtime;
};

// The CoinMarketCap pipeline as it stands: every endpoint's last snapshot and run, every silver
// table's version, rows and last transform (`dlake cmc status`).
struct PipelineStatus {
  std::vector<cmc::EndpointStatus> endpoints;
  std::vector<lakehouse::SilverTableStatus> tables;
};

struct DeleteRequest {
  DatasetFilter filter;  // symbol is required by the CLI; other fields narrow it
  int64_t start = INT64_MIN;
  int64_t end = INT64_MAX;  // rows with ts in [start, end) go
  bool dry_run = false;
};

struct DatasetDeletion {
  DatasetId dataset;
  WriteReport write;  // per day: removed (whole file) or replaced (rows cut out)
};

struct DeleteReport {
  std::vector<DatasetDeletion> datasets;
  int64_t RowsRemoved() const;
  int64_t BytesFreed() const;
  bool dry_run = false;
};

// A run of missing periods [from, to) inside a fixed-period dataset.
struct Gap {
  int64_t from = 0;
  int64_t to = 0;
  int64_t missing = 0;  // periods missing
};

struct DatasetCheck {
  DatasetId dataset;
  int64_t files = 0;
  int64_t rows = 0;
  std::vector<Gap> gaps;        // excluding known gaps (source had no data)
  int64_t known_gaps = 0;       // spans recorded as "the source had no data" (not problems)
  int64_t missing_periods = 0;  // sum over gaps
  int64_t duplicates = 0;       // rows sharing a dedup key
  int64_t out_of_order = 0;     // rows whose ts is below the previous row's in its file
  std::vector<std::string>
      mismatches;  // manifest rows whose rows/time range disagree with the file
};

struct VerifyRequest {
  DatasetFilter filter;
  bool repair = false;     // remove orphans, temporary leftovers and unneeded pending deletes
  bool check_data = true;  // gaps, duplicates, order (reads every row)
};

struct VerifyReport {
  int64_t files_checked = 0;
  int64_t bytes_checked = 0;
  std::vector<std::string> checksum_mismatches;  // "path: expected X, found Y"
  std::vector<std::string> missing_files;        // manifest rows whose file is gone
  std::vector<std::string> orphans;              // files under data/ the manifest does not list
  std::vector<std::string> leftovers;            // temporary files of unfinished operations
  // Replaced files kept while readers may still open them (not a problem; repair deletes
  // those no reader needs).
  std::vector<std::string> pending_deletes;
  std::vector<DatasetCheck> datasets;
  int64_t removed = 0;  // files removed by repair
  // No problem found (after repair, the orphans and leftovers it removed do not count).
  bool ok() const;
};

// Defined in dlake/lake_backup.h, which includes this header (a restore reports a VerifyReport).
struct BackupRequest;
struct BackupReport;
struct RestoreRequest;
struct RestoreReport;

// `dlake maintain cleanup` (doc/maintain.md).
struct CleanupRequest {
  bool dry_run = false;                 // report what would go, remove nothing
  int64_t grace_ms = 24 * 3600 * 1000;  // orphans younger than this stay (default 24 h)
};

struct CleanupReport {
  bool dry_run = false;
  // What was removed (in a dry run: what would be), lake-relative.
  std::vector<std::string> leftovers;        // temporary files and spill folders of dead processes
  std::vector<std::string> pending_deletes;  // replaced files no reader needed any more
  std::vector<std::string> orphans;          // unlisted files older than the grace period
  std::vector<std::string> young_orphans;    // unlisted files kept: younger than the grace period
  int64_t pending_in_use = 0;  // replaced files kept because a reader holds their dataset
  int64_t bytes_freed = 0;     // 0 in a dry run
};

// `dlake maintain`: compaction, cleanup and a verify without data checks, in that order.
struct MaintainRequest {
  bool dry_run = false;
  int64_t grace_ms = CleanupRequest{}.grace_ms;
};

struct MaintainReport {
  CompactReport compact;
  CleanupReport cleanup;
  VerifyReport verify;          // check_data = false
  std::string manifest_backup;  // the automatic backup taken afterwards ("" in a dry run)
  bool ok() const { return verify.ok(); }
};

class Lake {
 public:
  // Creates a lake in `dir` (creating the folder) or opens the one there. A lake whose
  // manifest was deleted gets a new, empty one; its old data files then show as orphans.
  static Result<std::unique_ptr<Lake>> Init(const std::string& dir, const LakeOptions& options);
  // Opens an existing lake, migrating an old manifest. NotFound if `dir` is not a lake.
  static Result<std::unique_ptr<Lake>> Open(const std::string& dir, const LakeOptions& options);
  // The lake to use: `explicit_dir` if given, else $DLAKE_LAKE, else the nearest folder holding
  // manifest.db from the working directory upwards. NotFound with guidance otherwise.
  static Result<std::string> Locate(const std::string& explicit_dir);

  ~Lake();
  const std::string& root() const;
  const std::shared_ptr<Runtime>& runtime() const;
  // The manifest's schema version (doc/manifest.md).
  Result<int> SchemaVersion();

  // Loads CSV files into one dataset (doc/ingest.md).
  Result<IngestReport> Ingest(const IngestRequest& request);

  // The one dataset matching `filter` (fields left empty match anything). NotFound if none,
  // InvalidArgument naming the candidates if several.
  Result<DatasetId> ResolveDataset(const DatasetFilter& filter);

  // The raw candles a request with `timeframe` reads from: the dataset matching `filter` (type
  // raw), and when its period is not given, the finest stored period `timeframe` can be built
  // from.
  Result<DatasetId> ResolveTimeframeSource(const DatasetFilter& filter,
                                           const std::string& timeframe);

  // Rows of a dataset slice in ts order, all at once. With request.timeframe, the candles
  // resampled (doc/aggregate.md). A slice without rows still has the columns (and types) a read
  // of the dataset gives; none only when the dataset has no files.
  Result<RecordBatch> Read(const ReadRequest& request);
  // The same rows streamed in batches of at most `batch_rows`: bounded memory for any range.
  Status Scan(const ReadRequest& request, size_t batch_rows,
              const std::function<Status(const RecordBatch&)>& sink);
  // Writes the slice to a Parquet or CSV file; returns the row count.
  Result<int64_t> Export(const ReadRequest& request, ExportFormat format, const std::string& path);

  Result<std::vector<DatasetSummary>> List(const DatasetFilter& filter);
  Result<std::vector<FileEntry>> ListFiles(const DatasetFilter& filter);
  // The spans of a dataset its source had no data for.
  Result<std::vector<KnownGap>> KnownGaps(const DatasetId& dataset);
  // The symbols stored by DownloadSymbols for an exchange market (names as DownloadSymbols).
  Result<std::vector<SymbolInfo>> Symbols(const std::string& exchange, const std::string& market);

  // Fetches an exchange market's tradable symbols and stores them in the manifest (later
  // commands resolve symbols offline). Exchange and market as dlake/exchange/markets.h names
  // them, in any case; an empty market is the exchange's default.
  Result<std::vector<SymbolInfo>> DownloadSymbols(const std::string& exchange,
                                                  const std::string& market);
  // Downloads candle history (and funding rates) into the lake, incrementally (doc/downloads.md).
  Result<DownloadReport> DownloadHistory(const DownloadRequest& request);

  // Builds or updates `agg` datasets of longer periods from stored candles (doc/aggregate.md).
  Result<AggregateReport> Aggregate(const AggregateRequest& request);

  Result<DeleteReport> Delete(const DeleteRequest& request);
  Result<VerifyReport> Verify(const VerifyRequest& request);

  // ---- Maintenance (doc/maintain.md) ----
  // Merges the day files of closed months into month files (doc/layout.md "Compaction").
  Result<CompactReport> Compact(const CompactRequest& request);
  // Removes dead processes' temporary files, replaced files no reader needs and old orphans.
  Result<CleanupReport> Cleanup(const CleanupRequest& request);
  // Compact, Cleanup and Verify (no data checks), then an automatic manifest backup
  // (metadata/manifest-backups/, keeping manifest.backups_keep). Verify's findings are in the
  // report (ok()), not an error.
  Result<MaintainReport> Maintain(const MaintainRequest& request);

  // ---- Backups (doc/backup.md; the types are in dlake/lake_backup.h) ----
  // Writes a consistent copy of the lake into an empty or new folder: the manifest (SQLite
  // online backup), dlake.toml, with request.data every data file (hard links where possible)
  // and SHA256SUMS. Other processes may keep writing to the lake meanwhile.
  Result<BackupReport> Backup(const BackupRequest& request);
  // Restores a backup made with data into a new lake folder (verified first, built beside it
  // and renamed into place), then verifies the new lake. Does not touch any open lake.
  static Result<RestoreReport> Restore(const RestoreRequest& request, const LakeOptions& options);

  // ---- The feature store (doc/features.md; types in dlake/features/features.h) ----
  // Uploads a file as a version of a feature set for one exchange symbol. The same content
  // again is a no-op ("unchanged"); other content under an existing version is AlreadyExists.
  Result<FeatureUploadReport> UploadFeature(const FeatureUploadRequest& request);
  // Versions ordered by set, then version (highest first), exchange and symbol.
  Result<std::vector<FeatureVersion>> ListFeatures(const FeatureListRequest& request);
  // Every exchange symbol of one version (the highest when `ref` names none), lineage included.
  Result<std::vector<FeatureVersion>> ShowFeature(const FeatureRef& ref);
  Result<FeatureDiff> DiffFeatures(const FeatureRef& a, const FeatureRef& b);
  // Removes a version (of every exchange symbol, or the one named): record and files.
  Result<FeatureDeleteReport> DeleteFeatures(const FeatureDeleteRequest& request);
  // The version a read uses; its rows are read with Read/Scan/Export on version.dataset.
  Result<FeatureVersion> ResolveFeature(const FeatureLookup& lookup);
  // Candles joined point in time with feature sets (PointInTimeRequest).
  Result<RecordBatch> ReadWithFeatures(const PointInTimeRequest& request);
  Status ScanWithFeatures(const PointInTimeRequest& request, size_t batch_rows,
                          const std::function<Status(const RecordBatch&)>& sink);
  Result<int64_t> ExportWithFeatures(const PointInTimeRequest& request, ExportFormat format,
                                     const std::string& path);

  // ---- The CoinMarketCap pipeline (doc/cmc.md) ----
  // Extracts CoinMarketCap snapshots into the bronze layer: the API at cmc.url, paced by
  // cmc.requests_per_minute, the key from $CMC_API_KEY or the file cmc.key_file. The report
  // says per endpoint what was written; endpoint failures are in it (ok() false), while a bad
  // request, a missing key or a run over the credit budget is an error before any request.
  Result<cmc::ExtractReport> ExtractCmc(const cmc::ExtractRequest& request);
  // CoinMarketCap credits spent today and this month against cmc.monthly_credits.
  Result<cmc::CreditReport> CmcCredits();
  // Builds the silver Delta tables of a group from the newest bronze files (doc/silver.md).
  Result<lakehouse::TransformReport> TransformCmc(const lakehouse::TransformRequest& request);
  Result<PipelineStatus> CmcStatus();

  // ---- The warehouse and gold layers (doc/warehouse.md) ----
  // The warehouse is PostgreSQL at warehouse.url ($DLAKE_WAREHOUSE_URL) or, when unset, the
  // embedded DuckDB file <lake>/warehouse/warehouse.duckdb.
  Result<warehouse::InitReport> InitWarehouse();
  Result<warehouse::LoadReport> LoadWarehouse(const warehouse::LoadRequest& request);
  Result<warehouse::DataTestReport> TestWarehouse();
  Result<warehouse::WarehouseStatusReport> WarehouseStatus();
  Result<warehouse::DumpReport> DumpGold(const warehouse::DumpRequest& request);
  Result<warehouse::SnapshotReport> SnapshotGold(const warehouse::SnapshotRequest& request);

  // Implementation state (src/lake/lake_impl.h); opaque to users.
  struct Impl;

 private:
  explicit Lake(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlake
