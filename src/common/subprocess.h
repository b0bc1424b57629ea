#pragma once
// Runs another program (pg_dump) and waits for it: no shell, arguments passed as they are,
// extra environment variables added to ours (so secrets stay off the command line, which other
// users can see), stdout discarded, stderr captured for the error message.

#include <string>
#include <vector>

#include "dlake/common/status.h"

namespace dlake {

struct ProcessOutcome {
  int exit_code = -1;       // -1 when killed by a signal
  int signal = 0;           // the signal that ended it, or 0
  std::string stderr_text;  // its last 8 KiB of stderr
};

// NotFound when argv[0] cannot be started.
Result<ProcessOutcome> RunProcess(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& extra_environment);

}  // namespace dlake
