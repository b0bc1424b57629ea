#pragma once
// The two repair procedures of the daily load (cryptolakehouse §3.5):
// fill_nulls_exchange_map_info and fill_nulls_spot_volume_and_wallet_weight. On PostgreSQL they
// are stored procedures (created by `warehouse init`, run with CALL); DuckDB has no procedures,
// so the library runs the same statements itself. Either way one call repairs the newest
// snapshot per exchange.

#include <cstdint>
#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {

struct ProcedureDefinition {
  std::string name;
  std::string description;
  // The statements of its body, valid in both dialects (no trailing semicolons).
  std::vector<std::string> statements;
};

const std::vector<ProcedureDefinition>& RepairProcedures();

// CREATE OR REPLACE PROCEDURE for PostgreSQL.
std::string CreateProcedureSql(const ProcedureDefinition& procedure);

// Runs one procedure on the target (CALL on PostgreSQL, the statements on DuckDB). Returns the
// rows its statements updated (on PostgreSQL, where CALL reports none: -1).
Result<int64_t> RunProcedure(SqlTarget& target, const ProcedureDefinition& procedure);

}  // namespace dlake::warehouse
