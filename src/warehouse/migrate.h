#pragma once
// Applies the numbered migrations of schema.h to a warehouse and records each in
// dlake_schema_migrations (version, name, applied_at), one transaction per migration, so an
// older warehouse is upgraded in place and a failed migration leaves the previous version.

#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "<version> <name>", in order
};

// The version recorded in the warehouse; 0 for an empty one.
Result<int> SchemaVersion(SqlTarget& target);

// Brings the schema to `up_to` (default: the latest). FailedPrecondition when the warehouse is
// already at a version this program does not know (a newer dlake made it).
Result<MigrationReport> Migrate(SqlTarget& target, int up_to = -1);

}  // namespace dlake::warehouse
