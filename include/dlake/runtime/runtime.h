#pragma once
// dlake::Runtime: what every part of the library shares within a process: the resolved
// Settings, one DuckDB instance (one memory budget and one thread pool for all work), and one
// Env. dlake::Lake, dlake::delta::Table and every later service borrow a Runtime; make one per
// process (or per lake) and pass it to each of them, so that opening many tables costs one
// DuckDB, not many.
//
// Thread-safe: a Runtime may be shared by any number of threads and objects; each user opens
// its own DuckDB connection on it. It lives as long as the last shared_ptr to it; its DuckDB
// spill folder is removed when it goes.

#include <map>
#include <memory>
#include <string>

#include "dlake/common/env.h"
#include "dlake/common/settings.h"
#include "dlake/common/status.h"

namespace dlake {

struct RuntimeOptions {
  // A lake folder: its dlake.toml is read, and DuckDB spills under <lake>/.tmp/duckdb-<pid>.
  // Empty: no settings file, and spills under the system temp folder ($TMPDIR or /tmp).
  std::string lake;
  // Settings given on the command line, by setting name: {"threads", "2"}. Highest precedence.
  std::map<std::string, std::string> flags;
  // Read DLAKE_* environment variables (below flags, above dlake.toml).
  bool read_environment = true;
  // File system and clock; nullptr = Env::Default(). Not owned; must outlive the Runtime.
  Env* env = nullptr;
};

class Runtime {
 public:
  // Resolves the settings (InvalidArgument naming the file and line, variable or flag of a bad
  // one) and starts DuckDB with them.
  static Result<std::shared_ptr<Runtime>> Make(const RuntimeOptions& options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const Settings& settings() const;
  Env* env() const;
  // The lake folder given at Make (absolute), or "".
  const std::string& lake() const;
  // Where this runtime's DuckDB spills.
  const std::string& temp_directory() const;

  // Implementation state (src/runtime/runtime_impl.h); opaque to users.
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlake
