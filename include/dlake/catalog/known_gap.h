#pragma once
// A known gap: a range of a dataset that its source was asked for and had no data (an exchange
// outage, a symbol not yet listed), recorded so that "missing" and "the source had none" are
// different answers.

#include <cstdint>
#include <string>

#include "dlake/common/dataset.h"

namespace dlake {

// A range [time_from, time_to) that the source was asked for and had no data.
struct KnownGap {
  DatasetId dataset;
  int64_t time_from = 0;
  int64_t time_to = 0;
  std::string source;
};

}  // namespace dlake
