#include "warehouse/roles.h"

#include <cstdlib>

#include "dlake/common/strings.h"

namespace dlake::warehouse {
namespace {

// Roles that read (SELECT on every table); data_engineer also writes, admin owns everything.
constexpr const char* kReaders = "qa_data, data_scientist, analyst, bi_user";

std::string CreateRoles() {
  std::string sql = "DO $$ BEGIN\n";
  for (const auto& role : WarehouseRoles()) {
    std::string options =
        role == "admin" ? " NOINHERIT LOGIN CREATEDB CREATEROLE" : " NOINHERIT LOGIN";
    sql += "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role +
           "') THEN CREATE ROLE " + role + options + "; END IF;\n";
  }
  return sql + "END $$";
}

std::string Grants() {
  std::string sql;
  for (const auto& [schema, owner] : std::vector<std::pair<std::string, std::string>>{
           {"sandbox", "analyst"}, {"sandbox_ds", "data_scientist"}, {"sandbox_qa", "qa_data"}}) {
    sql += "CREATE SCHEMA IF NOT EXISTS " + schema + ";\n";
    sql += "GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + owner + ";\n";
  }
  sql += "REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n";
  sql += "GRANT USAGE, CREATE ON SCHEMA public TO admin;\n";
  sql += "GRANT USAGE ON SCHEMA public TO data_engineer, " + std::string(kReaders) + ";\n";
  sql += "GRANT ALL ON ALL TABLES IN SCHEMA public TO admin;\n";
  sql += "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO data_engineer;\n";
  sql += "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + std::string(kReaders) + ";\n";
  sql += "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO admin;\n";
  sql +=
      "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON "
      "TABLES TO data_engineer;\n";
  sql += "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO " +
         std::string(kReaders) + ";\n";
  // The original named its database (crypto_dw); this is whichever database we are in.
  sql +=
      "DO $$ BEGIN EXECUTE format('GRANT TEMP ON DATABASE %I TO data_engineer, qa_data, "
      "data_scientist, analyst', current_database()); END $$;\n";
  return sql;
}

}  // namespace

const std::vector<std::string>& WarehouseRoles() {
  static const std::vector<std::string> roles = {"admin",          "data_engineer", "qa_data",
                                                 "data_scientist", "analyst",       "bi_user"};
  return roles;
}

std::string PasswordVariable(const std::string& role) {
  return "DLAKE_DW_" + AsciiUpper(role) + "_PASSWORD";
}

Result<RolesReport> ApplyRoles(SqlTarget& target) {
  if (!target.dialect().has_roles()) {
    return InvalidArgument("roles exist only in a PostgreSQL warehouse");
  }
  RolesReport report;
  DLAKE_RETURN_IF_ERROR(target.Execute(CreateRoles(), "creating the warehouse roles").status());
  DLAKE_RETURN_IF_ERROR(target.Execute(Grants(), "granting the warehouse privileges").status());
  report.roles = WarehouseRoles();
  for (const auto& role : WarehouseRoles()) {
    const char* password = std::getenv(PasswordVariable(role).c_str());
    if (password == nullptr || *password == '\0') continue;
    DLAKE_RETURN_IF_ERROR(target.SetRolePassword(role, password));
    report.passwords.push_back(role);
  }
  return report;
}

}  // namespace dlake::warehouse
