#pragma once
// The 42 data tests of the warehouse (cryptolakehouse §3.5: crypto 17, exchanges 11, fear and
// greed 4, global 10). Each is a query whose every row is a problem; `dlake warehouse test`
// runs them all.

#include <string>
#include <vector>

#include "warehouse/dialect.h"

namespace dlake::warehouse {

struct DataTest {
  std::string name;    // e.g. crypto_null_name_or_symbol
  std::string domain;  // crypto | exchange | fear_and_greed | global
  std::string description;
  std::string sql;  // SELECT returning the offending rows
};

// The 42 tests, grouped by domain in the order above.
std::vector<DataTest> WarehouseDataTests(const Dialect& dialect);

}  // namespace dlake::warehouse
