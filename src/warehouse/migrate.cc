// The migration runner (migrate.h).

#include "warehouse/migrate.h"

#include "warehouse/schema.h"

namespace dlake::warehouse {
namespace {

Status EnsureMigrationsTable(SqlTarget& target) {
  return target
      .Execute("CREATE TABLE IF NOT EXISTS " + std::string(kMigrationsTable) +
                   " (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                   "applied_at TIMESTAMP NOT NULL)",
               "creating " + std::string(kMigrationsTable))
      .status();
}

}  // namespace

Result<int> SchemaVersion(SqlTarget& target) {
  // Read-only: roles without CREATE on the schema (data_engineer, the readers) may ask.
  DLAKE_ASSIGN_OR_RETURN(
      SqlRows exists,
      target.Query("SELECT count(*) FROM information_schema.tables WHERE table_name = " +
                       SqlLiteral(kMigrationsTable),
                   "looking for " + std::string(kMigrationsTable)));
  if (exists.Int(0, 0) == 0) return 0;
  DLAKE_ASSIGN_OR_RETURN(SqlRows rows, target.Query("SELECT coalesce(max(version), 0) FROM " +
                                                        std::string(kMigrationsTable),
                                                    "reading the warehouse schema version"));
  return static_cast<int>(rows.Int(0, 0));
}

Result<MigrationReport> Migrate(SqlTarget& target, int up_to) {
  const auto& migrations = Migrations();
  const int latest = migrations.back().version;
  if (up_to < 0 || up_to > latest) up_to = latest;
  MigrationReport report;
  DLAKE_RETURN_IF_ERROR(EnsureMigrationsTable(target));
  DLAKE_ASSIGN_OR_RETURN(report.from_version, SchemaVersion(target));
  if (report.from_version > latest) {
    return FailedPrecondition("the warehouse ", target.Describe(), " is at schema version ",
                              report.from_version, ", newer than this dlake knows (", latest,
                              "): upgrade dlake");
  }
  report.to_version = report.from_version;
  for (const auto& migration : migrations) {
    if (migration.version <= report.from_version || migration.version > up_to) continue;
    const std::string label = std::to_string(migration.version) + " " + migration.name;
    DLAKE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(target));
    DLAKE_RETURN_IF_ERROR(
        target.Execute(migration.sql(target.dialect()), "applying migration " + label).status());
    DLAKE_RETURN_IF_ERROR(target
                              .Execute("INSERT INTO " + std::string(kMigrationsTable) +
                                           " VALUES (" + std::to_string(migration.version) + ", " +
                                           SqlLiteral(migration.name) + ", timezone('UTC', now()))",
                                       "recording migration " + label)
                              .status());
    DLAKE_RETURN_IF_ERROR(txn.Commit());
    report.applied.push_back(label);
    report.to_version = migration.version;
  }
  return report;
}

}  // namespace dlake::warehouse
