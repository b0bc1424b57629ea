// `dlake warehouse init | test | status` (doc/warehouse.md).

#include "dlake/warehouse/warehouse.h"

#include "warehouse/data_tests.h"
#include "warehouse/load_metadata.h"
#include "warehouse/migrate.h"
#include "warehouse/open_target.h"
#include "warehouse/procedures.h"
#include "warehouse/roles.h"
#include "warehouse/schema.h"
#include "warehouse/views.h"

namespace dlake::warehouse {

Result<InitReport> InitWarehouse(const WarehouseContext& ctx, int up_to_version) {
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  InitReport report;
  report.target = target->Describe();
  report.dialect = std::string(target->dialect().name());
  DLAKE_ASSIGN_OR_RETURN(MigrationReport migrated, Migrate(*target, up_to_version));
  report.from_version = migrated.from_version;
  report.to_version = migrated.to_version;
  report.migrations = migrated.applied;
  if (report.to_version < Migrations().back().version) return report;  // a partial upgrade

  if (target->dialect().has_roles()) {
    DLAKE_ASSIGN_OR_RETURN(RolesReport roles, ApplyRoles(*target));
    report.roles = roles.roles;
    report.passwords = roles.passwords;
  }
  if (target->dialect().has_procedures()) {
    for (const auto& procedure : RepairProcedures()) {
      DLAKE_RETURN_IF_ERROR(
          target->Execute(CreateProcedureSql(procedure), "creating procedure " + procedure.name)
              .status());
      report.procedures.push_back(procedure.name);
    }
  }
  // All views in one transaction: readers see the old set or the new one.
  DLAKE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*target));
  for (const auto& view : WarehouseViews(target->dialect())) {
    DLAKE_RETURN_IF_ERROR(
        target->Execute(CreateViewSql(view, target->dialect()), "creating view " + view.name)
            .status());
    ++report.views;
  }
  DLAKE_RETURN_IF_ERROR(txn.Commit());
  return report;
}

int DataTestReport::failed() const {
  int failed = 0;
  for (const auto& test : tests) failed += test.passed() ? 0 : 1;
  return failed;
}

Result<DataTestReport> TestWarehouse(const WarehouseContext& ctx) {
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  DataTestReport report;
  report.target = target->Describe();
  for (const auto& test : WarehouseDataTests(target->dialect())) {
    DataTestResult result;
    result.name = test.name;
    result.domain = test.domain;
    result.description = test.description;
    auto rows = target->Query("SELECT count(*) FROM (" + test.sql + ") AS offending",
                              "data test " + test.name);
    if (rows.ok()) {
      result.rows = rows->Int(0, 0);
    } else {
      result.error = rows.status().message();
    }
    report.tests.push_back(std::move(result));
  }
  return report;
}

Result<WarehouseStatusReport> WarehouseStatus(const WarehouseContext& ctx) {
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  WarehouseStatusReport report;
  report.target = target->Describe();
  report.dialect = std::string(target->dialect().name());
  DLAKE_ASSIGN_OR_RETURN(report.schema_version, SchemaVersion(*target));
  report.latest_schema_version = Migrations().back().version;
  LoadMetadata metadata(ctx.lake, ctx.runtime->env());
  for (const auto& table : WarehouseTables()) {
    WarehouseTableStatus status;
    status.domain = table.domain;
    status.table = table.name;
    if (report.schema_version >= 1) {
      DLAKE_ASSIGN_OR_RETURN(SqlRows rows, target->Query("SELECT count(*) FROM " + table.name,
                                                         "counting " + table.name));
      status.rows = rows.Int(0, 0);
    }
    if (report.schema_version >= 3) {
      DLAKE_ASSIGN_OR_RETURN(SqlRows rejected,
                             target->Query("SELECT count(*) FROM " + std::string(kRejectsTable) +
                                               " WHERE table_name = " + SqlLiteral(table.name),
                                           "counting the rejects of " + table.name));
      status.rejected = rejected.Int(0, 0);
    }
    DLAKE_ASSIGN_OR_RETURN(auto last, metadata.Last(table.domain, table.name));
    if (last) {
      status.has_last_load = true;
      status.last_status = last->status;
      status.last_started_at = last->started_at;
      status.last_notes = last->notes;
      status.last_record_count = last->record_count;
      status.last_delta_version = last->delta_version;
    }
    report.tables.push_back(std::move(status));
  }
  return report;
}

}  // namespace dlake::warehouse
