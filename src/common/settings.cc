#include "dlake/common/settings.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dlake/common/dataset.h"
#include "dlake/common/strings.h"

namespace dlake {
namespace {

using setting::kAggregate;

const std::vector<SettingSpec> kCatalog = {
    {setting::kMemoryLimit, SettingKind::kByteSize, "256MB",
     "DuckDB's memory limit for the whole process; larger work spills to temp_directory", true},
    {setting::kThreads, SettingKind::kCount, "0", "DuckDB worker threads; 0 = one per core", true},
    {setting::kTempDirectory, SettingKind::kPath, "",
     "Where DuckDB spills; default <lake>/.tmp/duckdb-<pid>, or the system temp folder outside "
     "a lake"},
    {setting::kRetryBaseMs, SettingKind::kPositive, "500",
     "First backoff step of HTTP retries in ms; later steps double, with jitter, up to 30 s"},
    {setting::kBinanceSpotUrl, SettingKind::kUrl, "https://api.binance.com",
     "Binance spot REST API"},
    {setting::kBinanceFuturesUrl, SettingKind::kUrl, "https://fapi.binance.com",
     "Binance USD-M futures REST API"},
    {setting::kBybitUrl, SettingKind::kUrl, "https://api.bybit.com", "Bybit v5 REST API"},
    {kAggregate, SettingKind::kPeriods, "",
     "Higher timeframes (agg datasets) brought up to date after every write of raw candles: "
     "ingest, download-history, delete (doc/aggregate.md)"},
    {setting::kCmcUrl, SettingKind::kUrl, "https://pro-api.coinmarketcap.com",
     "CoinMarketCap Pro API that `dlake cmc extract` calls"},
    {setting::kCmcKeyFile, SettingKind::kPath, "",
     "A file (mode 0600) holding the CoinMarketCap API key; $CMC_API_KEY takes precedence"},
    {setting::kCmcRequestsPerMinute, SettingKind::kPositive, "30",
     "CoinMarketCap requests per minute (Basic plan: 30)"},
    {setting::kCmcMonthlyCredits, SettingKind::kPositive, "10000",
     "CoinMarketCap credits per month (Basic plan: 10,000)"},
    {setting::kCmcCreditBuffer, SettingKind::kFraction, "0.35",
     "Share of the monthly credits never spent"},
    {setting::kWarehouseUrl, SettingKind::kSecretText, "",
     "PostgreSQL connection string (libpq key=value or postgresql:// URI) of the warehouse; "
     "empty = the embedded DuckDB warehouse <lake>/warehouse/warehouse.duckdb. Its password is "
     "never shown; prefer PGPASSWORD or ~/.pgpass"},
    {setting::kMaintainCompactMonthBytes, SettingKind::kByteSize, "64MB",
     "Compaction merges a closed month's day files of any period when they total at most this "
     "(periods of 1h and coarser are compacted whatever their size)"},
    {setting::kManifestBackupsKeep, SettingKind::kPositive, "10",
     "Automatic manifest backups kept in <lake>/metadata/manifest-backups/ (taken before every "
     "migration and after maintain); older ones are deleted"},
};

// Top-level tables of dlake.toml that are not settings groups.
constexpr std::string_view kFlowsTable = "flows";
constexpr std::string_view kSchedulesTable = "schedules";

const SettingSpec* FindSpec(std::string_view name) {
  for (const auto& spec : kCatalog) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool IsSettingGroup(std::string_view group) {
  for (const auto& spec : kCatalog) {
    auto dot = spec.name.find('.');
    if (dot != std::string_view::npos && spec.name.substr(0, dot) == group) return true;
  }
  return false;
}

const char* Expectation(SettingKind kind) {
  switch (kind) {
    case SettingKind::kByteSize:
      return "a size such as 256MB or 2GB";
    case SettingKind::kCount:
      return "a whole number >= 0";
    case SettingKind::kPositive:
      return "a whole number >= 1";
    case SettingKind::kFraction:
      return "a number from 0 to below 1";
    case SettingKind::kText:
    case SettingKind::kSecretText:
      return "a string";
    case SettingKind::kPath:
      return "a path";
    case SettingKind::kUrl:
      return "an http:// or https:// URL";
    case SettingKind::kPeriods:
      return "a list of periods such as [\"15m\", \"1h\"]";
  }
  return "a value";
}

Result<int64_t> ParseWhole(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return InvalidArgument("not whole");
  return value;
}

Result<double> ParseNumber(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return InvalidArgument("not a number");
  }
  return value;
}

// The canonical text of `text` for `spec`, or the reason it is not acceptable.
Result<std::string> Canonical(const SettingSpec& spec, std::string_view text) {
  auto bad = [&](std::string_view why = {}) {
    return InvalidArgument("expected ", Expectation(spec.kind), why.empty() ? "" : " (", why,
                           why.empty() ? "" : ")");
  };
  switch (spec.kind) {
    case SettingKind::kByteSize:
      if (!ParseByteSize(text).ok()) return bad();
      return std::string(TrimWhitespace(text));
    case SettingKind::kCount:
    case SettingKind::kPositive: {
      auto value = ParseWhole(text);
      const int64_t min = spec.kind == SettingKind::kCount ? 0 : 1;
      if (!value.ok() || *value < min) return bad();
      return std::to_string(*value);
    }
    case SettingKind::kFraction: {
      auto value = ParseNumber(text);
      if (!value.ok() || *value < 0 || *value >= 1) return bad();
      return std::string(text);
    }
    case SettingKind::kText:
    case SettingKind::kSecretText:
    case SettingKind::kPath:
      return std::string(text);
    case SettingKind::kUrl: {
      std::string url(text);
      if (url.empty()) return url;
      if (!url.starts_with("http://") && !url.starts_with("https://")) return bad();
      while (url.size() > 1 && url.back() == '/') url.pop_back();
      return url;
    }
    case SettingKind::kPeriods: {
      std::vector<std::string> periods;
      std::string_view rest = text;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view item = TrimWhitespace(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (item.empty()) continue;
        auto period = ParsePeriod(item);
        if (!period.ok()) return bad(period.status().message());
        if (period->ms == 0 && period->name != "1M") {
          return bad("'" + period->name + "' is not a candle period");
        }
        periods.push_back(period->name);
      }
      return JoinStrings(periods, ",");
    }
  }
  return bad();
}

std::string Origin(const toml::source_region& where, const std::string& file) {
  return file + ":" + std::to_string(where.begin.line);
}

const char* TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "nothing";
  }
}

