#pragma once
// What the storage and ingest code needs from an open lake. Owned by dlake::Lake.

#include <string>
#include <string_view>

#include "common/file_util.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/env.h"
#include "dlake/common/settings.h"

namespace dlake {
namespace duck {
class Database;
}

struct StorageContext {
  std::string root;  // absolute path of the lake
  Manifest* manifest = nullptr;
  duck::Database* duck = nullptr;
  Env* env = nullptr;
  const Settings* settings = nullptr;  // the runtime's

  // Absolute path of a lake-relative path.
  std::string Abs(std::string_view relative) const { return JoinPath(root, relative); }
};

}  // namespace dlake
