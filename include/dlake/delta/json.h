#pragma once
// The JSON form of every result dlake::delta::Table returns: what `dlake delta … --json` prints
// and what the REST server and the Python SDK return, from this one implementation. Each
// function returns the JSON text, indented by `indent` spaces (-1: one line). doc/json.md lists
// the fields.

#include <cstdint>
#include <string>
#include <vector>

#include "dlake/delta/table.h"

namespace dlake::delta {

// A write's result; `table` is the folder as the caller named it, `operation` the write.
std::string ToJson(const CommitResult& result, const std::string& table,
                   const std::string& operation, int indent = 2);
std::string ToJson(const TableDescription& description, int indent = 2);
std::string ToJson(const std::vector<HistoryEntry>& history, int indent = 2);
std::string ToJson(const VacuumResult& result, const std::string& table, int indent = 2);
std::string ToJson(const LogCleanupResult& result, const std::string& table, int indent = 2);
// `dlake delta checkpoint`: the version the checkpoint was written at.
std::string CheckpointJson(int64_t version, const std::string& table, int indent = 2);

}  // namespace dlake::delta
