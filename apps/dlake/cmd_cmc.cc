// `dlake cmc …`: the CoinMarketCap medallion pipeline (doc/cmc.md).

#include <iostream>

#include "cli.h"

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
    if (group.empty() && endpoints.empty()) throw UsageError("give --group or --endpoint");
    auto lake = OpenLake(global);
    cmc::ExtractRequest request{group, endpoints};
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

}  // namespace

void AddCmcCommands(CLI::App& app, GlobalOptions& global) {
  auto* cmc = app.add_subcommand("cmc", "The CoinMarketCap pipeline: bronze extract, credits");
  cmc->require_subcommand(1);
  AddExtract(*cmc, global);
  AddCredits(*cmc, global);
}

}  // namespace dlake::cli
