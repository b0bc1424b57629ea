#pragma once
// A table version reconstructed from the log (PROTOCOL.md "Action Reconciliation"): the newest
// usable checkpoint at or before the version, then the JSON commits after it, newest action per
// file key winning. Also the protocol checks: what this reader and writer implement.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/log_files.h"
#include "delta/schema.h"
#include "dlake/common/status.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"

namespace dlake::delta {

struct Snapshot {
  std::string root;
  int64_t version = -1;
  int64_t timestamp_ms = 0;  // commit time of `version`
  Protocol protocol;
  Metadata metadata;
  Schema schema;
  std::vector<AddFile> files;          // live files, in the order they were added
  std::vector<RemoveFile> tombstones;  // removes still in the state (for VACUUM)
  std::map<std::string, Txn> txns;     // by appId
  std::optional<int64_t> checkpoint_version;

  // Absolute path of a data file (add.path is relative to the root unless it is a URI).
  std::string FilePath(const std::string& relative) const;
  bool IsPartitionColumn(const std::string& name) const;
  // Schema columns stored in the data files (not partition columns).
  Schema DataSchema() const;
  // The reconciled state as checkpoint rows: protocol, metaData, adds, tombstones, txns.
  std::vector<Action> StateActions() const;
  // A table property, or `fallback`.
  std::string Config(const std::string& key, const std::string& fallback = "") const;
};

// Loads the table at `root` as of `at`. Errors: NotFound (no table / no such version),
// FailedPrecondition (a timestamp before the first commit; a feature we do not implement, named;
// log files needed for the version were cleaned up), Corruption (a malformed log entry, named).
Result<Snapshot> LoadSnapshot(duck::Connection& conn, const std::string& root,
                              const VersionSpec& at);

// The newest version in the log (commits or checkpoints), NotFound without any.
Result<int64_t> LatestVersion(const LogListing& listing);

// The commit time of each version in [from, to] as time travel sees it.
Result<std::map<int64_t, int64_t>> CommitTimestamps(const std::string& root,
                                                    const LogListing& listing);

// The actions of one commit file.
Result<std::vector<Action>> ReadCommit(const std::string& root, int64_t version);

// OK when this reader can read a table with this protocol and metadata; otherwise
// FailedPrecondition naming the feature ("deletionVectors", "columnMapping", …).
Status CheckReadSupported(const Protocol& protocol, const Metadata& metadata);
// OK when this writer may write the table (writer version <= 2, or 7 with only appendOnly and
// invariants); otherwise FailedPrecondition naming the version or feature.
Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata);

}  // namespace dlake::delta
