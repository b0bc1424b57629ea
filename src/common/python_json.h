#pragma once
// JSON text exactly as Python's json.dumps writes it with its defaults (separators ", " and
// ": ", ensure_ascii=True, keys in insertion order, floats in repr form). The pipeline metadata
// files (metadata/extract|transform|load/*.jsonl) keep the format of the system they replace,
// so tools written for it read ours unchanged.

#include <nlohmann/json.hpp>
#include <string>

namespace dlake {

std::string PythonJsonDumps(const nlohmann::ordered_json& value);

}  // namespace dlake
