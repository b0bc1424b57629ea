// A program outside the project, built only against the installed headers and libdlake.so:
// it makes a runtime, opens a lake and a Delta table on it, and prints the library's JSON.

#include <iostream>

#include "dlake/delta/json.h"
#include "dlake/delta/table.h"
#include "dlake/json.h"
#include "dlake/lake.h"
#include "dlake/runtime/runtime.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  dlake::RuntimeOptions options;
  options.lake = dir + "/lake";
  auto runtime = dlake::Runtime::Make(options);
  if (!runtime.ok()) {
    std::cerr << runtime.status().ToString() << "\n";
    return 1;
  }
  dlake::LakeOptions lake_options;
  lake_options.runtime = *runtime;
  auto lake = dlake::Lake::Init(dir + "/lake", lake_options);
  if (!lake.ok()) {
    std::cerr << lake.status().ToString() << "\n";
    return 1;
  }
  auto datasets = (*lake)->List(dlake::DatasetFilter{});
  std::cout << dlake::ToJson(*datasets, -1) << "\n";
  dlake::delta::TableOptions table_options;
  table_options.runtime = *runtime;
  auto table = dlake::delta::Table::Create(
      dir + "/table", dlake::delta::WriteSource::Query("SELECT 7 AS id"), {}, table_options);
  if (!table.ok()) {
    std::cerr << table.status().ToString() << "\n";
    return 1;
  }
  auto description = (*table)->Describe();
  std::cout << dlake::delta::ToJson(*description, -1) << "\n";
  return 0;
}
