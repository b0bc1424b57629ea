#pragma once
// `dlake features diff SET@A SET@B`: how two versions differ in schema (columns added, removed
// or retyped) and in coverage (per exchange symbol: rows and time range in each).

#include "dlake/catalog/manifest.h"
#include "dlake/features/features.h"

namespace dlake::features {

// Either side without a version means its highest. NotFound for an unknown set or version.
Result<FeatureDiff> Diff(Manifest& manifest, const FeatureRef& a, const FeatureRef& b);

}  // namespace dlake::features
