// The transform groups (cryptolakehouse §2.4) and the run of one group.

#include "dlake/lakehouse/transform.h"

#include <filesystem>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "dlake/common/strings.h"
#include "lakehouse/table_runner.h"

namespace dlake::lakehouse {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSilverLock = "silver.lock";  // in .locks/
constexpr const char* kValidGroups = "init, daily, weekly, 5x, 10x, all";

const std::vector<std::string>& Daily() {
  static const std::vector<std::string> tables = {
      "dim_exchange_id", "dim_exchange_info", "dim_exchange_map",    "fact_exchange_assets",
      "dim_crypto_id",   "dim_crypto_map",    "crypto_category_link"};
  return tables;
}

const std::vector<std::string>& TenTimes() {
  static const std::vector<std::string> tables = {"dim_crypto_category", "fact_crypto_category",
                                                  "fact_global_market", "fact_market_sentiment"};
  return tables;
}

Status CheckContext(const SilverContext& ctx) {
  if (ctx.lake.empty()) return InvalidArgument("the silver transforms need a lake folder");
  if (!ctx.runtime) return InvalidArgument("the silver transforms need a runtime");
  if (ctx.manifest == nullptr) return InvalidArgument("the silver transforms need the manifest");
  return Status::Ok();
}

}  // namespace

bool TransformReport::ok() const { return FailedTables().empty(); }

std::vector<std::string> TransformReport::FailedTables() const {
  std::vector<std::string> failed;
  for (const auto& table : tables) {
    if (table.status == "failed") failed.push_back(table.domain + "/" + table.table);
  }
  return failed;
}

Result<std::vector<std::string>> TransformGroupTables(const std::string& group) {
  const std::string name = AsciiLower(TrimWhitespace(group));
  if (name == "daily") return Daily();
  if (name == "weekly") return std::vector<std::string>{"dim_crypto_info"};
  if (name == "5x") return std::vector<std::string>{"fact_crypto_market"};
  if (name == "10x") return TenTimes();
  if (name == "init") return std::vector<std::string>{"market_sentiment_history"};
  if (name == "all") {
    std::vector<std::string> all;
    for (const char* part : {"weekly", "daily", "5x", "10x", "init"}) {
      DLAKE_ASSIGN_OR_RETURN(auto tables, TransformGroupTables(part));
      all.insert(all.end(), tables.begin(), tables.end());
    }
    return all;
  }
  return InvalidArgument("unknown transform group '", group, "'; valid groups: ", kValidGroups);
}

Result<TransformReport> TransformSilver(const SilverContext& ctx, const TransformRequest& request) {
  DLAKE_RETURN_IF_ERROR(CheckContext(ctx));
  DLAKE_ASSIGN_OR_RETURN(auto tables, TransformGroupTables(request.group));
  std::error_code ec;
  const std::string lake = fs::absolute(ctx.lake, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve the lake folder '", ctx.lake, "': ", ec.message());
  // One transform per lake at a time: two runs of one table would write its metadata twice.
  DLAKE_ASSIGN_OR_RETURN(
      FileLock lock, FileLock::Acquire(JoinPath(JoinPath(lake, layout::kLocksDir), kSilverLock)));
  TransformReport report;
  report.group = AsciiLower(TrimWhitespace(request.group));
  TableRunner runner(ctx, lake);
  for (const auto& name : tables) {
    const SilverTable* table = FindSilverTable(name);
    if (table == nullptr) return Internal("silver table '", name, "' has no definition");
    report.tables.push_back(runner.Run(*table));
  }
  return report;
}

}  // namespace dlake::lakehouse
