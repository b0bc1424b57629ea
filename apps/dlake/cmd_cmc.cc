// `dlake cmc …`: the CoinMarketCap medallion pipeline (doc/cmc.md).

#include <iostream>

#include "cli.h"
#include "dlake/lakehouse/json.h"

namespace dlake::cli {
namespace {

void PrintExtract(const cmc::ExtractReport& r) {
  std::cout << "CoinMarketCap extract" << (r.group.empty() ? "" : " (" + r.group + ")") << " at "
            << r.snapshot_date << " UTC: " << r.requests << " requests, " << r.credits
            << " credits (estimated " << r.estimated_credits << ")\n";
  for (const auto& e : r.endpoints) {
    std::cout << "  " << e.name << ": " << e.status;
    if (e.rows) std::cout << ", " << e.rows << " rows in " << e.files.size() << " file(s)";
    if (e.requests) std::cout << ", " << e.requests << " requests, " << e.credits << " credits";
    if (!e.message.empty()) std::cout << " — " << e.message;
    std::cout << "\n";
  }
  std::cout << (r.ok() ? "OK\n" : "SOME ENDPOINTS FAILED\n");
}

void PrintCredits(const cmc::CreditReport& r) {
  std::cout << "CoinMarketCap credits: " << r.today << " today (" << r.day << "), " << r.this_month
            << " this month (" << r.month << ") of " << r.usable << " usable (budget "
            << r.monthly_budget << ", " << static_cast<int>(r.buffer * 100) << "% kept); "
            << r.remaining << " left\n";
  for (const auto& e : r.month_by_endpoint) {
    std::cout << "  " << e.endpoint << ": " << e.requests << " requests, " << e.credits
              << " credits\n";
  }
}

void PrintTransform(const lakehouse::TransformReport& r) {
  std::cout << "Silver transform (" << r.group << ")\n";
  for (const auto& t : r.tables) {
    std::cout << "  " << t.domain << "/" << t.table << ": " << t.status;
    if (t.status == "success") {
      std::cout << ", " << t.record_count << " rows";
      if (t.committed) {
        std::cout << " (" << t.rows_inserted << " inserted, " << t.rows_updated
                  << " updated; version " << t.delta_version << ")";
      } else {
        std::cout << " (nothing new to commit)";
      }
      std::cout << " in " << t.duration_seconds << " s";
    }
    if (!t.notes.empty()) std::cout << " — " << t.notes;
    if (!t.error.empty()) std::cout << " — " << t.error;
    if (!t.maintenance_error.empty()) std::cout << " (maintenance: " << t.maintenance_error << ")";
    std::cout << "\n";
  }
  std::cout << (r.ok() ? "OK\n" : "SOME TABLES FAILED\n");
}

void PrintStatus(const PipelineStatus& s) {
  std::cout << "Bronze (CoinMarketCap endpoints):\n";
  for (const auto& e : s.endpoints) {
    std::cout << "  " << e.name << ": "
              << (e.last_snapshot.empty() ? "no snapshot" : "last snapshot " + e.last_snapshot)
              << (e.last_rows ? ", " + std::to_string(e.last_rows) + " rows" : "");
    if (!e.last_run.empty()) std::cout << "; last run " << e.last_run << " " << e.last_status;
    std::cout << "; " << e.credits_this_month << " credits this month\n";
  }
  std::cout << "Silver (Delta tables):\n";
  for (const auto& t : s.tables) {
    std::cout << "  " << t.domain << "/" << t.table << ": ";
    if (t.exists) {
      std::cout << "version " << t.delta_version << ", " << t.row_count << " rows";
    } else {
      std::cout << "not built";
    }
    if (t.has_last_run)
      std::cout << "; last transform " << t.last_started_at << " " << t.last_status;
    std::cout << "\n";
  }
}

void AddExtract(CLI::App& cmc, GlobalOptions& global) {
  static std::string group;
  static std::vector<std::string> endpoints;
  auto* cmd = cmc.add_subcommand(
      "extract",
      "Pull CoinMarketCap snapshots into bronze (data/bronze/…); key from $CMC_API_KEY or "
      "cmc.key_file; exits 1 if any endpoint failed");
  auto* g = cmd->add_option("--group", group, "init, daily, weekly, 5x or 10x");
  auto* e = cmd->add_option("--endpoint", endpoints,
                            "Endpoint names (exchange_map, exchange_info, exchange_assets, "
                            "crypto_map, crypto_info, crypto_listings_latest, "
                            "crypto_categories, crypto_category, global_metrics_quotes_latest, "
                            "fear_and_greed_latest, fear_and_greed_historical)");
  g->excludes(e);
  cmd->callback([&global] {
    cmc::ExtractRequest request{group, endpoints};
    if (Status valid = cmc::ValidateExtractRequest(request); !valid.ok()) {
      throw UsageError(valid.message());
    }
    auto lake = OpenLake(global);
    cmc::ExtractReport report = Check(lake->ExtractCmc(request));
    if (global.json) {
      PrintJson(cmc::ToJson(report));
    } else {
      PrintExtract(report);
    }
    if (!report.ok()) CommandExitCode() = kExitFailure;
  });
}

void AddCredits(CLI::App& cmc, GlobalOptions& global) {
  auto* cmd = cmc.add_subcommand("credits",
                                 "CoinMarketCap credits spent today and this month, by endpoint");
  cmd->callback([&global] {
    auto lake = OpenLake(global);
    cmc::CreditReport report = Check(lake->CmcCredits());
    if (global.json) {
      PrintJson(cmc::ToJson(report));
    } else {
      PrintCredits(report);
    }
  });
}

void AddTransform(CLI::App& cmc, GlobalOptions& global) {
  static std::string group;
  auto* cmd = cmc.add_subcommand(
      "transform",
      "Build the silver Delta tables (data/silver/…) from the newest bronze files; exits 1 if "
      "any table failed");
  cmd->add_option("--group", group, "init, daily, weekly, 5x, 10x or all")->required();
  cmd->callback([&global] {
    CheckUsage(lakehouse::TransformGroupTables(group));
    auto lake = OpenLake(global);
    lakehouse::TransformReport report = Check(lake->TransformCmc({group}));
    if (global.json) {
      PrintJson(lakehouse::ToJson(report));
    } else {
      PrintTransform(report);
    }
    if (!report.ok()) CommandExitCode() = kExitFailure;
  });
}

void AddStatus(CLI::App& cmc, GlobalOptions& global) {
  auto* cmd = cmc.add_subcommand(
      "status", "Per endpoint and silver table: last snapshot, rows, last run and credits");
  cmd->callback([&global] {
    auto lake = OpenLake(global);
    PipelineStatus status = Check(lake->CmcStatus());
    if (global.json) {
      PrintJson(ToJson(status));
    } else {
      PrintStatus(status);
    }
  });
}

}  // namespace

void AddCmcCommands(CLI::App& app, GlobalOptions& global) {
  auto* cmc = app.add_subcommand(
      "cmc", "The CoinMarketCap pipeline: extract to bronze, transform to silver, status, credits");
  cmc->require_subcommand(1);
  AddExtract(*cmc, global);
  AddTransform(*cmc, global);
  AddStatus(*cmc, global);
  AddCredits(*cmc, global);
}

}  // namespace dlake::cli
