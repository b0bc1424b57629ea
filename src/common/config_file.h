#pragma once
// <lake>/dlake.toml: flat `key = value` settings (a TOML subset: strings in double quotes,
// integers, booleans, '#' comments, no tables). Precedence everywhere: command-line flags, then
// DLAKE_* environment variables, then this file, then built-in defaults.

#include <map>
#include <string>

#include "dlake/common/status.h"

namespace dlake {

// Keys and their values (strings unquoted). A missing file is an empty map. A malformed line is
// InvalidArgument naming the file and line.
Result<std::map<std::string, std::string>> ReadConfigFile(const std::string& path);

}  // namespace dlake
