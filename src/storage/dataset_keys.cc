#include "storage/dataset_keys.h"

#include "duck/duck.h"

namespace dlake::storage {

DatasetKeys KeysFor(const DatasetId& dataset) {
  if (dataset.type == kTypeTicks) return {{"trade_id"}, {"ts", "trade_id"}};
  return {{"ts"}, {"ts"}};
}

std::string JoinIdentifiers(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += ", ";
    out += duck::QuoteIdentifier(c);
  }
  return out;
}

}  // namespace dlake::storage
