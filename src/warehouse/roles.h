#pragma once
// The PostgreSQL roles, schemas and grants of the warehouse (cryptolakehouse §3.5,
// init_roles.sql): six NOINHERIT LOGIN roles, three sandbox schemas, privileges on public and
// its tables (now and by default for later ones), TEMP on the database. Passwords come only from
// DLAKE_DW_<ROLE>_PASSWORD (e.g. DLAKE_DW_BI_USER_PASSWORD) and reach the server as SCRAM hashes;
// a role whose variable is unset keeps no password.

#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {

struct RolesReport {
  std::vector<std::string> roles;      // created or already present, all granted
  std::vector<std::string> passwords;  // roles whose password was set from the environment
};

// The role names, in order: admin, data_engineer, qa_data, data_scientist, analyst, bi_user.
const std::vector<std::string>& WarehouseRoles();
// DLAKE_DW_<ROLE>_PASSWORD for a role.
std::string PasswordVariable(const std::string& role);

// Idempotent. Only for a dialect with roles (PostgreSQL).
Result<RolesReport> ApplyRoles(SqlTarget& target);

}  // namespace dlake::warehouse