// The text of a TOML value for a setting of `kind`, or the reason it has the wrong type.
Result<std::string> TomlText(SettingKind kind, const toml::node& node) {
  auto wrong = [&] {
    return InvalidArgument("expected ", Expectation(kind), ", not ", TomlTypeName(node.type()));
  };
  switch (kind) {
    case SettingKind::kByteSize:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      if (auto v = node.value_exact<std::string>()) return *v;
      return wrong();
    case SettingKind::kCount:
    case SettingKind::kPositive:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      return wrong();
    case SettingKind::kFraction:
      if (auto v = node.value_exact<int64_t>()) return std::to_string(*v);
      if (auto v = node.value_exact<double>()) {
        std::ostringstream out;
        out << *v;
        return out.str();
      }
      return wrong();
    case SettingKind::kText:
    case SettingKind::kSecretText:
    case SettingKind::kPath:
    case SettingKind::kUrl:
      if (auto v = node.value_exact<std::string>()) return *v;
      return wrong();
    case SettingKind::kPeriods: {
      const toml::array* array = node.as_array();
      if (!array) return wrong();
      std::vector<std::string> items;
      for (const auto& item : *array) {
        auto text = item.value_exact<std::string>();
        if (!text) return wrong();
        items.push_back(*text);
      }
      return JoinStrings(items, ",");
    }
  }
  return wrong();
}

std::string TableJson(const toml::table& table) {
  std::ostringstream out;
  out << toml::json_formatter{table};
  return out.str();
}

class FileReader {
 public:
  FileReader(std::string path, std::map<std::string, ResolvedSetting>& values,
             std::vector<FlowDeclaration>& flows, std::vector<ScheduleDeclaration>& schedules)
      : path_(std::move(path)), values_(values), flows_(flows), schedules_(schedules) {}

  Status Read() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      if (errno == ENOENT) return Status::Ok();
      return IoError("cannot read settings file '", path_, "': ", std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    toml::table root;
    try {
      root = toml::parse(text.str(), path_);
    } catch (const toml::parse_error& e) {
      return InvalidArgument(path_, ":", e.source().begin.line, ":", e.source().begin.column, ": ",
                             e.description());
    }
    for (auto&& [key, node] : root) {
      DLAKE_RETURN_IF_ERROR(TopLevel(std::string(key.str()), node));
    }
    return Status::Ok();
  }

