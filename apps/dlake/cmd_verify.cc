#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

void PrintList(const char* title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  std::cout << title << " (" << items.size() << "):\n";
  for (const auto& item : items) std::cout << "  " << item << "\n";
}

void PrintReport(const VerifyReport& r) {
  std::cout << "Checked " << r.files_checked << " files (" << HumanBytes(r.bytes_checked) << ")\n";
  PrintList("Checksum mismatches", r.checksum_mismatches);
  PrintList("Manifest rows whose file is missing", r.missing_files);
  PrintList("Orphan files (not in the manifest)", r.orphans);
  PrintList("Temporary leftovers", r.leftovers);
  if (!r.pending_deletes.empty()) {
    std::cout << r.pending_deletes.size()
              << " replaced files wait until no reader needs them (repair deletes them then)\n";
  }
  if (r.removed) std::cout << "Removed " << r.removed << " orphans and leftovers\n";
  for (const auto& d : r.datasets) {
    bool clean = d.gaps.empty() && !d.duplicates && !d.out_of_order && d.mismatches.empty();
    std::cout << d.dataset.Path() << ": " << d.files << " files, " << d.rows << " rows"
              << (d.known_gaps ? ", " + std::to_string(d.known_gaps) + " known gaps" : "")
              << (clean ? ", ok" : "") << "\n";
    for (const auto& g : d.gaps) {
      std::cout << "  gap " << TimeText(g.from) << " .. " << TimeText(g.to) << " (" << g.missing
                << " missing)\n";
    }
    if (d.duplicates) std::cout << "  " << d.duplicates << " duplicate rows\n";
    if (d.out_of_order) std::cout << "  " << d.out_of_order << " rows out of order\n";
    for (const auto& m : d.mismatches) std::cout << "  " << m << "\n";
  }
  std::cout << (r.ok() ? "OK\n" : "PROBLEMS FOUND\n");
}

}  // namespace

void AddVerifyCommand(CLI::App& app, GlobalOptions& global) {
  static DatasetFlags flags;
  static bool repair = false, no_data = false;
  auto* cmd = app.add_subcommand(
      "verify",
      "Check checksums, orphans, dead manifest rows, leftovers, gaps, duplicates and "
      "order; exits 1 when it finds problems");
  flags.Add(*cmd, /*symbol_required=*/false);
  cmd->add_flag("--repair", repair,
                "Remove orphan files, temporary leftovers and replaced files no reader needs "
                "(nothing else)");
  cmd->add_flag("--no-data-checks", no_data, "Skip gaps, duplicates and order (no row reads)");
  cmd->callback([&global] {
    VerifyRequest request;
    request.filter = flags.Filter();
    request.repair = repair;
    request.check_data = !no_data;
    auto lake = OpenLake(global);
    VerifyReport report = Check(lake->Verify(request));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintReport(report);
    }
    if (!report.ok()) CommandExitCode() = kExitFailure;
  });
}

}  // namespace dlake::cli
