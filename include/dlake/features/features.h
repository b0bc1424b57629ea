#pragma once
// The feature store (doc/features.md): result sets such as indicators, signals and embeddings,
// uploaded per exchange symbol as immutable semantic versions of a named feature set, with
// their lineage, read back by version and joined onto candles point in time.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "dlake/storage/read_request.h"
#include "dlake/storage/write_report.h"

namespace dlake {

// "alpha" (the highest version) or "alpha@1.2.0".
struct FeatureRef {
  std::string feature_set;
  std::string version;  // "" = the highest (by semver precedence)

  // Checks the name and, when given, the version. InvalidArgument naming the text.
  static Result<FeatureRef> Parse(std::string_view text);
  // A comma-separated list ("alpha@1.0.0,beta"); empty items are refused.
  static Result<std::vector<FeatureRef>> ParseList(std::string_view text);
  std::string ToString() const;
};

struct FeatureUploadRequest {
  std::string path;  // a Parquet file, or a CSV file with a header; a `ts` column is required
  // Rows in memory instead of a file (the Python SDK's DataFrames), with a `ts` column; `path`
  // then only names them in messages and the lineage ("" = "<rows>"). Not owned.
  const RecordBatch* rows = nullptr;
  std::string exchange;
  std::string symbol;
  std::string market;  // recorded in the lineage; not part of the version's identity
  std::string feature_set;
  std::string version;  // a semantic version: 1.0.0, 2.1.0-rc.1
  std::string description;
  std::string code_ref;  // what computed it: a commit, a tag, a notebook path
  // Datasets the features were computed from, recorded with their manifest state at upload:
  // "BINANCE/FUTURES/BTCUSDT/raw/1m" or "features/alpha/1.0.0/BINANCE/BTCUSDT".
  std::vector<std::string> sources;
  bool dry_run = false;  // validate and compare, write nothing
};

struct FeatureColumn {
  std::string name;
  std::string type;  // DuckDB's name: BIGINT, DOUBLE, FLOAT[], VARCHAR, ...
  bool operator==(const FeatureColumn&) const = default;
};

// A source dataset as it was when the version was uploaded.
struct FeatureSource {
  std::string dataset;  // its display path
  int64_t files = 0;
  int64_t rows = 0;
  int64_t time_from = 0;
  int64_t time_to = 0;
  std::string digest;  // SHA-256 over "<path> <sha256>\n" of its files in day order
};

// One version of a feature set for one exchange symbol, lineage included.
struct FeatureVersion {
  DatasetId dataset;  // DatasetId::Feature(set, version, exchange, symbol)
  std::string feature_set;
  std::string version;
  std::string exchange;
  std::string symbol;
  std::string market;
  std::string description;
  std::string code_ref;
  std::string host;
  int64_t created_at = 0;  // ms
  int64_t rows = 0;
  int64_t time_from = 0;
  int64_t time_to = 0;  // inclusive
  int64_t files = 0;
  std::string files_digest;
  std::vector<FeatureColumn> columns;  // ts first
  std::string input_path;              // the uploaded file as given
  std::string input_sha256;
  int64_t input_bytes = 0;
  std::vector<FeatureSource> sources;
};

struct FeatureUploadReport {
  FeatureVersion version;
  // "created"; "unchanged" (the version already holds exactly this content: nothing written);
  // in a dry run "would create".
  std::string outcome;
  WriteReport write;
  bool dry_run = false;
};

struct FeatureListRequest {
  std::string feature_set;  // "" = every set
  std::string exchange;
  std::string symbol;
};

// What one read resolves a reference to.
struct FeatureLookup {
  FeatureRef ref;
  std::string exchange;
  std::string symbol;
  // Only versions created before this time (ms) count: a backtest sees the feature store as
  // it was then. An explicit version created later is refused.
  int64_t as_of = std::numeric_limits<int64_t>::max();
};

struct FeatureDiffColumn {
  std::string name;
  std::string type_a;  // "" when the column is only in B
  std::string type_b;  // "" when the column is only in A
};

// One exchange symbol's coverage in A and B.
struct FeatureCoverage {
  std::string exchange;
  std::string symbol;
  std::optional<FeatureVersion> a;  // nullopt: the symbol is not in that version
  std::optional<FeatureVersion> b;
};

struct FeatureDiff {
  FeatureRef a;  // resolved: versions filled in
  FeatureRef b;
  std::vector<FeatureDiffColumn> columns;  // added, removed or retyped columns only
  std::vector<FeatureCoverage> coverage;   // every symbol of either version
  bool SameSchema() const { return columns.empty(); }
};

struct FeatureDeleteRequest {
  std::string feature_set;
  std::string version;   // required: versions are deleted one at a time
  std::string exchange;  // "" = every exchange symbol of the version
  std::string symbol;
  bool dry_run = false;
};

struct FeatureDeleteReport {
  std::vector<FeatureVersion> versions;  // what went (in a dry run: would go)
  int64_t files = 0;
  int64_t bytes = 0;
  bool dry_run = false;
};

// `dlake read --with-features`: candles, each with the newest row of every feature set whose
// ts is at or before the candle's ts (never a later one).
struct PointInTimeRequest {
  ReadRequest candles;  // dataset, range, columns, limit and timeframe as a plain read
  std::vector<FeatureRef> features;
  // A feature row older than this (candle ts - feature ts > tolerance) is not used: its columns
  // are NULL. < 0 = no limit.
  int64_t tolerance_ms = -1;
  int64_t as_of = std::numeric_limits<int64_t>::max();  // as FeatureLookup::as_of
};

}  // namespace dlake
