#pragma once
// The manifest: the single source of truth for what the lake holds (SQLite, WAL). One row per
// data file, dataset-level known gaps, numbered migrations. Format: doc/manifest.md.
//
// Thread-safe: calls are serialised by an internal mutex. Several processes may open the same
// manifest; SQLite's locking and a busy timeout serialise their transactions.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/catalog/feature_version.h"
#include "dlake/catalog/known_gap.h"
#include "dlake/catalog/lake_file.h"
#include "dlake/catalog/symbol_info.h"
#include "dlake/common/dataset.h"
#include "dlake/common/status.h"

namespace dlake {

namespace sqlite {
class Database;
}

// One data file as the manifest records it.
struct FileEntry {
  static constexpr int64_t kSameDay = INT64_MIN;

  int64_t id = 0;
  DatasetId dataset;
  std::string path;  // relative to the lake root, '/'-separated
  int64_t day = 0;   // UTC day number (days since 1970-01-01) of the partition
  // The last day the file covers: `day` for a day file; for a compacted month file `day` is the
  // month's first day and this its last. kSameDay (the default) means `day`.
  int64_t last_day = kSameDay;
  int64_t time_from = 0;  // smallest ts in the file, ms
  int64_t time_to = 0;    // largest ts in the file, ms (inclusive)
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string sha256;  // lower-case hex of the file's bytes
  std::string version = "1.0.0";
  int64_t created_at = 0;       // ms
  std::string source;           // what produced it: a CSV path, an exchange request, a job id
  std::string metadata = "{}";  // free-form JSON
  std::string columns;          // JSON array of the file's column names; "" if unknown

  int64_t LastDay() const { return last_day == kSameDay ? day : last_day; }
  bool IsMonthFile() const { return LastDay() != day; }
};

// What one day of an aggregated dataset was built from: a canonical description of the source
// file versions (their SHA-256s) and the known gaps over the day's buckets. Equal text = the day
// is up to date.
struct AggregateInputs {
  int64_t day = 0;
  std::string inputs;
};

struct DatasetSummary {
  DatasetId id;
  int64_t files = 0;
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t time_from = 0;
  int64_t time_to = 0;
  int64_t known_gaps = 0;
};

// Matches datasets; an empty field matches anything.
struct DatasetFilter {
  std::string exchange, market, symbol, type, period;
  // The filter matching exactly one dataset.
  static DatasetFilter Of(const DatasetId& id) {
    return DatasetFilter{id.exchange, id.market, id.symbol, id.type, id.period};
  }
  bool Matches(const DatasetId& id) const;
};

class Manifest {
 public:
  static constexpr int kLatestVersion = 9;

  struct OpenOptions {
    bool create = false;                  // create the file if missing
    int target_version = kLatestVersion;  // migrate up to this version (tests use older ones)
    // Automatic backups kept in <lake>/metadata/manifest-backups/ (setting
    // manifest.backups_keep): before migrating a manifest of version 1 or more, one is taken.
    int backups_keep = 10;
  };

  // Opens the manifest, creating and migrating it as needed. NotFound if it is missing and
  // `create` is false.
  static Result<std::unique_ptr<Manifest>> Open(const std::string& path, OpenOptions options);
  static Result<std::unique_ptr<Manifest>> Open(const std::string& path) {
    return Open(path, OpenOptions{});
  }
  ~Manifest();

  Result<int> SchemaVersion();

  // Files of `dataset` covering any day in [first_day, last_day] (a day file of such a day, or a
  // month file overlapping it), ordered by day. One indexed range scan.
  Result<std::vector<FileEntry>> FilesForDays(const DatasetId& dataset, int64_t first_day,
                                              int64_t last_day);
  // Files of `dataset` holding rows in [start, end) ms, ordered by day. One indexed query.
  Result<std::vector<FileEntry>> FilesOverlapping(const DatasetId& dataset, int64_t start,
                                                  int64_t end);
  // All files of matching datasets, ordered by dataset and day.
  Result<std::vector<FileEntry>> Files(const DatasetFilter& filter);
  Result<std::vector<DatasetSummary>> Datasets(const DatasetFilter& filter);

