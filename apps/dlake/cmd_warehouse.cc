// `dlake warehouse …` and `dlake gold …`: the warehouse and gold layers (doc/warehouse.md).

#include <iostream>

#include "cli.h"
#include "dlake/warehouse/json.h"

namespace dlake::cli {
namespace {

void PrintInit(const warehouse::InitReport& r) {
  std::cout << "Warehouse " << r.target << " (" << r.dialect << "): schema version "
            << r.from_version << " -> " << r.to_version << "\n";
  for (const auto& m : r.migrations) std::cout << "  applied migration " << m << "\n";
  if (!r.roles.empty()) {
    std::cout << "  roles: " << r.roles.size() << " (passwords set: " << r.passwords.size()
              << ")\n";
  }
  if (!r.procedures.empty()) std::cout << "  procedures: " << r.procedures.size() << "\n";
  std::cout << "  views: " << r.views << "\n";
}

void PrintLoad(const warehouse::LoadReport& r) {
  std::cout << "Warehouse load (" << r.group << ") into " << r.target << "\n";
  for (const auto& t : r.tables) {
    std::cout << "  " << t.domain << "/" << t.table << ": " << t.status;
    if (t.status != "failed" && t.delta_version >= 0) {
      std::cout << ", silver version " << t.delta_version << ": " << t.rows_read << " read, "
                << t.rows_inserted << " inserted, " << t.rows_updated << " updated, "
                << t.rows_rejected << " rejected in " << t.duration_seconds << " s";
    }
    if (!t.notes.empty()) std::cout << " — " << t.notes;
    if (!t.error.empty()) std::cout << " — " << t.error;
    std::cout << "\n";
  }
  for (const auto& p : r.procedures) {
    std::cout << "  procedure " << p.name << ": "
              << (p.error.empty() ? "done" : "FAILED — " + p.error);
    if (p.error.empty() && p.rows_updated >= 0) std::cout << " (" << p.rows_updated << " rows)";
    std::cout << "\n";
  }
  std::cout << (r.ok() ? "OK\n" : "SOME TABLES FAILED\n");
}

void PrintTests(const warehouse::DataTestReport& r) {
  std::cout << "Data tests on " << r.target << "\n";
  for (const auto& t : r.tests) {
    std::cout << "  " << (t.passed() ? "PASS " : "FAIL ") << t.name << ": " << t.rows << " rows";
    if (!t.error.empty()) std::cout << " — " << t.error;
    std::cout << "\n";
  }
  std::cout << r.failed() << " of " << r.tests.size() << " tests failed\n";
}

void PrintStatus(const warehouse::WarehouseStatusReport& r) {
  std::cout << "Warehouse " << r.target << " (" << r.dialect << "), schema version "
            << r.schema_version << " of " << r.latest_schema_version << "\n";
  for (const auto& t : r.tables) {
    std::cout << "  " << t.domain << "/" << t.table << ": ";
    if (t.rows < 0) {
      std::cout << "not created";
    } else {
      std::cout << t.rows << " rows";
    }
    if (t.rejected > 0) std::cout << ", " << t.rejected << " rejected";
    if (t.has_last_load) {
      std::cout << "; last load " << t.last_started_at << " " << t.last_status << " ("
                << t.last_record_count << " rows)";
    }
    std::cout << "\n";
  }
}

template <typename Report>
void Emit(const GlobalOptions& global, const Report& report, void (*print)(const Report&)) {
  if (global.json) {
    PrintJson(warehouse::ToJson(report));
  } else {
    print(report);
  }
}

void AddWarehouseCommands(CLI::App& app, GlobalOptions& global) {
  auto* wh = app.add_subcommand(
      "warehouse",
      "The warehouse: PostgreSQL at warehouse.url ($DLAKE_WAREHOUSE_URL) or the embedded "
      "DuckDB file warehouse/warehouse.duckdb");
  wh->require_subcommand(1);

  wh->add_subcommand("init",
                     "Create or upgrade the schema (numbered migrations), then roles and "
                     "procedures (PostgreSQL) and the 50 views")
      ->callback([&global] {
        auto lake = OpenLake(global);
        Emit(global, Check(lake->InitWarehouse()), PrintInit);
      });

  static warehouse::LoadRequest load;
  auto* load_cmd = wh->add_subcommand(
      "load",
      "Load the silver tables of a group (daily and all then run the two repair procedures); "
      "exits 1 if any table failed");
  load_cmd->add_option("--group", load.group, "daily, weekly, 5x, 10x or all")->required();
  load_cmd->add_flag("--force", load.force,
                     "Load even tables whose silver has not been transformed since the last load");
  load_cmd->callback([&global] {
    CheckUsage(warehouse::LoadGroupTables(load.group));
    auto lake = OpenLake(global);
    warehouse::LoadReport report = Check(lake->LoadWarehouse(load));
    Emit(global, report, PrintLoad);
    if (!report.ok()) CommandExitCode() = kExitFailure;
  });

  wh->add_subcommand("test", "Run the 42 data tests; exits 1 if any finds a row")
      ->callback([&global] {
        auto lake = OpenLake(global);
        warehouse::DataTestReport report = Check(lake->TestWarehouse());
        Emit(global, report, PrintTests);
        if (!report.ok()) CommandExitCode() = kExitFailure;
      });

  wh->add_subcommand("status", "Tables, rows, rejected rows and the last load of each")
      ->callback([&global] {
        auto lake = OpenLake(global);
        Emit(global, Check(lake->WarehouseStatus()), PrintStatus);
      });
}

void PrintDump(const warehouse::DumpReport& r) {
  std::cout << "Dump written: " << r.path << " (" << r.bytes << " bytes)\n";
  for (const auto& removed : r.removed) std::cout << "  removed " << removed << "\n";
}

void PrintSnapshot(const warehouse::SnapshotReport& r) {
  for (const auto& f : r.files) {
    std::cout << f.name << ": " << f.rows << " rows -> " << f.path << "\n";
  }
}

void AddGoldCommands(CLI::App& app, GlobalOptions& global) {
  auto* gold = app.add_subcommand("gold", "Gold exports of the warehouse: dumps and CSV snapshots");
  gold->require_subcommand(1);

  static warehouse::DumpRequest dump;
  auto* dump_cmd = gold->add_subcommand(
      "dump",
      "Back up the warehouse to data/gold/dumps/full_backup_<UTC time>.sql (pg_dump, plain) or, "
      "embedded, to a DuckDB EXPORT DATABASE folder");
  dump_cmd->add_option("--keep", dump.keep, "Keep only the newest N dumps (0 = keep all)")
      ->check(CLI::NonNegativeNumber);
  dump_cmd->callback([&global] {
    auto lake = OpenLake(global);
    Emit(global, Check(lake->DumpGold(dump)), PrintDump);
  });

  static std::vector<std::string> tables, views;
  auto* snap = gold->add_subcommand(
      "snapshot",
      "Export tables or views as CSV to data/gold/snapshots/<name>-<UTC time>.csv "
      "(default: every table)");
  snap->add_option("--table", tables, "Warehouse tables");
  snap->add_option("--view", views, "vw_ views");
  snap->callback([&global] {
    warehouse::SnapshotRequest request;
    request.names = tables;
    request.names.insert(request.names.end(), views.begin(), views.end());
    if (Status names = warehouse::CheckSnapshotRequest(request); !names.ok()) {
      throw UsageError(names.message());
    }
    auto lake = OpenLake(global);
    Emit(global, Check(lake->SnapshotGold(request)), PrintSnapshot);
  });
}

}  // namespace

void AddWarehouseAndGoldCommands(CLI::App& app, GlobalOptions& global) {
  AddWarehouseCommands(app, global);
  AddGoldCommands(app, global);
}

}  // namespace dlake::cli
