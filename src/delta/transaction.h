#pragma once
// Optimistic commits (PROTOCOL.md "Creation of New Log Entries", Delta's isolation rules): a
// writer prepares its actions against the snapshot it read, then puts version read+1 only if
// absent. When another writer won, the winners' commits are checked for logical conflicts with
// what this transaction read and removed; without a conflict it retries at the next version.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_context.h"
#include "dlake/common/status.h"
#include "dlake/delta/table.h"

namespace dlake::delta {

struct PendingCommit {
  std::string operation;  // WRITE, MERGE, DELETE, OPTIMIZE, RESTORE, CREATE TABLE…
  nlohmann::json parameters = nlohmann::json::object();  // commitInfo.operationParameters
  nlohmann::json metrics = nlohmann::json::object();     // commitInfo.operationMetrics
  std::vector<Action> actions;  // add, remove, metaData, protocol, txn (no commitInfo)
  // What the transaction read, for conflict checks. A blind append reads nothing.
  bool reads_data = false;
  std::vector<ColumnPredicate> read_predicates;  // empty with reads_data = the whole table
  bool changes_metadata = false;
};

// Commits `pending` on top of `read` (the snapshot the transaction read; version -1 when
// creating the table). Returns the committed version and the number of attempts. Errors:
// Aborted naming the conflict ("a concurrent DELETE at version 7 removed a file this MERGE
// read") or "gave up after N attempts"; AlreadyExists when creating and version 0 exists.
// After a commit at a multiple of delta.checkpointInterval (default 10) a checkpoint is written;
// a failed checkpoint is only logged (the commit stands).
struct CommitOutcome {
  int64_t version = -1;
  int attempts = 0;
};
Result<CommitOutcome> Commit(TableContext& ctx, const Snapshot& read, PendingCommit pending);

// Writes the classic checkpoint of `version`, leaving out tombstones older than the table's
// delta.deletedFileRetentionDuration.
Status WriteSnapshotCheckpoint(TableContext& ctx, int64_t version);

// Hours in a Delta interval property ("interval 7 days", "168 hours"), or nullopt.
std::optional<double> ParseIntervalHours(const std::string& text);
// delta.deletedFileRetentionDuration in ms (default 7 days).
int64_t DeletedFileRetentionMs(const Snapshot& snapshot);

}  // namespace dlake::delta