  // Replaces files of one dataset in one transaction: removes the rows `remove_ids`, inserts
  // `add` (their ids are ignored), and records `obsolete_paths` (files no longer listed) as
  // pending deletes. Registers the dataset on first use.
  Status CommitFiles(const DatasetId& dataset, const std::vector<FileEntry>& add,
                     const std::vector<int64_t>& remove_ids,
                     const std::vector<std::string>& obsolete_paths = {});

  // Files that committed operations replaced or removed and that are not yet deleted, because
  // a reader may still have been reading them. Paths relative to the lake.
  Result<std::vector<std::string>> PendingDeletes(const DatasetFilter& filter);
  Status ClearPendingDeletes(const std::vector<std::string>& paths);

  // Replaces the stored symbol list of one exchange market in one transaction.
  Status ReplaceSymbols(const std::string& exchange, const std::string& market,
                        const std::vector<SymbolInfo>& symbols);
  // The stored symbols of an exchange; an empty market means every market.
  Result<std::vector<SymbolInfo>> Symbols(const std::string& exchange, const std::string& market);

  Status AddKnownGap(const KnownGap& gap);
  Result<std::vector<KnownGap>> KnownGaps(const DatasetId& dataset);

  // ---- What aggregated days were built from (src/catalog/aggregate_inputs.cc) ----
  // The recorded inputs of `aggregate`'s days in [first_day, last_day], by day.
  Result<std::vector<AggregateInputs>> AggregateInputsForDays(const DatasetId& aggregate,
                                                              int64_t first_day, int64_t last_day);
  // Records (replaces) the inputs of the given days in one transaction.
  Status RecordAggregateInputs(const DatasetId& aggregate, const DatasetId& source,
                               const std::vector<AggregateInputs>& days);
  // Forgets the inputs of `aggregate`'s days in [first_day, last_day]: they are rebuilt next time.
  Status ClearAggregateInputs(const DatasetId& aggregate, int64_t first_day, int64_t last_day);

  // ---- Feature set versions (src/catalog/feature_versions.cc) ----
  // Records a finished upload. AlreadyExists if its dataset already has a version row.
  Status AddFeatureVersion(const FeatureVersionRow& row);
  // Matching versions, ordered by feature set, exchange, symbol and created_at (callers order
  // versions by semver precedence).
  Result<std::vector<FeatureVersionRow>> FeatureVersions(const FeatureVersionFilter& filter);
  // Forgets a version (its files go through CommitFiles). OK if there was none.
  Status RemoveFeatureVersion(const DatasetId& dataset);

  // ---- Lake files outside the datasets (src/catalog/lake_files.cc) ----
  // Registers a file that is already in place. AlreadyExists if its path is registered.
  Status AddLakeFile(const LakeFile& file);
  // Files of one kind (and collection, unless empty), ordered by path.
  Result<std::vector<LakeFile>> LakeFiles(std::string_view kind, std::string_view collection);
  // Unregisters files by path (the caller removes them from disk afterwards).
  Status RemoveLakeFiles(const std::vector<std::string>& paths);

  // Adds one response's charge to the API's counters of `day` (UTC day number).
  Status RecordApiUsage(const ApiUsage& usage);
  // The counters of `api` for days in [first_day, last_day], by day then endpoint.
  Result<std::vector<ApiUsage>> ApiUsageBetween(std::string_view api, int64_t first_day,
                                                int64_t last_day);

  // ---- Backups (src/catalog/backup.cc; doc/backup.md) ----
  // Writes a consistent copy of the manifest to `path` with SQLite's online backup API, never
  // a file copy: as <path>.tmp-<pid>, fsynced, then renamed over `path`. The copy is one
  // standalone file in journal mode DELETE. Other processes may keep writing meanwhile.
  Status BackupTo(const std::string& path);

 private:
  explicit Manifest(std::unique_ptr<sqlite::Database> db);
  Status Migrate(int target_version, int backups_keep);
  Result<int64_t> DatasetRowId(const DatasetId& dataset, bool create);

  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace dlake
