#pragma once
// Shared pieces of the dlake command line: global options, lake opening, output helpers.
// Commands only parse arguments, call dlake::Lake and format results.

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dlake/json.h"
#include "dlake/lake.h"
#include "dlake/request_parsing.h"

namespace dlake::cli {

// Exit codes: success, failure, bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string lake;
  bool json = false;
  bool verbose = false;
  // Settings given as flags (--memory-limit, --threads, …), by setting name; checked by
  // dlake::Settings like every other source.
  std::map<std::string, std::string> settings;
};

// A bad command-line value (a date, a period): reported with exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by commands to end with a Status (exit code 1, or 2 for InvalidArgument from flags).
struct StatusError : std::runtime_error {
  explicit StatusError(Status s) : std::runtime_error(s.ToString()), status(std::move(s)) {}
  Status status;
};

// Value of a Result or throws StatusError.
template <typename T>
T Check(Result<T> result) {
  if (!result.ok()) throw StatusError(result.status());
  return std::move(result).value();
}
inline void Check(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}
// Like Check, but an error is the user's bad flag value.
template <typename T>
T CheckUsage(Result<T> result) {
  if (!result.ok()) throw UsageError(result.status().message());
  return std::move(result).value();
}

// Exit code a command sets when it finishes without an error but with findings (verify).
int& CommandExitCode();

// --exchange/--market/--symbol/--type/--period options feeding a DatasetFilter.
struct DatasetFlags {
  std::string exchange, market, symbol, type, period;
  void Add(CLI::App& cmd, bool symbol_required);
  // Normalised filter (upper case, unified symbols mapped); empty fields match anything.
  DatasetFilter Filter() const;
};

// [start, end) from --start/--end text (ParseTimeRange); empty text = unbounded.
std::pair<int64_t, int64_t> ParseRange(const std::string& start, const std::string& end);

// Adds the global flag of every setting that has one (dlake::SettingCatalog) to `app`.
void AddSettingFlags(CLI::App& app, GlobalOptions& options);
// The runtime for the lake at `lake` ("" = none): settings from the flags, DLAKE_* variables
// and <lake>/dlake.toml. A bad setting is a usage error (exit 2) wherever it comes from.
std::shared_ptr<Runtime> MakeRuntime(const GlobalOptions& options, const std::string& lake);
// The lake named by --lake, $DLAKE_LAKE or the working directory, opened on its runtime.
std::unique_ptr<Lake> OpenLake(const GlobalOptions& options);
// The lake to take settings from for commands that work without one (dlake delta, dlake
// config): --lake or $DLAKE_LAKE when given (which must be lakes), else the nearest lake above
// the working directory, else "".
std::string OptionalLake(const GlobalOptions& options);

void PrintJson(const nlohmann::json& value);
// Prints JSON text that the library produced.
void PrintJson(const std::string& json_text);
std::string HumanBytes(int64_t bytes);
std::string TimeText(int64_t ms);

void AddInitCommand(CLI::App& app, GlobalOptions& global);
void AddIngestCommand(CLI::App& app, GlobalOptions& global);
void AddReadCommand(CLI::App& app, GlobalOptions& global);
void AddListCommand(CLI::App& app, GlobalOptions& global);
void AddDeleteCommand(CLI::App& app, GlobalOptions& global);
void AddVerifyCommand(CLI::App& app, GlobalOptions& global);
void AddAggregateCommand(CLI::App& app, GlobalOptions& global);
// "15m,1h" -> {"15m", "1h"}; UsageError naming `flag` on a bad period or an empty list.
std::vector<std::string> ParsePeriodList(const std::string& text, const char* flag);
// The human form of the aggregates a command brought up to date.
void PrintAggregated(const AggregateReport& report);
void AddDownloadCommands(CLI::App& app, GlobalOptions& global);
// `dlake config`: the resolved settings and where each came from.
void AddConfigCommand(CLI::App& app, GlobalOptions& global);
// `dlake delta …`: Delta Lake tables in any folder (no lake needed).
void AddDeltaCommands(CLI::App& app, GlobalOptions& global);
// `dlake cmc …`: the CoinMarketCap pipeline.
void AddCmcCommands(CLI::App& app, GlobalOptions& global);
// `dlake warehouse …` and `dlake gold …` (cmd_warehouse.cc).
void AddWarehouseAndGoldCommands(CLI::App& app, GlobalOptions& global);
// `dlake backup` and `dlake restore` (cmd_backup.cc).
void AddBackupCommands(CLI::App& app, GlobalOptions& global);
// `dlake upload-feature` and `dlake features list | show | diff` (cmd_features.cc).
void AddFeatureCommands(CLI::App& app, GlobalOptions& global);
// `dlake read --feature-set` and `--with-features` (cmd_features.cc): the flags, and the request
// they make.
struct FeatureReadFlags {
  std::string feature_set;    // SET[@VERSION]
  std::string with_features;  // SET[@VERSION],...
  std::string tolerance;      // a period such as 5m, or a duration 90s / 2h / 1d
  std::string as_of;          // a time, as --start reads it
  void Add(CLI::App& cmd);
  bool Any() const { return !feature_set.empty() || !with_features.empty(); }
};
// What `dlake read` writes out: rows exported to a file, or scanned in batches.
struct ReadSource {
  std::function<Result<int64_t>(ExportFormat, const std::string&)> export_to;
  std::function<Status(size_t, const std::function<Status(const RecordBatch&)>&)> scan;
};
// The rows of a plain read (cmd_read.cc) and of a read with feature flags (cmd_features.cc).
ReadSource PlainReadSource(Lake& lake, const ReadQuery& query);
ReadSource FeatureReadSource(Lake& lake, const FeatureReadFlags& flags, const ReadQuery& query);
// `dlake maintain [compact | cleanup]` (cmd_maintain.cc).
void AddMaintainCommands(CLI::App& app, GlobalOptions& global);

}  // namespace dlake::cli