 private:
  Status TopLevel(const std::string& key, const toml::node& node) {
    if (key == kFlowsTable) return Flows(node);
    if (key == kSchedulesTable) return Schedules(node);
    if (const toml::table* group = node.as_table(); group && IsSettingGroup(key)) {
      for (auto&& [sub, value] : *group) {
        DLAKE_RETURN_IF_ERROR(Setting(key + "." + std::string(sub.str()), value));
      }
      return Status::Ok();
    }
    return Setting(key, node);
  }

  Status Setting(const std::string& name, const toml::node& node) {
    const std::string origin = Origin(node.source(), path_);
    const SettingSpec* spec = FindSpec(name);
    if (!spec) {
      return InvalidArgument(origin, ": unknown setting '", name,
                             "' (see doc/settings.md or 'dlake config')");
    }
    auto text = TomlText(spec->kind, node);
    if (!text.ok()) {
      return InvalidArgument(origin, ": bad setting '", name, "': ", text.status().message());
    }
    auto value = Canonical(*spec, *text);
    if (!value.ok()) {
      return InvalidArgument(origin, ": bad setting '", name, "' (", *text,
                             "): ", value.status().message());
    }
    text = std::move(value);
    values_[name] = {name, *text, SettingSource::kFile, origin};
    return Status::Ok();
  }

  Status Flows(const toml::node& node) {
    const toml::table* table = node.as_table();
    if (!table) return InvalidArgument(Origin(node.source(), path_), ": 'flows' must be a table");
    for (auto&& [name, flow] : *table) {
      const toml::table* body = flow.as_table();
      const std::string origin = Origin(flow.source(), path_);
      if (!body) {
        return InvalidArgument(origin, ": flow '", name.str(), "' must be a table ([flows.",
                               name.str(), "])");
      }
      flows_.push_back({std::string(name.str()), TableJson(*body), origin});
    }
    return Status::Ok();
  }

  Status Schedules(const toml::node& node) {
    const toml::table* table = node.as_table();
    if (!table) {
      return InvalidArgument(Origin(node.source(), path_), ": 'schedules' must be a table");
    }
    for (auto&& [flow, cron] : *table) {
      const std::string origin = Origin(cron.source(), path_);
      auto text = cron.value_exact<std::string>();
      if (!text) {
        return InvalidArgument(origin, ": schedule of flow '", flow.str(),
                               "' must be a cron expression in quotes, e.g. \"0 3 * * *\"");
      }
      schedules_.push_back({std::string(flow.str()), *text, origin});
    }
    return Status::Ok();
  }

  std::string path_;
  std::map<std::string, ResolvedSetting>& values_;
  std::vector<FlowDeclaration>& flows_;
  std::vector<ScheduleDeclaration>& schedules_;
};

}  // namespace

const std::vector<SettingSpec>& SettingCatalog() { return kCatalog; }

