#pragma once
// The state behind dlake::Lake, shared by its method implementations (lake.cc, verify.cc).

#include <memory>
#include <string>

#include "dlake/lake.h"
#include "duck/duck.h"
#include "storage/context.h"

namespace dlake {

struct Lake::Impl {
  std::unique_ptr<Manifest> manifest;
  std::unique_ptr<duck::Database> duck;
  StorageContext ctx;
  std::string duck_temp_dir;  // this process's DuckDB spill folder under .tmp/
};

// Runs verification (lake/verify.cc).
Result<VerifyReport> VerifyLake(Lake::Impl& impl, const VerifyRequest& request);

}  // namespace dlake
