#pragma once
// dlake::Settings: every setting of dl-datalake, resolved once from four sources, highest first:
// command-line flags, DLAKE_* environment variables, <lake>/dlake.toml, built-in defaults.
// doc/settings.md lists them all.
//
// Each setting has one name, used in all three places: `cmc.requests_per_minute` is the key
// `requests_per_minute` in the file's `[cmc]` table, the variable DLAKE_CMC_REQUESTS_PER_MINUTE
// and, for the settings that have a flag, `--cmc-requests-per-minute`. Values are checked when
// they are resolved: an unknown key, a wrong type or a bad value is InvalidArgument naming the
// file and line, the variable or the flag, and the setting. A resolved Settings is immutable and
// safe to share between threads.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake {

// Names of the settings (doc/settings.md).
namespace setting {
inline constexpr std::string_view kMemoryLimit = "memory_limit";
inline constexpr std::string_view kThreads = "threads";
inline constexpr std::string_view kTempDirectory = "temp_directory";
inline constexpr std::string_view kRetryBaseMs = "retry_base_ms";
inline constexpr std::string_view kBinanceSpotUrl = "binance.spot_url";
inline constexpr std::string_view kBinanceFuturesUrl = "binance.futures_url";
inline constexpr std::string_view kBybitUrl = "bybit.url";
inline constexpr std::string_view kAggregate = "aggregate";
inline constexpr std::string_view kCmcUrl = "cmc.url";
inline constexpr std::string_view kCmcKeyFile = "cmc.key_file";
inline constexpr std::string_view kCmcRequestsPerMinute = "cmc.requests_per_minute";
inline constexpr std::string_view kCmcMonthlyCredits = "cmc.monthly_credits";
inline constexpr std::string_view kCmcCreditBuffer = "cmc.credit_buffer";
inline constexpr std::string_view kWarehouseUrl = "warehouse.url";
inline constexpr std::string_view kMaintainCompactMonthBytes = "maintain.compact_month_bytes";
inline constexpr std::string_view kManifestBackupsKeep = "manifest.backups_keep";
}  // namespace setting

// What kind of value a setting holds, and so how its text is checked.
enum class SettingKind {
  kByteSize,    // "256MB", "1.5GB", or a byte count; powers of 1024
  kCount,       // a whole number >= 0
  kPositive,    // a whole number >= 1
  kFraction,    // a number in [0, 1)
  kText,        // any string
  kSecretText,  // any string that may hold a password (a libpq connection string): shown redacted
  kPath,        // a file or folder path
  kUrl,         // http:// or https://, trailing slashes dropped
  kPeriods,     // a list of candle periods ("15m", "1h"); comma-separated outside the file
};

struct SettingSpec {
  std::string_view name;
  SettingKind kind;
  std::string_view default_value;  // as text; "" = unset
  std::string_view help;
  bool has_flag = false;  // a global command-line flag --<name with '-'>
};

// Every setting, in documentation order.
const std::vector<SettingSpec>& SettingCatalog();
// The environment variable of a setting: DLAKE_ + its name upper-cased, '.' as '_'.
std::string SettingEnvironmentVariable(std::string_view name);
// The flag of a setting: "--" + its name with '.' and '_' as '-'.
std::string SettingFlag(std::string_view name);

enum class SettingSource { kDefault, kFile, kEnvironment, kFlag };
const char* SettingSourceName(SettingSource source);

// One setting as resolved: its value and where it came from.
struct ResolvedSetting {
  std::string name;
  std::string value;  // canonical text ("" when unset); lists comma-separated
  SettingSource source = SettingSource::kDefault;
  std::string origin;  // "/lake/dlake.toml:3", "DLAKE_THREADS", "--threads" or "default"
};

// A setting's value as it may be shown (dlake config, logs): for kSecretText, a password in a
// libpq connection string (password=…) or URI (scheme://user:…@host) becomes "***".
std::string DisplayedSettingValue(const ResolvedSetting& setting);

// A [flows.NAME] table of dlake.toml, kept as its JSON for the flows module to check.
struct FlowDeclaration {
  std::string name;
  std::string json;    // the table as a JSON object
  std::string origin;  // "/lake/dlake.toml:12"
};

// A `NAME = "cron expression"` line of the [schedules] table.
struct ScheduleDeclaration {
  std::string flow;
  std::string cron;
  std::string origin;
};

// Where settings come from.
struct SettingsSources {
  // dlake.toml to read; "" = none. A missing file is no settings; an unreadable one an error.
  std::string file;
  // Settings given as flags, by setting name (e.g. {"threads", "2"}).
  std::map<std::string, std::string> flags;
  // Read the DLAKE_* variables of the process environment.
  bool read_environment = true;
};

class Settings {
 public:
  // Every setting at its default.
  Settings();
  static Result<Settings> Resolve(const SettingsSources& sources);

  // Typed values; the name must be one of SettingCatalog() of the matching kind.
  const std::string& Text(std::string_view name) const;
  int64_t Integer(std::string_view name) const;  // kByteSize (bytes), kCount, kPositive
  double Number(std::string_view name) const;    // kFraction
  std::vector<std::string> List(std::string_view name) const;  // kPeriods

  int64_t memory_limit_bytes() const { return Integer(setting::kMemoryLimit); }
  int threads() const { return static_cast<int>(Integer(setting::kThreads)); }

  // Every setting with its source, in catalog order.
  const std::vector<ResolvedSetting>& resolved() const { return resolved_; }
  const std::vector<FlowDeclaration>& flows() const { return flows_; }
  const std::vector<ScheduleDeclaration>& schedules() const { return schedules_; }

 private:
  const ResolvedSetting& Find(std::string_view name) const;

  std::vector<ResolvedSetting> resolved_;
  std::vector<FlowDeclaration> flows_;
  std::vector<ScheduleDeclaration> schedules_;
};

// The JSON form of the resolved settings: {"settings": [{name, value, source, origin}], "flows":
// [names], "schedules": {flow: cron}}.
std::string SettingsToJson(const Settings& settings);

// "256MB", "1.5 GB", "512k", "1048576": a size in bytes with an optional unit B, K[B], M[B],
// G[B] or T[B] (also KiB…TiB; case-insensitive; powers of 1024). InvalidArgument naming `text`
// for anything else, and for zero or negative sizes.
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace dlake
