#pragma once
// The state behind dlake::Runtime, for the modules that borrow its DuckDB.

#include <memory>
#include <string>

#include "dlake/runtime/runtime.h"
#include "duck/duck.h"

namespace dlake {

struct Runtime::Impl {
  Settings settings;
  Env* env = nullptr;
  std::string lake;
  std::string temp_directory;
  bool owns_temp_directory = false;  // made for this runtime: removed with it
  std::unique_ptr<duck::Database> duck;
};

// The runtime's DuckDB database; open connections on it with duck::Connection::Open.
inline duck::Database& RuntimeDuck(const Runtime& runtime) { return *runtime.impl().duck; }

}  // namespace dlake
