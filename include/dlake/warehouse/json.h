#pragma once
// The JSON form of the warehouse and gold results: what `dlake warehouse …` and `dlake gold …`
// print with --json and what the REST server and the Python SDK return, from this one
// implementation. Each function returns the JSON text, indented by `indent` spaces (-1: one
// line). doc/json.md lists the fields.

#include <string>

#include "dlake/warehouse/warehouse.h"

namespace dlake::warehouse {

std::string ToJson(const InitReport& report, int indent = 2);
std::string ToJson(const LoadReport& report, int indent = 2);
std::string ToJson(const DataTestReport& report, int indent = 2);
std::string ToJson(const WarehouseStatusReport& report, int indent = 2);
std::string ToJson(const DumpReport& report, int indent = 2);
std::string ToJson(const SnapshotReport& report, int indent = 2);

}  // namespace dlake::warehouse
