#pragma once
// One uploaded version of a feature set for one exchange symbol, as the manifest stores it
// (doc/manifest.md, table `feature_versions`; doc/features.md). Its files are the files of its
// feature dataset (DatasetId::Feature). A feature dataset without this row is an upload that
// did not finish: readers do not see it, and the next upload of that version replaces it.

#include <cstdint>
#include <string>

#include "dlake/common/dataset.h"

namespace dlake {

struct FeatureVersionRow {
  DatasetId dataset;        // type feature: period "<feature_set>@<version>"
  std::string market;       // the market given at upload ("" if none); not part of the identity
  std::string description;  // --description
  std::string code_ref;     // --code-ref: the code that computed it (a commit, a tag, a path)
  std::string host;         // the uploading host
  int64_t created_at = 0;   // ms
  int64_t rows = 0;
  int64_t time_from = 0;  // smallest ts, ms
  int64_t time_to = 0;    // largest ts, ms (inclusive)
  int64_t files = 0;
  std::string files_digest;  // SHA-256 over "<path> <sha256>\n" of its files in day order
  std::string columns;       // JSON [{"name", "type"}] in file order, ts first
  std::string lineage;       // JSON: {"input": {...}, "sources": [...]} (doc/features.md)
};

// Matches feature versions; an empty field matches anything.
struct FeatureVersionFilter {
  std::string feature_set, version, exchange, symbol;
};

}  // namespace dlake