std::string SettingEnvironmentVariable(std::string_view name) {
  std::string out = "DLAKE_" + AsciiUpper(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

std::string SettingFlag(std::string_view name) {
  std::string out = "--" + std::string(name);
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

const char* SettingSourceName(SettingSource source) {
  switch (source) {
    case SettingSource::kDefault:
      return "default";
    case SettingSource::kFile:
      return "file";
    case SettingSource::kEnvironment:
      return "environment";
    case SettingSource::kFlag:
      return "flag";
  }
  return "default";
}

Settings::Settings() {
  for (const auto& spec : kCatalog) {
    resolved_.push_back({std::string(spec.name), std::string(spec.default_value),
                         SettingSource::kDefault, "default"});
  }
}

Result<Settings> Settings::Resolve(const SettingsSources& sources) {
  Settings settings;
  std::map<std::string, ResolvedSetting> values;
  if (!sources.file.empty()) {
    FileReader reader(sources.file, values, settings.flows_, settings.schedules_);
    DLAKE_RETURN_IF_ERROR(reader.Read());
  }
  for (const auto& spec : kCatalog) {
    const std::string name(spec.name);
    if (!sources.read_environment) break;
    const std::string variable = SettingEnvironmentVariable(spec.name);
    const char* text = std::getenv(variable.c_str());
    if (!text || !*text) continue;
    auto value = Canonical(spec, text);
    if (!value.ok()) {
      return InvalidArgument("bad ", variable, "='", text, "': ", value.status().message());
    }
    values[name] = {name, *value, SettingSource::kEnvironment, variable};
  }
  for (const auto& [name, text] : sources.flags) {
    const SettingSpec* spec = FindSpec(name);
    if (!spec) return InvalidArgument("unknown setting '", name, "'");
    auto value = Canonical(*spec, text);
    if (!value.ok()) {
      return InvalidArgument("bad ", SettingFlag(name), " '", text,
                             "': ", value.status().message());
    }
    values[name] = {name, *value, SettingSource::kFlag, SettingFlag(name)};
  }
  for (auto& resolved : settings.resolved_) {
    if (auto it = values.find(resolved.name); it != values.end()) resolved = it->second;
  }
  return settings;
}

const ResolvedSetting& Settings::Find(std::string_view name) const {
  for (const auto& resolved : resolved_) {
    if (resolved.name == name) return resolved;
  }
  // A name outside the catalog is a programming error, not a user's.
  std::abort();
}

const std::string& Settings::Text(std::string_view name) const { return Find(name).value; }

int64_t Settings::Integer(std::string_view name) const {
  const ResolvedSetting& resolved = Find(name);
  const SettingSpec* spec = FindSpec(name);
  if (spec->kind == SettingKind::kByteSize) return ParseByteSize(resolved.value).value();
  return ParseWhole(resolved.value).value();
}

double Settings::Number(std::string_view name) const {
  return ParseNumber(Find(name).value).value();
}

std::vector<std::string> Settings::List(std::string_view name) const {
  std::vector<std::string> items;
  std::string_view rest = Find(name).value;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    items.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return items;
}

std::string DisplayedSettingValue(const ResolvedSetting& setting) {
  const SettingSpec* spec = nullptr;
  for (const auto& candidate : SettingCatalog()) {
    if (candidate.name == setting.name) spec = &candidate;
  }
  if (spec == nullptr || spec->kind != SettingKind::kSecretText) return setting.value;
  std::string text = setting.value;
  // URI: scheme://user:password@host…
  if (size_t scheme = text.find("://"); scheme != std::string::npos) {
    size_t at = text.find('@', scheme + 3);
    size_t colon = text.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      text.replace(colon + 1, at - colon - 1, "***");
    }
    // …?password=… in the query string.
    for (size_t p = text.find("password="); p != std::string::npos;
         p = text.find("password=", p + 1)) {
      size_t end = text.find('&', p);
      text.replace(p + 9, (end == std::string::npos ? text.size() : end) - p - 9, "***");
    }
    return text;
  }
  // key=value pairs: password=secret or password='se cret' (quotes may hold \' and \\).
  for (size_t p = text.find("password"); p != std::string::npos; p = text.find("password", p + 1)) {
    size_t eq = p + 8;
    while (eq < text.size() && text[eq] == ' ') ++eq;
    if (eq >= text.size() || text[eq] != '=') continue;
    size_t start = eq + 1;
    while (start < text.size() && text[start] == ' ') ++start;
    size_t end = start;
    if (end < text.size() && text[end] == '\'') {
      for (++end; end < text.size() && text[end] != '\''; ++end) {
        if (text[end] == '\\') ++end;
      }
      if (end < text.size()) ++end;
    } else {
      while (end < text.size() && text[end] != ' ') ++end;
    }
    text.replace(start, end - start, "***");
  }
  return text;
}

std::string SettingsToJson(const Settings& settings) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : settings.resolved()) {
    list.push_back({{"name", s.name},
                    {"value", DisplayedSettingValue(s)},
                    {"source", SettingSourceName(s.source)},
                    {"origin", s.origin}});
  }
  nlohmann::json flows = nlohmann::json::array();
  for (const auto& f : settings.flows()) flows.push_back(f.name);
  nlohmann::json schedules = nlohmann::json::object();
  for (const auto& s : settings.schedules()) schedules[s.flow] = s.cron;
  return nlohmann::json{{"settings", list}, {"flows", flows}, {"schedules", schedules}}.dump(2);
}

Result<int64_t> ParseByteSize(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument("bad size '", text, "' (expected e.g. 256MB, 1.5GB or a byte count)");
  };
  text = TrimWhitespace(text);
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return bad();
  auto number = ParseNumber(text.substr(0, digits));
  if (!number.ok()) return bad();
  std::string unit;
  for (char c : text.substr(digits)) {
    if (c != ' ') unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  static const std::pair<const char*, int> kUnits[] = {
      {"", 0},    {"B", 0}, {"K", 1},  {"KB", 1},  {"KIB", 1}, {"M", 2},  {"MB", 2},
      {"MIB", 2}, {"G", 3}, {"GB", 3}, {"GIB", 3}, {"T", 4},   {"TB", 4}, {"TIB", 4}};
  for (const auto& [name, power] : kUnits) {
    if (unit != name) continue;
    double bytes = *number * std::pow(1024.0, power);
    if (bytes < 1 || bytes > 9.0e18) return bad();
    return static_cast<int64_t>(bytes);
  }
  return bad();
}

}  // namespace dlake
