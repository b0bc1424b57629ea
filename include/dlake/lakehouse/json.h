#pragma once
// The JSON form of the silver layer's results: what `dlake cmc transform|status --json` prints
// and what the REST server and the Python SDK return, from this one implementation. Each
// function returns the JSON text, indented by `indent` spaces (-1: one line). doc/json.md lists
// the fields.

#include <string>
#include <vector>

#include "dlake/lakehouse/transform.h"

namespace dlake::lakehouse {

std::string ToJson(const TransformReport& report, int indent = 2);
std::string ToJson(const std::vector<SilverTableStatus>& statuses, int indent = 2);

}  // namespace dlake::lakehouse
