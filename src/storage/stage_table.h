#pragma once
// A uniquely named table of the runtime's DuckDB holding rows on their way to a DatasetWriter
// (storage::Staging). A regular table, not TEMP: the writer reads it from other connections.
// Dropped when the StageTable goes, on every path.

#include <string>
#include <string_view>

namespace dlake {
namespace duck {
class Connection;
}

namespace storage {

class StageTable {
 public:
  // Names the table "dlake_stage_<what>_<n>"; creating it is the caller's.
  StageTable(duck::Connection& conn, std::string_view what);
  ~StageTable();
  StageTable(const StageTable&) = delete;
  StageTable& operator=(const StageTable&) = delete;

  const std::string& name() const { return name_; }
  std::string Quoted() const;

 private:
  duck::Connection& conn_;
  std::string name_;
};

}  // namespace storage
}  // namespace dlake
