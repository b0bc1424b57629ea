#include "features/feature_diff.h"

#include <map>
#include <set>

#include "features/feature_catalog.h"

namespace dlake::features {
namespace {

// The version's columns over all its symbols, in first-seen order.
std::vector<FeatureColumn> Schema(const std::vector<FeatureVersion>& symbols) {
  std::vector<FeatureColumn> columns;
  std::set<std::string> seen;
  for (const auto& v : symbols) {
    for (const auto& c : v.columns) {
      if (seen.insert(c.name).second) columns.push_back(c);
    }
  }
  return columns;
}

}  // namespace

Result<FeatureDiff> Diff(Manifest& manifest, const FeatureRef& a, const FeatureRef& b) {
  DLAKE_ASSIGN_OR_RETURN(auto in_a, VersionOfSet(manifest, a));
  DLAKE_ASSIGN_OR_RETURN(auto in_b, VersionOfSet(manifest, b));
  FeatureDiff diff;
  diff.a = FeatureRef{a.feature_set, in_a.front().version};
  diff.b = FeatureRef{b.feature_set, in_b.front().version};

  const auto schema_a = Schema(in_a), schema_b = Schema(in_b);
  std::map<std::string, std::string> types_b;
  for (const auto& c : schema_b) types_b[c.name] = c.type;
  std::set<std::string> names_a;
  for (const auto& c : schema_a) {
    names_a.insert(c.name);
    auto it = types_b.find(c.name);
    if (it == types_b.end()) {
      diff.columns.push_back(FeatureDiffColumn{c.name, c.type, ""});
    } else if (it->second != c.type) {
      diff.columns.push_back(FeatureDiffColumn{c.name, c.type, it->second});
    }
  }
  for (const auto& c : schema_b) {
    if (!names_a.count(c.name)) diff.columns.push_back(FeatureDiffColumn{c.name, "", c.type});
  }

  std::map<std::pair<std::string, std::string>, FeatureCoverage> coverage;
  for (auto& v : in_a) {
    auto& entry = coverage[{v.exchange, v.symbol}];
    entry.exchange = v.exchange;
    entry.symbol = v.symbol;
    entry.a = std::move(v);
  }
  for (auto& v : in_b) {
    auto& entry = coverage[{v.exchange, v.symbol}];
    entry.exchange = v.exchange;
    entry.symbol = v.symbol;
    entry.b = std::move(v);
  }
  for (auto& [key, entry] : coverage) diff.coverage.push_back(std::move(entry));
  return diff;
}

}  // namespace dlake::features
