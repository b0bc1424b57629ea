#pragma once
// Classic checkpoints (PROTOCOL.md "Checkpoints", "Checkpoint Schema"): reading single-file and
// multi-part checkpoints written by any writer, and writing the classic single-file form.
// All Parquet I/O goes through DuckDB.

#include <cstdint>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/log_files.h"
#include "dlake/common/env.h"
#include "dlake/common/status.h"
#include "duck/duck.h"

namespace dlake::delta {

// The actions stored in a checkpoint: protocol, metaData, add, remove and txn rows (other
// columns are ignored; a v2 checkpoint is refused by the caller before this is reached).
// Errors name the checkpoint file.
Result<std::vector<Action>> ReadCheckpoint(duck::Connection& conn, const CheckpointFiles& files);

struct CheckpointWriteResult {
  std::string path;
  int64_t actions = 0;  // rows written (_last_checkpoint.size)
  int64_t add_files = 0;
  int64_t size_in_bytes = 0;
};

// Writes `_delta_log/<version>.checkpoint.parquet` holding `state` (the reconciled table state at
// `version`: one protocol, one metaData, live adds, unexpired removes, txns; commitInfo and other
// actions are not allowed) in the protocol's Parquet schema, atomically (temporary name, fsync,
// rename), then updates `_last_checkpoint` if it does not already point at a newer version.
Result<CheckpointWriteResult> WriteCheckpoint(duck::Connection& conn, Env& env,
                                              const std::string& table_root, int64_t version,
                                              const std::vector<Action>& state);

}  // namespace dlake::delta
