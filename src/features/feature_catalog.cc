#include "features/feature_catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dlake/common/semver.h"
#include "dlake/common/strings.h"
#include "dlake/common/time.h"

namespace dlake::features {
namespace {

using json = nlohmann::json;

std::optional<SemVer> TryParse(const std::string& version) {
  auto v = SemVer::Parse(version);
  return v.ok() ? std::optional<SemVer>(*v) : std::nullopt;
}

// a before b when a's version is higher.
bool HigherFirst(const std::string& a, const std::string& b) {
  auto va = TryParse(a), vb = TryParse(b);
  if (va && vb) return *va > *vb;
  if (va || vb) return va.has_value();
  return a > b;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

void SortHighestFirst(std::vector<std::string>& versions) {
  std::stable_sort(versions.begin(), versions.end(), HigherFirst);
}

Result<FeatureVersion> FromRow(const FeatureVersionRow& row) {
  FeatureVersion v;
  v.dataset = row.dataset;
  v.feature_set = row.dataset.FeatureSet();
  v.version = row.dataset.FeatureVersion();
  v.exchange = row.dataset.exchange;
  v.symbol = row.dataset.symbol;
  v.market = row.market;
  v.description = row.description;
  v.code_ref = row.code_ref;
  v.host = row.host;
  v.created_at = row.created_at;
  v.rows = row.rows;
  v.time_from = row.time_from;
  v.time_to = row.time_to;
  v.files = row.files;
  v.files_digest = row.files_digest;
  try {
    for (const auto& c : json::parse(row.columns)) {
      v.columns.push_back(
          FeatureColumn{c.at("name").get<std::string>(), c.at("type").get<std::string>()});
    }
    json lineage = json::parse(row.lineage);
    const json& input = lineage.at("input");
    v.input_path = input.at("path").get<std::string>();
    v.input_sha256 = input.at("sha256").get<std::string>();
    v.input_bytes = input.at("bytes").get<int64_t>();
    for (const auto& s : lineage.at("sources")) {
      v.sources.push_back(
          FeatureSource{s.at("dataset").get<std::string>(), s.at("files").get<int64_t>(),
                        s.at("rows").get<int64_t>(), s.at("time_from").get<int64_t>(),
                        s.at("time_to").get<int64_t>(), s.at("digest").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return Internal("the manifest's record of feature version ", row.dataset.Path(),
                    " is malformed: ", e.what());
  }
  return v;
}

FeatureVersionRow ToRow(const FeatureVersion& v) {
  FeatureVersionRow row;
  row.dataset = v.dataset;
  row.market = v.market;
  row.description = v.description;
  row.code_ref = v.code_ref;
  row.host = v.host;
  row.created_at = v.created_at;
  row.rows = v.rows;
  row.time_from = v.time_from;
  row.time_to = v.time_to;
  row.files = v.files;
  row.files_digest = v.files_digest;
  json columns = json::array();
  for (const auto& c : v.columns) columns.push_back({{"name", c.name}, {"type", c.type}});
  row.columns = columns.dump();
  json sources = json::array();
  for (const auto& s : v.sources) {
    sources.push_back({{"dataset", s.dataset},
                       {"files", s.files},
                       {"rows", s.rows},
                       {"time_from", s.time_from},
                       {"time_to", s.time_to},
                       {"digest", s.digest}});
  }
  json lineage = {
      {"input", {{"path", v.input_path}, {"sha256", v.input_sha256}, {"bytes", v.input_bytes}}},
      {"sources", sources}};
  row.lineage = lineage.dump();
  return row;
}

Result<std::vector<FeatureVersion>> ListVersions(Manifest& manifest,
                                                 const FeatureListRequest& request) {
  FeatureVersionFilter filter;
  filter.feature_set = request.feature_set;
  if (!request.exchange.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.exchange, NormalizeName("exchange", request.exchange));
  }
  if (!request.symbol.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.symbol, NormalizeSymbol(request.symbol));
  }
  DLAKE_ASSIGN_OR_RETURN(auto rows, manifest.FeatureVersions(filter));
  std::vector<FeatureVersion> out;
  for (const auto& row : rows) {
    DLAKE_ASSIGN_OR_RETURN(FeatureVersion v, FromRow(row));
    out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(), [](const FeatureVersion& a, const FeatureVersion& b) {
    if (a.feature_set != b.feature_set) return a.feature_set < b.feature_set;
    if (a.version != b.version) return HigherFirst(a.version, b.version);
    if (a.exchange != b.exchange) return a.exchange < b.exchange;
    return a.symbol < b.symbol;
  });
  return out;
}

Result<FeatureVersion> Resolve(Manifest& manifest, const FeatureLookup& lookup) {
  DLAKE_RETURN_IF_ERROR(CheckFeatureSetName(lookup.ref.feature_set));
  FeatureListRequest request{lookup.ref.feature_set, lookup.exchange, lookup.symbol};
  DLAKE_ASSIGN_OR_RETURN(auto all, ListVersions(manifest, request));
  const std::string where = "feature set '" + lookup.ref.feature_set + "' for " +
                            AsciiUpper(lookup.exchange) + "/" + AsciiUpper(lookup.symbol);
  std::vector<std::string> versions;
  versions.reserve(all.size());
  for (const auto& v : all) versions.push_back(v.version);
  const std::string known = versions.empty() ? " (it has no version; see 'dlake features list')"
                                             : " (versions: " + Join(versions) + ")";
  const bool as_of = lookup.as_of != std::numeric_limits<int64_t>::max();
  if (!lookup.ref.version.empty()) {
    auto it = std::find_if(all.begin(), all.end(), [&](const FeatureVersion& v) {
      return v.version == lookup.ref.version;
    });
    if (it == all.end()) return NotFound(where, " has no version ", lookup.ref.version, known);
    if (it->created_at >= lookup.as_of) {
      return InvalidArgument(where, " version ", it->version, " was created at ",
                             FormatTimestamp(it->created_at), ", not before --as-of ",
                             FormatTimestamp(lookup.as_of));
    }
    return *it;
  }
  for (const auto& v : all) {  // highest first
    if (v.created_at < lookup.as_of) return v;
  }
  if (as_of && !all.empty()) {
    return NotFound(where, " has no version created before --as-of ", FormatTimestamp(lookup.as_of),
                    known);
  }
  return NotFound(where, " has no version", known);
}

Result<std::vector<FeatureVersion>> VersionOfSet(Manifest& manifest, const FeatureRef& ref) {
  DLAKE_RETURN_IF_ERROR(CheckFeatureSetName(ref.feature_set));
  DLAKE_ASSIGN_OR_RETURN(auto all, ListVersions(manifest, FeatureListRequest{ref.feature_set}));
  if (all.empty()) {
    return NotFound("no feature set '", ref.feature_set,
                    "' in the lake (see 'dlake features list')");
  }
  const std::string version = ref.version.empty() ? all.front().version : ref.version;
  std::vector<FeatureVersion> out;
  std::vector<std::string> versions;
  for (auto& v : all) {
    if (versions.empty() || versions.back() != v.version) versions.push_back(v.version);
    if (v.version == version) out.push_back(std::move(v));
  }
  if (out.empty()) {
    return NotFound("feature set '", ref.feature_set, "' has no version ", version,
                    " (versions: ", Join(versions), ")");
  }
  return out;
}

Result<DatasetId> ParseDatasetPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t slash; (slash = path.find('/', begin)) != std::string_view::npos; begin = slash + 1) {
    parts.emplace_back(path.substr(begin, slash - begin));
  }
  parts.emplace_back(path.substr(begin));
  if (parts.size() == 5 && parts[0] == "features") {
    return DatasetId::Feature(parts[1], parts[2], parts[3], parts[4]);
  }
  if (parts.size() == 5) return DatasetId::Make(parts[0], parts[1], parts[2], parts[3], parts[4]);
  return InvalidArgument("invalid dataset '", path,
                         "': expected EXCHANGE/MARKET/SYMBOL/TYPE/PERIOD (as 'dlake list' shows "
                         "it) or features/SET/VERSION/EXCHANGE/SYMBOL");
}

}  // namespace dlake::features
