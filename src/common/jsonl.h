#pragma once
// JSON Lines files that the pipeline appends to (metadata/extract|transform|load/*.jsonl,
// runs.jsonl): one object per line, appended and fsynced. A crash while appending leaves a torn
// last line without a newline; readers ignore it, and the next append starts on a new line.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake {

// The last complete line that is a JSON object, or nullopt when the file is missing or holds
// none. With `accept`, the last such line that it accepts.
Result<std::optional<nlohmann::ordered_json>> LastJsonLine(
    const std::string& path,
    const std::function<bool(const nlohmann::ordered_json&)>& accept = nullptr);

// Appends `line` in Python json.dump form (common/python_json.h) plus a newline, creating the
// folder and file when missing; a torn last line gets its newline first.
Status AppendJsonLine(Env& env, const std::string& path, const nlohmann::ordered_json& line);

}  // namespace dlake
