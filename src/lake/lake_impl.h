#pragma once
// The state behind dlake::Lake, shared by its method implementations (lake.cc, verify.cc).

#include <memory>
#include <string>

#include "dlake/lake.h"
#include "duck/duck.h"
#include "storage/context.h"

namespace dlake {

struct Lake::Impl {
  std::shared_ptr<Runtime> runtime;  // owns the DuckDB that ctx.duck points at
  std::unique_ptr<Manifest> manifest;
  StorageContext ctx;
};

// Runs verification (lake/verify.cc).
Result<VerifyReport> VerifyLake(Lake::Impl& impl, const VerifyRequest& request);

}  // namespace dlake
