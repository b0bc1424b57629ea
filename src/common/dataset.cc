#include "dlake/common/dataset.h"

#include <algorithm>
#include <cctype>

#include "dlake/common/semver.h"
#include "dlake/common/strings.h"
#include "dlake/common/time.h"

namespace dlake {
namespace {

struct PeriodDef {
  const char* name;
  int64_t ms;
};

constexpr PeriodDef kPeriods[] = {
    {"tick", 0},
    {"1s", kMsPerSecond},
    {"1m", kMsPerMinute},
    {"3m", 3 * kMsPerMinute},
    {"5m", 5 * kMsPerMinute},
    {"15m", 15 * kMsPerMinute},
    {"30m", 30 * kMsPerMinute},
    {"1h", kMsPerHour},
    {"2h", 2 * kMsPerHour},
    {"4h", 4 * kMsPerHour},
    {"6h", 6 * kMsPerHour},
    {"8h", 8 * kMsPerHour},
    {"12h", 12 * kMsPerHour},
    {"1d", kMsPerDay},
    {"3d", 3 * kMsPerDay},
    {"1w", 7 * kMsPerDay},
    {"1M", 0},
    {"funding", 0},
};

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

}  // namespace

Result<Period> ParsePeriod(std::string_view name) {
  for (const auto& p : kPeriods) {
    if (name == p.name) return Period{p.name, p.ms};
  }
  // Another case: accepted when exactly one period matches it ignoring case.
  const PeriodDef* match = nullptr;
  int matches = 0;
  for (const auto& p : kPeriods) {
    if (EqualsIgnoreCase(name, p.name)) match = &p, ++matches;
  }
  if (matches == 1) return Period{match->name, match->ms};
  std::string known;
  for (const auto& p : kPeriods) known += std::string(known.empty() ? "" : ", ") + p.name;
  return InvalidArgument("unknown period '", name, "' (known: ", known, ")");
}

const std::vector<std::string>& KnownPeriods() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& p : kPeriods) out.emplace_back(p.name);
    return out;
  }();
  return names;
}

Result<std::string> NormalizeName(std::string_view what, std::string_view name) {
  if (name.empty()) return InvalidArgument(what, " is empty");
  if (name.size() > 64 || !std::all_of(name.begin(), name.end(), IsNameChar) || name[0] == '.') {
    return InvalidArgument("invalid ", what, " '", name,
                           "': use letters, digits, '_', '-' or '.' (at most 64)");
  }
  return AsciiUpper(name);
}

Result<std::string> NormalizeSymbol(std::string_view symbol) {
  std::string text(symbol);
  // Unified spelling: BASE/QUOTE or BASE/QUOTE:SETTLE -> BASEQUOTE.
  if (auto colon = text.find(':'); colon != std::string::npos) text.resize(colon);
  if (auto slash = text.find('/'); slash != std::string::npos) {
    if (slash == 0 || slash + 1 == text.size()) {
      return InvalidArgument("invalid symbol '", symbol, "': expected BASE/QUOTE");
    }
    text.erase(slash, 1);
  }
  return NormalizeName("symbol", text);
}

Result<std::string> ParseDataType(std::string_view type) {
  for (std::string_view known : {kTypeRaw, kTypeAgg, kTypeTicks, kTypeAlt}) {
    if (EqualsIgnoreCase(type, known)) return std::string(known);
  }
  return InvalidArgument("unknown data type '", type, "' (known: raw, agg, ticks, alt)");
}

Result<std::string> ParseListedType(std::string_view type) {
  if (EqualsIgnoreCase(type, kTypeFeature)) return std::string(kTypeFeature);
  auto parsed = ParseDataType(type);
  if (!parsed.ok()) {
    return InvalidArgument("unknown data type '", type, "' (known: raw, agg, ticks, alt, feature)");
  }
  return parsed;
}

Status CheckFeatureSetName(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::isalnum(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                  });
  if (ok) return Status::Ok();
  return InvalidArgument("invalid feature set name '", name,
                         "': use 1 to 64 letters, digits, '_' or '-', starting with a letter or "
                         "digit");
}

Result<DatasetId> DatasetId::Feature(std::string_view feature_set, std::string_view version,
                                     std::string_view exchange, std::string_view symbol) {
  DLAKE_RETURN_IF_ERROR(CheckFeatureSetName(feature_set));
  DLAKE_ASSIGN_OR_RETURN(SemVer parsed, SemVer::Parse(version));
  // 1.0.0+a and 1.0.0+b have equal precedence: two folders for one version.
  if (!parsed.build.empty()) {
    return InvalidArgument("invalid version '", version,
                           "': a feature version carries no build metadata ('+…')");
  }
  DatasetId id;
  DLAKE_ASSIGN_OR_RETURN(id.exchange, NormalizeName("exchange", exchange));
  DLAKE_ASSIGN_OR_RETURN(id.symbol, NormalizeSymbol(symbol));
  id.type = std::string(kTypeFeature);
  id.period = std::string(feature_set) + "@" + std::string(version);
  return id;
}

std::string DatasetId::FeatureSet() const { return period.substr(0, period.find('@')); }

std::string DatasetId::FeatureVersion() const {
  auto at = period.find('@');
  return at == std::string::npos ? std::string() : period.substr(at + 1);
}

Result<DatasetId> DatasetId::Make(std::string_view exchange, std::string_view market,
                                  std::string_view symbol, std::string_view type,
                                  std::string_view period) {
  DatasetId id;
  DLAKE_ASSIGN_OR_RETURN(id.exchange, NormalizeName("exchange", exchange));
  DLAKE_ASSIGN_OR_RETURN(id.market, NormalizeName("market", market));
  DLAKE_ASSIGN_OR_RETURN(id.symbol, NormalizeSymbol(symbol));
  DLAKE_ASSIGN_OR_RETURN(id.type, ParseDataType(type));
  DLAKE_ASSIGN_OR_RETURN(Period p, ParsePeriod(period));
  id.period = p.name;
  return id;
}

std::string DatasetId::Path() const {
  if (IsFeature()) {
    return "features/" + FeatureSet() + "/" + FeatureVersion() + "/" + exchange + "/" + symbol;
  }
  return exchange + "/" + market + "/" + symbol + "/" + type + "/" + period;
}

}  // namespace dlake
