#pragma once
// The feature versions of a lake as FeatureVersion values: converted from the manifest's rows,
// listed in semver order, and resolved from a reference ("alpha", "alpha@1.2.0").

#include <string>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/features/features.h"

namespace dlake::features {

// The row's JSON parts parsed. Internal on malformed JSON (a manifest edited by hand).
Result<FeatureVersion> FromRow(const FeatureVersionRow& row);
// The stored form; columns and lineage as JSON text.
FeatureVersionRow ToRow(const FeatureVersion& version);

// Matching versions ordered by feature set, then version (highest first), exchange and symbol.
Result<std::vector<FeatureVersion>> ListVersions(Manifest& manifest,
                                                 const FeatureListRequest& request);

// The version a lookup reads: the one named, or the highest created before lookup.as_of.
// NotFound names the versions there are; an explicit version created after as_of is refused.
Result<FeatureVersion> Resolve(Manifest& manifest, const FeatureLookup& lookup);

// Every exchange symbol of one version of a set: the version named, or the highest any symbol
// has. NotFound when the set or the version does not exist.
Result<std::vector<FeatureVersion>> VersionOfSet(Manifest& manifest, const FeatureRef& ref);

// "features/alpha/1.0.0/BINANCE/BTCUSDT" or "BINANCE/FUTURES/BTCUSDT/raw/1m" as a dataset id.
Result<DatasetId> ParseDatasetPath(std::string_view path);

// Sorts by semver precedence, highest first (versions that do not parse sort last).
void SortHighestFirst(std::vector<std::string>& versions);

}  // namespace dlake::features
