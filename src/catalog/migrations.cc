#include "catalog/migrations.h"

namespace dlake::catalog {

const std::vector<std::string_view>& Migrations() {
  static const std::vector<std::string_view> migrations = {
      // 0 -> 1: datasets and their files.
      R"sql(
CREATE TABLE lake_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE datasets (
  id         INTEGER PRIMARY KEY,
  exchange   TEXT NOT NULL,
  market     TEXT NOT NULL,
  symbol     TEXT NOT NULL,
  type       TEXT NOT NULL,
  period     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (exchange, market, symbol, type, period)
);
CREATE INDEX datasets_by_symbol ON datasets (symbol);
CREATE TABLE files (
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets (id),
  path       TEXT NOT NULL UNIQUE,
  day        INTEGER NOT NULL,
  time_from  INTEGER NOT NULL,
  time_to    INTEGER NOT NULL,
  rows       INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  version    TEXT NOT NULL DEFAULT '1.0.0',
  created_at INTEGER NOT NULL,
  source     TEXT NOT NULL DEFAULT '',
  metadata   TEXT NOT NULL DEFAULT '{}',
  UNIQUE (dataset_id, day)
);
CREATE VIEW manifest AS
  SELECT f.id, f.path, d.exchange, d.market, d.symbol, d.type, d.period, f.day, f.time_from,
         f.time_to, f.rows, f.bytes, f.sha256, f.version, f.created_at, f.source, f.metadata
  FROM files f JOIN datasets d ON d.id = f.dataset_id;
)sql",
      // 1 -> 2: ranges the source was asked for and had no data (known gaps).
      R"sql(
CREATE TABLE known_gaps (
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets (id),
  time_from  INTEGER NOT NULL,
  time_to    INTEGER NOT NULL,
  source     TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  CHECK (time_from < time_to)
);
CREATE INDEX known_gaps_by_dataset ON known_gaps (dataset_id, time_from);
)sql",
      // 2 -> 3: files replaced or removed by a committed operation, deleted once no reader
      // may still open them.
      R"sql(
CREATE TABLE pending_deletes (
  path       TEXT PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets (id),
  since      INTEGER NOT NULL
);
CREATE INDEX pending_deletes_by_dataset ON pending_deletes (dataset_id);
)sql",
      // 3 -> 4: each file's column names, so readers know when files differ in schema.
      R"sql(
ALTER TABLE files ADD COLUMN columns TEXT NOT NULL DEFAULT '';
DROP VIEW manifest;
CREATE VIEW manifest AS
  SELECT f.id, f.path, d.exchange, d.market, d.symbol, d.type, d.period, f.day, f.time_from,
         f.time_to, f.rows, f.bytes, f.sha256, f.version, f.created_at, f.source, f.metadata,
         f.columns
  FROM files f JOIN datasets d ON d.id = f.dataset_id;
)sql",
      // 4 -> 5: the exchanges' symbol lists, so that later commands resolve symbols offline.
      R"sql(
CREATE TABLE symbols (
  exchange      TEXT NOT NULL,
  market        TEXT NOT NULL,
  symbol        TEXT NOT NULL,
  base          TEXT NOT NULL,
  quote         TEXT NOT NULL,
  status        TEXT NOT NULL,
  contract_type TEXT NOT NULL,
  listing_time  INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (exchange, market, symbol)
);
CREATE INDEX symbols_by_pair ON symbols (exchange, base, quote);
)sql",
      // 5 -> 6: lake files outside the datasets (bronze snapshots), and what APIs charged.
      R"sql(
CREATE TABLE lake_files (
  id         INTEGER PRIMARY KEY,
  path       TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL,
  collection TEXT NOT NULL,
  rows       INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  source     TEXT NOT NULL DEFAULT '',
  metadata   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX lake_files_by_collection ON lake_files (kind, collection, path);
CREATE TABLE api_usage (
  api      TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  day      INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  credits  INTEGER NOT NULL,
  PRIMARY KEY (api, endpoint, day)
);
)sql",
      // 6 -> 7: what each aggregated day was built from, so that re-running an aggregation
      // rebuilds only the days whose sources changed.
      R"sql(
CREATE TABLE aggregate_inputs (
  dataset_id        INTEGER NOT NULL REFERENCES datasets (id),
  day               INTEGER NOT NULL,
  source_dataset_id INTEGER NOT NULL REFERENCES datasets (id),
  inputs            TEXT NOT NULL,
  built_at          INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, day)
);
)sql",
      // 7 -> 8: compacted month files. A file covers the days [day, last_day]: one day, or a
      // closed month (day = its first day, last_day = its last).
      R"sql(
ALTER TABLE files ADD COLUMN last_day INTEGER;
UPDATE files SET last_day = day;
DROP VIEW manifest;
CREATE VIEW manifest AS
  SELECT f.id, f.path, d.exchange, d.market, d.symbol, d.type, d.period, f.day, f.last_day,
         f.time_from, f.time_to, f.rows, f.bytes, f.sha256, f.version, f.created_at, f.source,
         f.metadata, f.columns
  FROM files f JOIN datasets d ON d.id = f.dataset_id;
)sql",
      // 8 -> 9: feature set versions with their lineage; their files are the files of their
      // feature dataset (type 'feature', period '<set>@<version>').
      R"sql(
CREATE TABLE feature_versions (
  dataset_id   INTEGER PRIMARY KEY REFERENCES datasets (id),
  feature_set  TEXT NOT NULL,
  version      TEXT NOT NULL,
  exchange     TEXT NOT NULL,
  symbol       TEXT NOT NULL,
  market       TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  code_ref     TEXT NOT NULL DEFAULT '',
  host         TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  rows         INTEGER NOT NULL,
  time_from    INTEGER NOT NULL,
  time_to      INTEGER NOT NULL,
  files        INTEGER NOT NULL,
  files_digest TEXT NOT NULL,
  columns      TEXT NOT NULL,
  lineage      TEXT NOT NULL,
  UNIQUE (feature_set, version, exchange, symbol)
);
CREATE INDEX feature_versions_by_symbol ON feature_versions (symbol);
)sql",
  };
  return migrations;
}

}  // namespace dlake::catalog
